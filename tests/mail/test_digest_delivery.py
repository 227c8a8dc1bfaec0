"""Digest delivery through the real SMTP sink: exactly once per subscriber and period across
kill -9 and concurrent workers, retries on 4xx, bounces on 5xx at RCPT, pace per domain; on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime

import pytest

from paperboard.adapters.store import digests as store
from paperboard.domain.digest import digest_message_id
from paperboard.errors import SourceUnavailable
from paperboard.services.context import AppContext
from paperboard.services.digest import CLAIM_BATCH, RECORD_EVERY, DigestRun, preview_digest, resolve_period, send_digests
from tests.mail.conftest import (
    DAY,
    NEXT_DAY,
    add_subscribers,
    environment_for,
    free_port,
    parse,
    parts,
    run_cli,
    seed_papers,
    settings_for,
)

KEY = "daily:2026-04-14"


def _ledger(ctx) -> dict[str, dict]:
    with ctx.database.read() as connection:
        return {row["subscriber"]: row for row in store.ledger_rows(connection, KEY)}


def _emails(n: int, domain: str = "example.org") -> list[str]:
    return [f"reader{i:03d}@{domain}" for i in range(n)]


def test_each_subscriber_gets_one_digest_and_a_rerun_sends_nothing(ctx, sink):
    add_subscribers(ctx, _emails(5), categories=["cs.CV"])
    first = send_digests(ctx, "daily", day=DAY)
    assert (first.considered, first.sent, first.left_sending) == (5, 5, 0)
    again = send_digests(ctx, "daily", day=DAY)
    assert (again.considered, again.sent) == (0, 0)
    assert Counter(sink.recipients()) == {e: 1 for e in _emails(5)}
    assert {row["status"] for row in _ledger(ctx).values()} == {"sent"}


def test_dry_run_claims_and_sends_nothing(ctx, sink):
    add_subscribers(ctx, _emails(3))
    report = send_digests(ctx, "daily", day=DAY, dry_run=True)
    assert (report.considered, report.sent) == (3, 3)
    assert sink.messages() == [] and _ledger(ctx) == {}


def test_nothing_new_sends_nothing_once(ctx, sink):
    add_subscribers(ctx, _emails(2))
    quiet_day = resolve_period("daily", DAY.replace(day=16))
    report = DigestRun(ctx, quiet_day).run()
    assert (report.empty, report.sent) == (2, 0) and sink.messages() == []
    assert DigestRun(ctx, quiet_day).run().considered == 0


def test_the_next_digest_shows_only_what_is_new_since_the_last(ctx, sink):
    add_subscribers(ctx, ["reader@example.org"], categories=["cs.CL"])
    send_digests(ctx, "daily", day=DAY)
    send_digests(ctx, "daily", day=NEXT_DAY)
    first, second = (parts(m)[0] for m in sink.to("reader@example.org"))
    assert "Paper number 1 about cs.CL" in first and "Tomorrow's paper" not in first
    assert "Tomorrow's paper 0" in second and "Paper number" not in second


def test_temporary_failure_is_retried_with_backoff_and_delivered_once(ctx, sink):
    add_subscribers(ctx, ["greylisted@example.org", "fine@example.org"])
    sink.handler.data_replies["greylisted@example.org"].extend(["451 4.7.1 greylisted, try again", "421 4.3.2 busy"])
    report = send_digests(ctx, "daily", day=DAY)
    assert (report.sent, report.deferred, report.failed) == (2, 0, 0)
    assert sink.handler.attempts["greylisted@example.org"] == 3
    assert Counter(sink.recipients()) == {"greylisted@example.org": 1, "fine@example.org": 1}
    row = _ledger(ctx)["greylisted@example.org"]
    assert (row["status"], row["attempts"]) == ("sent", 3)


def test_temporary_failures_give_up_after_the_attempts_allowed(tmp_path, database_url, sink):
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, mail_max_attempts=2))
    ctx.migrate()
    seed_papers(ctx.database)
    add_subscribers(ctx, ["stuck@example.org"])
    sink.handler.data_replies["stuck@example.org"].extend(["451 4.3.0 later"] * 5)
    report = send_digests(ctx, "daily", day=DAY)
    assert (report.failed, report.sent) == (1, 0) and sink.messages() == []
    assert sink.handler.attempts["stuck@example.org"] == 2
    assert _ledger(ctx)["stuck@example.org"]["status"] == "failed"


def test_permanent_refusal_at_rcpt_marks_bouncing_and_stops_sends(ctx, sink):
    add_subscribers(ctx, ["gone@example.org", "here@example.org"])
    sink.handler.refuse_rcpt["gone@example.org"] = "550 5.1.1 mailbox unavailable"
    report = send_digests(ctx, "daily", day=DAY)
    assert (report.bounced, report.sent) == (1, 1)
    assert _ledger(ctx)["gone@example.org"]["status"] == "bounced"
    with ctx.database.read() as connection:
        assert store.get_subscriber(connection, "gone@example.org").bouncing
    del sink.handler.refuse_rcpt["gone@example.org"]
    assert send_digests(ctx, "daily", day=DAY).considered == 0
    assert send_digests(ctx, "daily", day=NEXT_DAY).considered == 1  # only here@
    assert "gone@example.org" not in sink.recipients()


def test_an_unreachable_relay_stops_the_run_and_a_rerun_delivers(tmp_path, database_url, sink):
    down = AppContext(settings_for(tmp_path / "home", database_url, sink, smtp_port=free_port()))
    down.migrate()
    seed_papers(down.database)
    add_subscribers(down, _emails(12))
    with pytest.raises(SourceUnavailable, match="Run again once the relay is back"):
        send_digests(down, "daily", day=DAY)
    assert {row["status"] for row in _ledger(down).values()} == {"deferred"}
    up = AppContext(settings_for(tmp_path / "home", database_url, sink))
    report = send_digests(up, "daily", day=DAY)
    assert report.sent == 12
    assert Counter(sink.recipients()) == {e: 1 for e in _emails(12)}


def test_pace_per_domain_spreads_one_domain_and_lets_others_through(tmp_path, database_url, sink):
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, mail_pace_per_domain_per_minute=2))
    ctx.migrate()
    seed_papers(ctx.database)
    add_subscribers(ctx, _emails(5, "big.example") + _emails(2, "small.example"))
    now = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    report = DigestRun(ctx, resolve_period("daily", DAY), clock=lambda: now[0], sleep=sleep).run()
    assert report.sent == 7
    assert sum(slept) >= 120  # 5 mails at 2 a minute: two full waits
    order = sink.recipients()
    assert Counter(order) == {e: 1 for e in _emails(5, "big.example") + _emails(2, "small.example")}
    assert order.index("reader001@small.example") < order.index("reader002@big.example")


def test_two_workers_at_once_still_send_one_each(ctx, sink):
    emails = _emails(3 * CLAIM_BATCH)
    add_subscribers(ctx, emails)
    sink.handler.delay_seconds = 0.005
    env = environment_for(ctx.settings)
    command = [sys.executable, "-m", "paperboard", "digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json"]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))
    assert Counter(sink.recipients()) == {e: 1 for e in emails}
    assert sum(r["sent"] for r in reports) == len(emails)
    assert {row["status"] for row in _ledger(ctx).values()} == {"sent"}


def test_two_threads_at_once_still_send_one_each(ctx, sink):
    emails = _emails(2 * CLAIM_BATCH + 7)
    add_subscribers(ctx, emails)
    reports, errors = [], []

    def work():
        try:
            reports.append(send_digests(ctx, "daily", day=DAY))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Counter(sink.recipients()) == {e: 1 for e in emails}
    assert sum(r.sent for r in reports) == len(emails)


def test_kill_9_at_five_random_points_then_everyone_holds_one_digest(tmp_path, database_url, sink):
    """The issue's done-when, smaller (bench/digest_kill.py runs it with 1,000 subscribers):
    ``digest send`` killed with SIGKILL five times at random points, each run resuming the last,
    then one run to the end. Every subscriber holds the period's digest under its one Message-ID;
    copies beyond one (a kill between a mail's delivery and its record) stay within RECORD_EVERY
    a kill, and receivers drop them by Message-ID."""
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, digest_claim_lease_seconds=1.0))
    ctx.migrate()
    seed_papers(ctx.database)
    emails = _emails(4 * CLAIM_BATCH)
    add_subscribers(ctx, emails)
    sink.handler.delay_seconds = 0.005
    rng = random.Random(16)
    command = [sys.executable, "-m", "paperboard", "digest", "send", "--period", "daily", "--date", DAY.isoformat()]
    killed_while_sending = 0
    for _ in range(5):
        before = len(sink.folder.names())
        worker = subprocess.Popen(command, env=environment_for(ctx.settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A random point: after a random number of the mails still owed, or a random time after start
        # (which may land in start-up, a claim, a lease wait or a send).
        if rng.random() < 0.7:
            target, deadline = before + rng.randint(1, max(1, (len(emails) - before) // 3)), time.monotonic() + 60
        else:
            target, deadline = len(emails) * 2, time.monotonic() + rng.uniform(0.5, 4.0)
        while len(sink.folder.names()) < target and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.005)
        killed_while_sending += worker.poll() is None and len(sink.folder.names()) > before
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert killed_while_sending >= 3, "most kills must land while mail is going out"
    received_before_the_last_run = len(sink.folder.names())
    assert 0 < received_before_the_last_run

    final = run_cli(ctx.settings, "digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json")
    assert final.returncode == 0, final.stderr
    assert json.loads(final.stdout)["work_left"] == 0
    message_ids: dict[str, set[str]] = {}
    copies = Counter()
    for message in sink.messages():
        (recipient,) = message.get_all("Delivered-To")
        message_ids.setdefault(recipient, set()).add(message["Message-ID"])
        copies[recipient] += 1
    assert set(message_ids) == set(emails), "somebody got no digest"
    assert all(ids == {digest_message_id(KEY, e, "papers.example.org")} for e, ids in message_ids.items())
    assert sum(copies.values()) - len(emails) <= 5 * RECORD_EVERY
    assert {row["status"] for row in _ledger(ctx).values()} == {"sent"}


def test_preview_shows_the_digest_without_sending_or_claiming(ctx, sink, cli):
    add_subscribers(ctx, ["look@example.org"], categories=["cs.CV"])
    preview = preview_digest(ctx, " Look@Example.org ", day=DAY)
    text, _ = parts(parse(preview.mail.data))
    assert "New in cs.CV" in text
    code, out, _ = cli("digest", "preview", "look@example.org", "--date", DAY.isoformat())
    assert code == 0 and out.startswith("Subject: ") and "New in cs.CV" in out
    assert sink.messages() == [] and _ledger(ctx) == {}
    code, _, err = cli("digest", "preview", "nobody@example.org")
    assert code == 2 and err.startswith("paperboard: error: nobody@example.org is not subscribed")
    code, _, err = cli("digest", "send", "--period", "daily", "--date", "2026-04-18")
    assert code == 2 and "weekdays" in err
    code, _, err = cli("digest", "send", "--period", "hourly")
    assert code == 2 and "daily, weekly" in err


def test_send_command_reports_as_json(ctx, sink, cli):
    add_subscribers(ctx, _emails(3))
    code, out, _ = cli("digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["dry_run"] is True and sink.messages() == []
    code, out, _ = cli("digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json")
    assert code == 0 and (json.loads(out)["sent"], json.loads(out)["period"]) == (3, KEY)


def test_saved_searches_become_sections_of_papers_new_in_the_window(tmp_path, database_url, sink):
    from paperboard.services.indexing import index_papers

    # The hashing embedder keeps the model out of this test; the keyword leg finds the words.
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, embedding_model="hashing"))
    ctx.migrate()
    seed_papers(ctx.database)
    index_papers(ctx)
    add_subscribers(ctx, ["seeker@example.org"], searches=["method 5", "later thing"])
    send_digests(ctx, "daily", day=DAY)
    (digest,) = sink.to("seeker@example.org")
    text, _ = parts(digest)
    section = text.split("== Matching “method 5” ==")[1]
    assert "Paper number 5 about cs.CL" in section
    assert "later thing" not in text  # "We present a later thing." is announced the next day


def test_known_github_stars_are_shown_beside_the_code_link(ctx, sink):
    from sqlalchemy import insert

    from paperboard.adapters.store.schema import repositories

    with ctx.database.write() as connection:
        connection.execute(
            insert(repositories),
            [{"url": "https://github.com/example/repo3", "status": "ok", "stars": 42, "first_seen_at": datetime(2026, 4, 1)}],
        )
    add_subscribers(ctx, ["stars@example.org"], categories=["cs.CL"])
    send_digests(ctx, "daily", day=DAY)
    text, html = parts(sink.to("stars@example.org")[0])
    assert "code: https://github.com/example/repo3 (42 stars)" in text
    assert '<a href="https://github.com/example/repo3" style="color:#0b5cad;">code</a> (&#9733; 42)' in html
    assert "(42 stars)" not in text.split("repo3")[0]  # only the checked repository has a count


def test_a_saved_search_that_fails_once_is_retried_and_its_section_sent(tmp_path, database_url, sink, monkeypatch):
    from paperboard.adapters.store.database import ReadTimeout
    from paperboard.services import digest_content
    from paperboard.services.digest_content import search_new_papers

    monkeypatch.setattr(digest_content, "SECTION_RETRY_PAUSE_SECONDS", 0)
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, embedding_model="hashing"))
    ctx.migrate()
    seed_papers(ctx.database)
    from paperboard.services.indexing import index_papers

    index_papers(ctx)
    add_subscribers(ctx, ["seeker@example.org"], searches=["method 5"])
    calls = []

    def busy_once(ctx, text, window, limit):
        calls.append(text)
        if len(calls) == 1:
            raise ReadTimeout("the database did not answer within 2 s")
        return search_new_papers(ctx, text, window, limit)

    send_digests(ctx, "daily", day=DAY, search_papers=busy_once)
    assert len(calls) == 2
    (digest,) = sink.to("seeker@example.org")
    assert "Paper number 5 about cs.CL" in parts(digest)[0].split("== Matching “method 5” ==")[1]


def test_a_section_that_keeps_failing_stops_the_run_and_a_rerun_sends_it_whole(tmp_path, database_url, sink, monkeypatch):
    from paperboard.services import digest_content
    from paperboard.services.digest_content import search_new_papers

    monkeypatch.setattr(digest_content, "SECTION_RETRY_PAUSE_SECONDS", 0)
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, embedding_model="hashing"))
    ctx.migrate()
    seed_papers(ctx.database)
    from paperboard.services.indexing import index_papers

    index_papers(ctx)
    add_subscribers(ctx, ["plain@example.org"])
    add_subscribers(ctx, ["seeker@example.org"], searches=["method 5"])

    def broken(ctx, text, window, limit):
        raise RuntimeError("the keyword index is damaged")

    with pytest.raises(SourceUnavailable, match="saved search 'method 5' could not be computed"):
        send_digests(ctx, "daily", day=DAY, search_papers=broken)
    assert sink.to("seeker@example.org") == []  # never without its section
    assert _ledger(ctx)["seeker@example.org"]["status"] == "deferred"

    report = send_digests(ctx, "daily", day=DAY, search_papers=search_new_papers)
    (digest,) = sink.to("seeker@example.org")
    assert "== Matching “method 5” ==" in parts(digest)[0]
    assert Counter(sink.recipients()) == {"plain@example.org": 1, "seeker@example.org": 1}
    assert report.sent >= 1


def test_preview_of_a_failing_section_is_a_one_line_error(tmp_path, database_url, sink, monkeypatch):
    from paperboard.services import digest_content
    from paperboard.services.digest_content import SectionUnavailable

    monkeypatch.setattr(digest_content, "SECTION_RETRY_PAUSE_SECONDS", 0)
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, embedding_model="hashing"))
    ctx.migrate()
    seed_papers(ctx.database)
    add_subscribers(ctx, ["seeker@example.org"], searches=["method 5"])

    def broken(ctx, text, window, limit):
        raise RuntimeError("the keyword index is damaged")

    with pytest.raises(SectionUnavailable, match="no digest leaves without it"):
        preview_digest(ctx, "seeker@example.org", day=DAY, search_papers=broken)

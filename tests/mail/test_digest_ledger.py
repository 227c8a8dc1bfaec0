"""The digest ledger settles every (subscriber, period): a claim left by a dead worker is taken over
after its lease, a mail in doubt is sent again under the same Message-ID, a run that leaves work
says so and exits non-zero, ``digest status`` shows the ledger, and a period that failed never
empties the next one. Through the real SMTP sink, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from paperboard.adapters.store import digests as store
from paperboard.adapters.store import subscriptions as subscription_store
from paperboard.domain.digest import digest_message_id
from paperboard.errors import SourceUnavailable
from paperboard.services.context import AppContext
from paperboard.services.digest import send_digests
from tests.mail.conftest import DAY, NEXT_DAY, add_subscribers, free_port, parts, seed_papers, settings_for

KEY = "daily:2026-04-14"
DOMAIN = "papers.example.org"  # of MAIL_FROM: what digest Message-IDs are made under


def _ledger(ctx, key: str = KEY) -> dict[str, dict]:
    with ctx.database.read() as connection:
        return {row["subscriber"]: row for row in store.ledger_rows(connection, key)}


def _context(tmp_path, database_url, sink, **overrides) -> AppContext:
    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, **overrides))
    ctx.migrate()
    seed_papers(ctx.database)
    return ctx


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def test_a_mail_in_doubt_is_sent_again_under_the_same_message_id(ctx, sink):
    add_subscribers(ctx, ["doubt@example.org", "fine@example.org"])
    sink.handler.drop_after_data_once.add("doubt@example.org")
    report = send_digests(ctx, "daily", day=DAY)
    assert (report.sent, report.resent, report.work_left) == (2, 1, 0)
    copies = sink.to("doubt@example.org")
    assert len(copies) == 2, "the relay kept the first copy; the client never heard so and sent it again"
    assert {m["Message-ID"] for m in copies} == {digest_message_id(KEY, "doubt@example.org", DOMAIN)}
    # The same digest (its signed links may differ by their timestamp).
    assert [re.findall(r"/papers/\S+", parts(m)[0]) for m in copies] == [re.findall(r"/papers/\S+", parts(copies[0])[0])] * 2
    assert copies[0]["Subject"] == copies[1]["Subject"]
    row = _ledger(ctx)["doubt@example.org"]
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert send_digests(ctx, "daily", day=DAY).considered == 0
    assert len(sink.to("doubt@example.org")) == 2


def test_a_mail_still_in_doubt_after_its_attempts_is_left_and_the_command_says_so(tmp_path, database_url, sink, run_paperboard, monkeypatch):
    from paperboard.settings import get_settings
    from tests.mail.conftest import environment_for

    ctx = _context(tmp_path, database_url, sink, mail_max_attempts=2)
    add_subscribers(ctx, ["doubt@example.org", "fine@example.org"])
    sink.handler.drop_after_data.add("doubt@example.org")
    for name, value in environment_for(ctx.settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    code, out, err = run_paperboard("digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--json")
    assert code == 5
    assert (json.loads(out)["in_doubt"], json.loads(out)["work_left"], json.loads(out)["sent"]) == (1, 1, 1)
    assert "1 digests of daily:2026-04-14 not settled yet" in err and "(1 in doubt)" in err
    assert "paperboard digest send --period daily --date 2026-04-14" in err
    row = _ledger(ctx)["doubt@example.org"]
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("in_doubt", 2, None)

    code, out, _ = run_paperboard("digest", "status", "--period", "daily", "--date", DAY.isoformat())
    assert code == 0
    assert out.startswith("daily:2026-04-14: 1 in doubt, 1 sent; 0 due and not claimed")
    assert "in_doubt  doubt@example.org  attempt 2; out of attempts; gave up after 2 attempts" in out
    code, out, _ = run_paperboard("digest", "status", "--date", DAY.isoformat(), "--json")
    (daily, weekly) = json.loads(out)
    assert (daily["period"], daily["counts"], daily["unsettled"]) == (KEY, {"in_doubt": 1, "sent": 1}, 1)
    assert [r["subscriber"] for r in daily["attention"]] == ["doubt@example.org"]
    assert (weekly["period"], weekly["counts"], weekly["advice"]) == ("weekly:2026-W16", {}, None)
    get_settings.cache_clear()


def test_a_claim_left_by_a_dead_worker_is_taken_over_once_its_lease_ends(tmp_path, database_url, sink):
    ctx = _context(tmp_path, database_url, sink, digest_claim_lease_seconds=1.0)
    emails = [f"reader{i}@example.org" for i in range(4)]
    add_subscribers(ctx, emails)
    # What a worker killed after claiming leaves: rows in "sending" that nobody renews.
    with ctx.database.write() as connection:
        store.claim(connection, KEY, {e: digest_message_id(KEY, e, DOMAIN) for e in emails[:3]}, _now())
    waits = []
    report = send_digests(ctx, "daily", day=DAY, on_wait=waits.append)
    assert (report.sent, report.resent, report.work_left) == (4, 3, 0)
    assert waits and "waiting for digests another worker holds" in waits[0]
    assert Counter(sink.recipients()) == {e: 1 for e in emails}
    assert {row["status"] for row in _ledger(ctx).values()} == {"sent"}
    assert {m["Message-ID"] for m in sink.to(emails[0])} == {digest_message_id(KEY, emails[0], DOMAIN)}


def test_a_live_worker_renews_its_claims_so_nobody_takes_them_over(tmp_path, database_url, sink):
    ctx = _context(tmp_path, database_url, sink, digest_claim_lease_seconds=2.0)
    emails = [f"reader{i:02d}@example.org" for i in range(30)]
    add_subscribers(ctx, emails)
    sink.handler.delay_seconds = 0.1  # one batch takes ~3 s, past the lease: only renewal keeps it
    reports, errors = [], []

    def work():
        try:
            reports.append(send_digests(ctx, "daily", day=DAY))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Counter(sink.recipients()) == {e: 1 for e in emails}
    assert sum(r.resent for r in reports) == 0 and sum(r.sent for r in reports) == len(emails)


def test_a_retry_for_an_address_that_unsubscribed_meanwhile_is_cancelled(tmp_path, database_url, sink):
    down = _context(tmp_path, database_url, sink, smtp_port=free_port())
    staying = [f"stays{i:02d}@example.org" for i in range(11)]
    add_subscribers(down, [*staying, "leaves@example.org"])
    with pytest.raises(SourceUnavailable):  # ten refused connections in a row: the relay is down
        send_digests(down, "daily", day=DAY)
    assert {row["status"] for row in _ledger(down).values()} == {"deferred"}
    with down.database.write() as connection:
        subscription_store.unsubscribe(connection, "leaves@example.org", _now())
    up = AppContext(settings_for(tmp_path / "home", database_url, sink))
    report = send_digests(up, "daily", day=DAY)
    assert (report.sent, report.cancelled, report.work_left) == (11, 1, 0)
    assert Counter(sink.recipients()) == {e: 1 for e in staying}
    assert _ledger(up)["leaves@example.org"]["status"] == "cancelled"


def test_a_first_digest_that_failed_does_not_empty_the_next_one(ctx, sink):
    add_subscribers(ctx, ["unlucky@example.org", "lucky@example.org"], categories=["cs.CL"])
    sink.handler.data_replies["unlucky@example.org"].append("554 5.6.0 message refused")
    first = send_digests(ctx, "daily", day=DAY)
    assert (first.failed, first.sent) == (1, 1)
    send_digests(ctx, "daily", day=NEXT_DAY)
    (unlucky,) = sink.to("unlucky@example.org")
    text = parts(unlucky)[0]
    assert "Paper number 1 about cs.CL" in text, "the papers of the period that failed reach the next digest"
    assert "Tomorrow's paper 0" in text
    lucky_next = parts(sink.to("lucky@example.org")[1])[0]
    assert "Tomorrow's paper 0" in lucky_next and "Paper number" not in lucky_next
    with ctx.database.read() as connection:
        assert store.get_subscriber(connection, "unlucky@example.org").last_digest_period == "daily:2026-04-15"


def test_a_period_sent_late_never_moves_the_window_back(ctx, sink):
    add_subscribers(ctx, ["late@example.org"], categories=["cs.CL"])
    send_digests(ctx, "daily", day=NEXT_DAY)
    send_digests(ctx, "daily", day=DAY)  # an operator sends the day before afterwards
    assert len(sink.to("late@example.org")) == 2
    with ctx.database.read() as connection:
        assert store.get_subscriber(connection, "late@example.org").last_digest_period == "daily:2026-04-15"


def test_the_window_of_a_claim_left_unsent_reaches_the_next_period(ctx, sink):
    # The day's claim was left "sending" by a worker that died, and nobody resent it that day.
    add_subscribers(ctx, ["stranded@example.org"], categories=["cs.CL"])
    with ctx.database.write() as connection:
        store.claim(connection, KEY, {"stranded@example.org": "<x@y>"}, _now() - timedelta(days=1))
    send_digests(ctx, "daily", day=NEXT_DAY)
    (digest,) = sink.to("stranded@example.org")
    assert "Paper number 1 about cs.CL" in parts(digest)[0]

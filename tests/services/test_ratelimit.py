"""Named limiters through the service: limits from settings, Retry-After, fail open or closed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from paperboard.errors import WritesUnavailable
from paperboard.services import ratelimit
from paperboard.services.ratelimit import LIMITERS, RateLimited
from paperboard.settings import Settings

NOW = datetime(2026, 4, 14, 12, 7, 30)


@pytest.fixture
def ctx_settings():
    return {"rate_limit_vote": "3/15minutes", "rate_limit_login_ip": "2/hour", "rate_limit_comment": "off"}


def test_every_limiter_has_a_setting():
    for action in LIMITERS:
        assert f"rate_limit_{action}" in Settings.model_fields


def test_over_the_limit_raises_with_retry_after(ctx):
    for _ in range(3):
        ratelimit.check(ctx, "vote", "42", now=NOW)
    with pytest.raises(RateLimited) as refused:
        ratelimit.check(ctx, "vote", "42", now=NOW)
    assert refused.value.retry_after_seconds == 450 and "upvotes" in str(refused.value)
    ratelimit.check(ctx, "vote", "43", now=NOW)  # another member has their own count
    ratelimit.check(ctx, "vote", "42", now=NOW + timedelta(minutes=8))  # the next window starts afresh


def test_off_never_limits(ctx):
    for _ in range(50):
        ratelimit.check(ctx, "comment", "42", now=NOW)


def test_an_unknown_limiter_is_a_programming_error(ctx):
    with pytest.raises(KeyError):
        ratelimit.check(ctx, "dance", "42")


def test_without_its_table_a_limiter_fails_open_or_closed_as_declared(ctx):
    with ctx.database.write() as connection:
        connection.execute(text("DROP TABLE rate_limit_hits"))
    assert LIMITERS["vote"].fail_open and not LIMITERS["login_ip"].fail_open
    ratelimit.check(ctx, "vote", "42", now=NOW)  # open: the vote goes through
    with pytest.raises(WritesUnavailable) as refused:  # 503, not 429: nobody went over a limit
        ratelimit.check(ctx, "login_ip", "127.0.0.1", now=NOW)  # closed: no login without a counter
    assert refused.value.retry_after_seconds > 0 and "could not count this request" in str(refused.value)


def test_prune_drops_ended_windows_only(ctx):
    ratelimit.check(ctx, "vote", "42", now=NOW - timedelta(days=40))
    ratelimit.check(ctx, "vote", "42", now=NOW)
    assert ratelimit.prune(ctx, now=NOW) == "1 ended rate-limit windows dropped"
    assert ratelimit.prune(ctx, now=NOW) is None


def test_the_account_sweep_job_drops_old_counters_and_tokens(ctx):
    from paperboard.services import account_mail, accounts
    from paperboard.services.jobs import scheduled_jobs

    (sweep,) = [job for job in scheduled_jobs(ctx) if job.name == "account-sweep"]
    user = accounts.create_user(ctx, email="ada@example.org", username="ada", password="a long enough password",
                                now=NOW - timedelta(days=30))
    account_mail.resend_verification(ctx, user.id, now=NOW - timedelta(days=30))
    ratelimit.check(ctx, "vote", "42", now=NOW - timedelta(days=40))
    assert sweep.run() == "2 ended rate-limit windows dropped; 1 expired account mail tokens dropped"
    assert sweep.run() is None

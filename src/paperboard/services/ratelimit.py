"""Named rate limiters, counted in the database so every web process shares one limit.

``check(ctx, action, key)`` counts a hit and raises :class:`RateLimited` once the window's limit
is passed; the web turns that into 429 with ``Retry-After``. Each limiter's limit is a setting
(``rate_limit_<action>``) and each says what happens when the counter cannot be written
(the database is locked or unreachable):

- **fail closed** (refuse the request) for the limiters that guard credentials and mailboxes:
  login, sign-up, password reset, verification mail, API tokens, digest subscribe (each request can
  mail a confirmation to any address; subscribing needs a database write anyway). Guessing passwords or flooding
  someone's inbox must not become possible because the counter table was busy.
- **fail open** (let the request through, log it) for community actions: vote, comment, report,
  submit, collection, claim. These need the database to succeed anyway, have their own rules
  (one vote per paper, a submission quota), and a counter hiccup should not lose a member's vote.

Refused for want of a counter is a 503 (``WritesUnavailable``), never a 429: nobody went over a
limit. A database that takes no writes at all (read-only, disk full) is a 503 for every limiter,
open or closed, straight from ``Database.write``: the request would need a write anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from paperboard.adapters.store import ratelimits as store
from paperboard.domain.ratelimit import Limit, parse_limit
from paperboard.errors import UserError, WritesUnavailable
from paperboard.services.context import AppContext

log = logging.getLogger("paperboard.ratelimit")

# Keys are hashed by nobody: they are IPs, lower-cased emails/usernames or member ids, and the
# column holds 255 characters, so longer keys (an absurd typed login name) are cut.
_KEY_CHARS = 255
_FAIL_CLOSED_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Limiter:
    action: str
    fail_open: bool
    what: str  # for the message a person reads: "login attempts", "upvotes"

    def limit(self, ctx: AppContext) -> Limit | None:
        return parse_limit(getattr(ctx.settings, f"rate_limit_{self.action}"))


LIMITERS: dict[str, Limiter] = {
    limiter.action: limiter
    for limiter in (
        Limiter("login_ip", False, "login attempts from your network"),
        Limiter("login_account", False, "login attempts for this account"),
        Limiter("signup_ip", False, "sign-ups from your network"),
        Limiter("signup_notice", False, "sign-up notices to this address"),
        Limiter("password_reset_ip", False, "password reset requests from your network"),
        Limiter("password_reset_account", False, "password reset mails for this address"),
        Limiter("verify_mail", False, "verification mails"),
        Limiter("api_token", False, "new API tokens"),
        Limiter("subscribe_ip", False, "subscribe requests from your network"),
        Limiter("subscribe_address", False, "subscribe requests for this address"),
        Limiter("vote", True, "upvotes"),
        Limiter("comment", True, "comments"),
        Limiter("report", True, "reports"),
        Limiter("submit", True, "submissions"),
        Limiter("collection", True, "collection changes"),
        Limiter("claim", True, "authorship claims"),
    )
}


class RateLimited(UserError):
    """Too many requests of one kind: the web answers 429 with ``Retry-After``."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds



def check(ctx: AppContext, action: str, key: str, *, now: datetime | None = None) -> None:
    """Count one ``action`` by ``key`` (an IP, an account, a member id); raise RateLimited when over.

    Every call counts, refused ones too, so hammering a limit does not shorten the wait.
    """
    limiter = LIMITERS[action]  # an unknown name is a programming error: KeyError, loudly
    limit = limiter.limit(ctx)
    if limit is None:
        return
    now = now or ctx.now()
    window_start = limit.window_start(now)
    try:
        with ctx.database.write() as connection:
            hits = store.hit(connection, action, str(key)[:_KEY_CHARS], window_start)
    except SQLAlchemyError as error:
        if limiter.fail_open:
            log.warning("rate limiter %s unavailable, letting the request through: %s", action, error)
            return
        log.error("rate limiter %s unavailable, refusing the request: %s", action, error)
        # 503, not 429: the visitor did nothing too often, the site could not count.
        raise WritesUnavailable(
            "This cannot be done right now: the site could not count this request against its limits "
            "(the database is busy); please try again in a moment.",
            _FAIL_CLOSED_RETRY_SECONDS,
        ) from error
    if hits > limit.count:
        wait = limit.retry_after(now)
        raise RateLimited(f"Too many {limiter.what}. Please try again in {_duration(wait)}.", wait)


def prune(ctx: AppContext, *, now: datetime | None = None) -> str | None:
    """The scheduled sweep: drop counters of windows that have ended (the longest window is 31 days)."""
    now = now or ctx.now()
    longest = max((limiter.limit(ctx) for limiter in LIMITERS.values()), key=lambda l: l.seconds if l else 0, default=None)
    horizon = now - timedelta(seconds=longest.seconds if longest else 0)
    with ctx.database.write() as connection:
        dropped = store.prune(connection, horizon)
    return f"{dropped} ended rate-limit windows dropped" if dropped else None


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"

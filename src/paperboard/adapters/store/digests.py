"""Subscribers as a digest run sees them, the digest ledger, and the paper queries a digest needs.

A subscription's own lifecycle (the first insert, confirmation mail, confirm, preferences,
unsubscribe, bouncing) lives in ``subscriptions.py``.

Ledger states: ``sending`` (claimed by a worker until ``claimed_at`` + the lease; the worker
renews it while it works, so a row left by a dead one is taken over once the lease ends),
``sent``, ``deferred`` (a temporary failure: known not delivered, retried after
``next_attempt_at``), ``in_doubt`` (the connection broke while the relay acknowledged it: sent
again after ``next_attempt_at`` with the same Message-ID; ``next_attempt_at`` empty once out of
attempts), ``failed`` (refused or out of attempts), ``bounced`` (address refused at RCPT),
``empty`` (nothing new to send), ``cancelled`` (unsubscribed or bouncing before a retry).

``attempts`` doubles as the claim's fencing token: every claim or take-over adds one, and a worker
records an outcome or renews a claim only where the row still holds its own attempt, so a worker
that outlived its lease cannot overwrite what the worker that took over recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.subscriptions import CONFIRMED
from paperboard.adapters.store.schema import (
    daily_features,
    digest_ledger,
    paper_categories,
    papers,
    repositories,
    subscriptions,
)
from paperboard.domain.paper import Paper

SENDING, SENT, DEFERRED, FAILED, BOUNCED, EMPTY, IN_DOUBT, CANCELLED = (
    "sending", "sent", "deferred", "failed", "bounced", "empty", "in_doubt", "cancelled"
)
RETRYABLE = (DEFERRED, IN_DOUBT)  # with a next_attempt_at
DELIVERED = (SENT, EMPTY)  # nothing more is owed for the period
NEEDS_ATTENTION = (SENDING, DEFERRED, IN_DOUBT, FAILED)
_ID_CHUNK = 500  # stays below SQLite's bound-parameter limit


@dataclass(frozen=True)
class Subscriber:
    email: str
    status: str
    frequency: str
    topics: dict
    bouncing: bool
    last_digest_period: str | None
    confirmation_requested_at: datetime | None = None
    user_id: str | None = None  # the member's account, when the address is linked to one
    first_owed_period: str | None = None  # the earliest period of its frequency owed and not delivered


def _subscriber(row) -> Subscriber:
    m = row._mapping
    return Subscriber(
        m["email"], m["status"], m["frequency"], m["topics"] or {}, bool(m["bouncing"]), m["last_digest_period"],
        m["confirmation_requested_at"], m["user_id"], m.get("first_owed_period"),
    )


def _first_owed_period():
    """Correlated: the subscriber's earliest undelivered period of its current frequency (keys of
    one frequency sort by date), which the next digest's window must reach back to."""
    return (
        select(func.min(digest_ledger.c.period_key))
        .where(
            digest_ledger.c.subscriber == subscriptions.c.email,
            digest_ledger.c.period_key.like(subscriptions.c.frequency + ":%"),
            digest_ledger.c.status.not_in(DELIVERED),
        )
        .correlate(subscriptions)
        .scalar_subquery()
        .label("first_owed_period")
    )


def _subscribers():
    return select(subscriptions, _first_owed_period())


def get_subscriber(connection: Connection, email: str) -> Subscriber | None:
    row = connection.execute(_subscribers().where(subscriptions.c.email == email)).first()
    return _subscriber(row) if row else None


# -- the digest run -----------------------------------------------------------------------------
def _due_condition(frequency: str, period_key: str):
    claimed = exists().where(digest_ledger.c.subscriber == subscriptions.c.email, digest_ledger.c.period_key == period_key)
    return and_(
        subscriptions.c.frequency == frequency,
        subscriptions.c.status == CONFIRMED,
        subscriptions.c.bouncing.is_(False),
        ~claimed,
    )


def count_due(connection: Connection, frequency: str, period_key: str) -> int:
    return connection.execute(select(func.count()).select_from(subscriptions).where(_due_condition(frequency, period_key))).scalar_one()


def due_subscribers(
    connection: Connection, frequency: str, period_key: str, *, after_email: str = "", limit: int = 500
) -> list[Subscriber]:
    """Confirmed, non-bouncing subscribers of ``frequency`` with no ledger row for the period yet,
    in address order after ``after_email`` (keyset pagination: memory stays flat)."""
    query = (
        _subscribers()
        .where(_due_condition(frequency, period_key), subscriptions.c.email > after_email)
        .order_by(subscriptions.c.email)
        .limit(limit)
    )
    return [_subscriber(r) for r in connection.execute(query)]


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def claim(
    connection: Connection, period_key: str, message_ids: dict[str, str], now: datetime
) -> set[str]:
    """Insert a ``sending`` row for each address; the addresses this call won (a row already there,
    from another worker or an earlier run, makes the insert do nothing for that address)."""
    if not message_ids:
        return set()
    rows = [
        {"subscriber": email, "period_key": period_key, "status": SENDING, "attempts": 1, "message_id": message_id, "claimed_at": now}
        for email, message_id in message_ids.items()
    ]
    statement = (
        _insert(connection)(digest_ledger)
        .on_conflict_do_nothing(index_elements=["subscriber", "period_key"])
        .returning(digest_ledger.c.subscriber)
    )
    # One statement for every batch (its compiled form is cached), executed for many rows:
    # SQLAlchemy's "insertmanyvalues" sends them as multi-row INSERTs and collects RETURNING.
    return set(connection.execute(statement, rows).scalars())


@dataclass(frozen=True)
class Retry:
    """A row of the period that may be taken again: retryable and due, or ``sending`` past its lease."""

    subscriber: Subscriber
    attempts: int
    status: str


def _retry_condition(now: datetime, stale_before: datetime):
    return or_(
        and_(digest_ledger.c.status.in_(RETRYABLE), digest_ledger.c.next_attempt_at <= now),
        and_(digest_ledger.c.status == SENDING, digest_ledger.c.claimed_at <= stale_before),
    )


def retries_due(connection: Connection, period_key: str, now: datetime, stale_before: datetime, limit: int = 500) -> list[Retry]:
    """Rows to take again now: deferred or in doubt whose retry time has come, and ``sending``
    rows claimed before ``stale_before`` (their worker stopped renewing them: it died)."""
    query = (
        _subscribers()
        .add_columns(digest_ledger.c.attempts, digest_ledger.c.status.label("ledger_status"))
        .join(digest_ledger, digest_ledger.c.subscriber == subscriptions.c.email)
        .where(digest_ledger.c.period_key == period_key, _retry_condition(now, stale_before))
        .order_by(digest_ledger.c.claimed_at, digest_ledger.c.subscriber)
        .limit(limit)
    )
    return [Retry(_subscriber(r), r._mapping["attempts"], r._mapping["ledger_status"]) for r in connection.execute(query)]


def take_over(connection: Connection, period_key: str, email: str, attempts: int, now: datetime, stale_before: datetime) -> bool:
    """Claim a row :func:`retries_due` returned, if nobody took it meanwhile (at most one taker)."""
    result = connection.execute(
        update(digest_ledger)
        .where(
            digest_ledger.c.subscriber == email,
            digest_ledger.c.period_key == period_key,
            digest_ledger.c.attempts == attempts,
            _retry_condition(now, stale_before),
        )
        .values(status=SENDING, attempts=attempts + 1, claimed_at=now, next_attempt_at=None)
    )
    return result.rowcount == 1


def next_retry_times(connection: Connection, period_key: str) -> tuple[datetime | None, datetime | None]:
    """The earliest retry time of a retryable row, and the oldest claim of a ``sending`` row."""
    retry_at = connection.execute(
        select(func.min(digest_ledger.c.next_attempt_at)).where(
            digest_ledger.c.period_key == period_key, digest_ledger.c.status.in_(RETRYABLE)
        )
    ).scalar_one()
    oldest_claim = connection.execute(
        select(func.min(digest_ledger.c.claimed_at)).where(digest_ledger.c.period_key == period_key, digest_ledger.c.status == SENDING)
    ).scalar_one()
    return retry_at, oldest_claim


def _still_mine(connection: Connection, period_key: str, claims: dict[str, int]) -> set[str]:
    """The addresses whose row is still ``sending`` under the given attempt (locked on PostgreSQL
    until the transaction ends, so the update that follows sees the same rows)."""
    mine: set[str] = set()
    emails = list(claims)
    for start in range(0, len(emails), _ID_CHUNK):
        rows = connection.execute(
            select(digest_ledger.c.subscriber, digest_ledger.c.attempts)
            .where(
                digest_ledger.c.period_key == period_key,
                digest_ledger.c.status == SENDING,
                digest_ledger.c.subscriber.in_(emails[start : start + _ID_CHUNK]),
            )
            .with_for_update()
        )
        mine.update(email for email, attempts in rows if claims[email] == attempts)
    return mine


def renew_claims(connection: Connection, period_key: str, claims: dict[str, int], now: datetime) -> set[str]:
    """Move the lease of rows this worker still holds on; the addresses it still holds."""
    mine = _still_mine(connection, period_key, claims)
    if mine:
        connection.execute(
            update(digest_ledger)
            .where(
                digest_ledger.c.subscriber == bindparam("b_email"),
                digest_ledger.c.period_key == period_key,
                digest_ledger.c.attempts == bindparam("b_attempt"),
            )
            .values(claimed_at=now),
            [{"b_email": email, "b_attempt": claims[email]} for email in mine],
        )
    return mine


@dataclass(frozen=True)
class Outcome:
    email: str
    status: str  # SENT, FAILED, BOUNCED, EMPTY, CANCELLED, or DEFERRED / IN_DOUBT (with a retry time unless given up)
    error: str | None = None
    next_attempt_at: datetime | None = None
    attempt: int = 1  # the claim's fencing token: the row's ``attempts`` when this worker claimed it


def record_outcomes(connection: Connection, period_key: str, outcomes: Sequence[Outcome], now: datetime) -> set[str]:
    """Write what happened to rows this worker still holds (the addresses written; a row taken
    over by another worker is left to it). A sent digest also moves the subscriber's window on
    (never back, when an older period is sent late); a bounce marks the address."""
    mine = _still_mine(connection, period_key, {o.email: o.attempt for o in outcomes})
    outcomes = [o for o in outcomes if o.email in mine]
    if not outcomes:
        return mine
    connection.execute(
        update(digest_ledger)
        .where(digest_ledger.c.subscriber == bindparam("b_email"), digest_ledger.c.period_key == period_key)
        .values(
            status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            next_attempt_at=bindparam("b_next"),
            finished_at=bindparam("b_finished"),
        ),
        [
            {
                "b_email": o.email,
                "b_status": o.status,
                "b_error": o.error,
                "b_next": o.next_attempt_at,
                "b_finished": None if o.next_attempt_at else now,
            }
            for o in outcomes
        ],
    )
    sent = [{"b_email": o.email} for o in outcomes if o.status == SENT]
    if sent:
        last = subscriptions.c.last_digest_period
        frequency = period_key.split(":", 1)[0]
        connection.execute(
            update(subscriptions)
            .where(
                subscriptions.c.email == bindparam("b_email"),
                or_(last.is_(None), ~last.like(f"{frequency}:%"), last < period_key),
            )
            .values(last_digest_period=period_key),
            sent,
        )
    bounced = [{"b_email": o.email, "b_reason": o.error} for o in outcomes if o.status == BOUNCED]
    if bounced:
        connection.execute(
            update(subscriptions)
            .where(subscriptions.c.email == bindparam("b_email"))
            .values(bouncing=True, bounce_reason=bindparam("b_reason")),
            bounced,
        )
    return mine


def ledger_counts(connection: Connection, period_key: str) -> dict[str, int]:
    rows = connection.execute(
        select(digest_ledger.c.status, func.count()).where(digest_ledger.c.period_key == period_key).group_by(digest_ledger.c.status)
    )
    return {status: count for status, count in rows}


def ledger_rows(connection: Connection, period_key: str, statuses: Sequence[str] | None = None, limit: int | None = None) -> list[dict]:
    query = select(digest_ledger).where(digest_ledger.c.period_key == period_key)
    if statuses is not None:
        query = query.where(digest_ledger.c.status.in_(statuses))
    rows = connection.execute(query.order_by(digest_ledger.c.status, digest_ledger.c.subscriber).limit(limit))
    return [dict(r._mapping) for r in rows]


# -- content ------------------------------------------------------------------------------------
def announced_in_category(
    connection: Connection, category: str, since: date, until: date, limit: int
) -> list[tuple[Paper, int]]:
    """Papers of ``category`` announced from ``since`` to ``until``, most upvoted, then newest first."""
    upvotes = func.coalesce(daily_features.c.imported_upvotes, 0)
    query = (
        select(papers, upvotes.label("upvotes"))
        .join(paper_categories, paper_categories.c.paper_id == papers.c.id)
        .outerjoin(daily_features, daily_features.c.paper_id == papers.c.id)
        .where(paper_categories.c.category == category, papers.c.announced >= since, papers.c.announced <= until)
        .order_by(upvotes.desc(), papers.c.announced.desc(), papers.c.id.desc())
        .limit(limit)
    )
    return [(row_to_paper(r), r._mapping["upvotes"]) for r in connection.execute(query)]


def stars_by_url(connection: Connection, urls: Sequence[str]) -> dict[str, int]:
    """Last known GitHub stars of the repositories among ``urls`` that have been checked."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(urls))
    for start in range(0, len(unique), _ID_CHUNK):
        chunk = unique[start : start + _ID_CHUNK]
        rows = connection.execute(
            select(repositories.c.url, repositories.c.stars).where(repositories.c.url.in_(chunk), repositories.c.stars.is_not(None))
        )
        found.update({url: stars for url, stars in rows})
    return found

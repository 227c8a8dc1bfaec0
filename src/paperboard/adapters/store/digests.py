"""Subscribers' lifecycle, the digest ledger, and the paper queries a digest needs.

The banner's first insert lives in ``subscriptions.py``; everything after it (confirmation mail
bookkeeping, confirm, preferences, unsubscribe, bouncing) and the ledger live here.

Ledger states: ``sending`` (claimed; the mail may have left: never sent again), ``sent``,
``deferred`` (a temporary failure: known not delivered, retried after ``next_attempt_at``),
``failed`` (refused or out of attempts), ``bounced`` (address refused at RCPT), ``empty``
(nothing new to send), ``in_doubt`` (the connection broke while the relay acknowledged it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import (
    daily_features,
    digest_ledger,
    paper_categories,
    papers,
    repositories,
    subscriptions,
)
from paperboard.domain.paper import Paper

PENDING, CONFIRMED, UNSUBSCRIBED = "pending", "confirmed", "unsubscribed"
SENDING, SENT, DEFERRED, FAILED, BOUNCED, EMPTY, IN_DOUBT = (
    "sending", "sent", "deferred", "failed", "bounced", "empty", "in_doubt"
)
FINAL_STATES = (SENT, FAILED, BOUNCED, EMPTY, IN_DOUBT)
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


def _subscriber(row) -> Subscriber:
    m = row._mapping
    return Subscriber(
        m["email"], m["status"], m["frequency"], m["topics"] or {}, bool(m["bouncing"]), m["last_digest_period"],
        m["confirmation_requested_at"], m["user_id"],
    )


def get_subscriber(connection: Connection, email: str) -> Subscriber | None:
    row = connection.execute(select(subscriptions).where(subscriptions.c.email == email)).first()
    return _subscriber(row) if row else None


# -- confirmation mail ----------------------------------------------------------------------------
def request_confirmation(connection: Connection, email: str, *, now: datetime, resend_before: datetime) -> bool:
    """Ask for a (new) confirmation mail unless one went out after ``resend_before``.

    An unsubscribed address becomes pending again; a confirmed one is left alone. True when a
    confirmation mail is now owed.
    """
    result = connection.execute(
        update(subscriptions)
        .where(
            subscriptions.c.email == email,
            subscriptions.c.status.in_((PENDING, UNSUBSCRIBED)),
            or_(subscriptions.c.confirmation_sent_at.is_(None), subscriptions.c.confirmation_sent_at < resend_before),
        )
        .values(status=PENDING, confirmation_requested_at=now, unsubscribed_at=None)
    )
    return result.rowcount == 1


def claim_confirmation(connection: Connection, email: str, now: datetime) -> Subscriber | None:
    """Take the owed confirmation mail of ``email`` (at most one taker); None when none is owed."""
    owed = and_(
        subscriptions.c.email == email,
        subscriptions.c.status == PENDING,
        subscriptions.c.confirmation_requested_at.is_not(None),
        or_(
            subscriptions.c.confirmation_sent_at.is_(None),
            subscriptions.c.confirmation_sent_at < subscriptions.c.confirmation_requested_at,
        ),
    )
    if connection.execute(update(subscriptions).where(owed).values(confirmation_sent_at=now)).rowcount != 1:
        return None
    return get_subscriber(connection, email)


def release_confirmation(connection: Connection, email: str) -> None:
    """The confirmation mail did not leave (temporary failure): owe it again."""
    connection.execute(update(subscriptions).where(subscriptions.c.email == email).values(confirmation_sent_at=None))


def confirmations_owed(connection: Connection, requested_after: datetime, limit: int = 500) -> list[str]:
    query = (
        select(subscriptions.c.email)
        .where(
            subscriptions.c.status == PENDING,
            subscriptions.c.confirmation_requested_at > requested_after,
            or_(
                subscriptions.c.confirmation_sent_at.is_(None),
                subscriptions.c.confirmation_sent_at < subscriptions.c.confirmation_requested_at,
            ),
        )
        .order_by(subscriptions.c.confirmation_requested_at)
        .limit(limit)
    )
    return list(connection.execute(query).scalars())


# -- state changes from links -------------------------------------------------------------------
def confirm(connection: Connection, email: str, now: datetime) -> str | None:
    """Confirm a pending address; the status it had before (None when unknown)."""
    before = connection.execute(select(subscriptions.c.status).where(subscriptions.c.email == email)).scalar_one_or_none()
    if before == PENDING:
        connection.execute(
            update(subscriptions)
            .where(subscriptions.c.email == email)
            .values(status=CONFIRMED, confirmed_at=now, bouncing=False, bounce_reason=None)
        )
    return before


def unsubscribe(connection: Connection, email: str, now: datetime) -> str | None:
    """Stop every mail to ``email``; the status it had before (None when unknown)."""
    before = connection.execute(select(subscriptions.c.status).where(subscriptions.c.email == email)).scalar_one_or_none()
    if before is not None and before != UNSUBSCRIBED:
        connection.execute(
            update(subscriptions).where(subscriptions.c.email == email).values(status=UNSUBSCRIBED, unsubscribed_at=now)
        )
    return before


def record_bounce(connection: Connection, email: str, reason: str) -> None:
    """The relay refused the address for good: send nothing more until it is confirmed again."""
    connection.execute(update(subscriptions).where(subscriptions.c.email == email).values(bouncing=True, bounce_reason=reason))


def save_preferences(connection: Connection, email: str, *, frequency: str, topics: dict) -> bool:
    result = connection.execute(
        update(subscriptions).where(subscriptions.c.email == email).values(frequency=frequency, topics=topics)
    )
    return result.rowcount == 1


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
        select(subscriptions)
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


def deferred_due(connection: Connection, period_key: str, now: datetime, limit: int = 500) -> list[tuple[Subscriber, int]]:
    """Deferred rows of the period whose retry time has come, with the attempts made so far."""
    query = (
        select(subscriptions, digest_ledger.c.attempts)
        .join(digest_ledger, digest_ledger.c.subscriber == subscriptions.c.email)
        .where(
            digest_ledger.c.period_key == period_key,
            digest_ledger.c.status == DEFERRED,
            digest_ledger.c.next_attempt_at <= now,
            subscriptions.c.status == CONFIRMED,
            subscriptions.c.bouncing.is_(False),
        )
        .order_by(digest_ledger.c.next_attempt_at)
        .limit(limit)
    )
    return [(_subscriber(r), r._mapping["attempts"]) for r in connection.execute(query)]


def next_deferred_at(connection: Connection, period_key: str) -> datetime | None:
    return connection.execute(
        select(func.min(digest_ledger.c.next_attempt_at)).where(
            digest_ledger.c.period_key == period_key, digest_ledger.c.status == DEFERRED
        )
    ).scalar_one()


def reclaim_deferred(connection: Connection, email: str, period_key: str, now: datetime) -> bool:
    """Take a deferred row back to ``sending`` (at most one taker)."""
    result = connection.execute(
        update(digest_ledger)
        .where(digest_ledger.c.subscriber == email, digest_ledger.c.period_key == period_key, digest_ledger.c.status == DEFERRED)
        .values(status=SENDING, attempts=digest_ledger.c.attempts + 1, claimed_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class Outcome:
    email: str
    status: str  # one of FINAL_STATES or DEFERRED
    error: str | None = None
    next_attempt_at: datetime | None = None


def record_outcomes(connection: Connection, period_key: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write what happened to claimed rows; a sent digest also moves the subscriber's window on,
    a bounce marks the address so nothing more is sent to it."""
    if not outcomes:
        return
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
                "b_finished": None if o.status == DEFERRED else now,
            }
            for o in outcomes
        ],
    )
    sent = [{"b_email": o.email} for o in outcomes if o.status == SENT]
    if sent:
        connection.execute(
            update(subscriptions).where(subscriptions.c.email == bindparam("b_email")).values(last_digest_period=period_key),
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


def ledger_counts(connection: Connection, period_key: str) -> dict[str, int]:
    rows = connection.execute(
        select(digest_ledger.c.status, func.count()).where(digest_ledger.c.period_key == period_key).group_by(digest_ledger.c.status)
    )
    return {status: count for status, count in rows}


def ledger_rows(connection: Connection, period_key: str) -> list[dict]:
    rows = connection.execute(
        select(digest_ledger).where(digest_ledger.c.period_key == period_key).order_by(digest_ledger.c.subscriber)
    )
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

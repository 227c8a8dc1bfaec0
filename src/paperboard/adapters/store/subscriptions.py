"""Email subscriptions' lifecycle: one row per address, inserted once (re-subscribing changes
nothing), then the confirmation mail's bookkeeping, confirm, preferences, unsubscribe, bouncing.
What a digest run reads of subscribers, and its ledger, are ``digests.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, insert, or_, select, update

from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import subscriptions

PENDING, CONFIRMED, UNSUBSCRIBED = "pending", "confirmed", "unsubscribed"


def add_subscription(connection: Connection, email: str, *, source: str) -> bool:
    """Store ``email`` (already normalised) as pending; False when it was already there."""
    known = connection.execute(select(subscriptions.c.email).where(subscriptions.c.email == email)).first()
    if known is not None:
        return False
    connection.execute(insert(subscriptions).values(email=email, status=PENDING, source=source, created_at=utcnow()))
    return True


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


def claim_confirmation(connection: Connection, email: str, now: datetime) -> bool:
    """Take the owed confirmation mail of ``email`` (at most one taker); False when none is owed."""
    owed = and_(
        subscriptions.c.email == email,
        subscriptions.c.status == PENDING,
        subscriptions.c.confirmation_requested_at.is_not(None),
        or_(
            subscriptions.c.confirmation_sent_at.is_(None),
            subscriptions.c.confirmation_sent_at < subscriptions.c.confirmation_requested_at,
        ),
    )
    return connection.execute(update(subscriptions).where(owed).values(confirmation_sent_at=now)).rowcount == 1


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

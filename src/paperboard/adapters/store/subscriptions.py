"""Email subscriptions: one row per address, inserted once (re-subscribing changes nothing)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import subscriptions

PENDING = "pending"


def add_subscription(connection: Connection, email: str, *, source: str) -> bool:
    """Store ``email`` (already normalised) as pending; False when it was already there."""
    known = connection.execute(select(subscriptions.c.email).where(subscriptions.c.email == email)).first()
    if known is not None:
        return False
    connection.execute(insert(subscriptions).values(email=email, status=PENDING, source=source, created_at=utcnow()))
    return True

"""Email subscriptions and the digest ledger."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from paperboard.adapters.store.schema.base import metadata


# One row per email address (stored lower-cased). ``status`` is "pending" until the double opt-in
# confirms it (``confirmed_at``), "unsubscribed" after; ``bouncing`` stops every send. ``topics``
# is {"categories": [...], "searches": [...]}; ``user_id`` links an account holder's address later.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime),
    Column("frequency", String(16), nullable=False, server_default="daily"),
    Column("topics", JSON, nullable=False, server_default="{}"),
    Column("user_id", String(64)),
    Column("bouncing", Boolean, nullable=False, server_default=false()),
    Column("bounce_reason", Text),
    Column("last_digest_period", String(32)),
    Column("confirmation_requested_at", DateTime),
    Column("confirmation_sent_at", DateTime),
    Column("unsubscribed_at", DateTime),
    Index(None, "status"),
    Index(None, "frequency", "status", "email"),  # a digest run's pages of due subscribers: one range each
)


# Each digest exactly once: a row per (subscriber, period) is claimed (status "sending") and
# committed before the mail leaves; see services/digest.py for the order and why.
digest_ledger = Table(
    "digest_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber", String(320), ForeignKey("subscriptions.email", ondelete="CASCADE"), nullable=False),
    Column("period_key", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("message_id", String(255)),
    Column("last_error", Text),
    Column("claimed_at", DateTime, nullable=False),
    Column("next_attempt_at", DateTime),
    Column("finished_at", DateTime),
    UniqueConstraint("subscriber", "period_key"),
    Index(None, "period_key", "status"),
)

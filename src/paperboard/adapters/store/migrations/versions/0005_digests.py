"""Digest subscriptions: frequency, topics, bouncing, confirmation bookkeeping; the digest ledger.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: every new NOT NULL column carries a default for old rows.
    for column in (
        sa.Column("frequency", sa.String(16), nullable=False, server_default="daily"),
        sa.Column("topics", sa.JSON(), nullable=False, server_default="{}"),
        sa.Column("user_id", sa.String(64)),
        sa.Column("bouncing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("bounce_reason", sa.Text()),
        sa.Column("last_digest_period", sa.String(32)),
        sa.Column("confirmation_requested_at", sa.DateTime()),
        sa.Column("confirmation_sent_at", sa.DateTime()),
        sa.Column("unsubscribed_at", sa.DateTime()),
    ):
        op.add_column("subscriptions", column)
    op.create_index("ix_subscriptions_frequency_status", "subscriptions", ["frequency", "status"])
    op.create_table(
        "digest_ledger",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("subscriber", sa.String(320), nullable=False),
        sa.Column("period_key", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("message_id", sa.String(255)),
        sa.Column("last_error", sa.Text()),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_digest_ledger"),
        sa.ForeignKeyConstraint(
            ["subscriber"], ["subscriptions.email"], name="fk_digest_ledger_subscriber_subscriptions", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("subscriber", "period_key", name="uq_digest_ledger_subscriber_period_key"),
    )
    op.create_index("ix_digest_ledger_period_key_status", "digest_ledger", ["period_key", "status"])

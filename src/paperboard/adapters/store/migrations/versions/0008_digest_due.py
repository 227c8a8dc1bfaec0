"""The digest run's page of due subscribers in one index range: (frequency, status, email).

``due_subscribers`` asks for the next 50 confirmed subscribers of a frequency after an address,
in address order. With only (frequency, status) indexed, SQLite read every subscriber of the
frequency and sorted them for each page, so a 100,000-subscriber run read 100,000 rows 2,000
times. With the address in the index, a page is one range scan that stops after 50 rows. The
new index covers what the old one served, so the old one goes.

Revision ID: 0008_digest_due
Revises: 0007_community
"""

from alembic import op

revision = "0008_digest_due"
down_revision = "0007_community"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_subscriptions_frequency_status_email", "subscriptions", ["frequency", "status", "email"])
    op.drop_index("ix_subscriptions_frequency_status", table_name="subscriptions")


def downgrade() -> None:
    op.create_index("ix_subscriptions_frequency_status", "subscriptions", ["frequency", "status"])
    op.drop_index("ix_subscriptions_frequency_status_email", table_name="subscriptions")

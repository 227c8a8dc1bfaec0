"""Join the two migrations developed side by side on 0007 (the digest's due-page index and the
keyword statistics tables), so the history has one head again. No schema change.

Revision ID: 0009_merge
Revises: 0008_digest_due, 0008_search_stats
"""

revision = "0009_merge"
down_revision = ("0008_digest_due", "0008_search_stats")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass

"""Keyword documents never reuse a doc id: ``search_corpus_stats.last_doc_id``.

The in-memory postings (``adapters/search/postings.py``) catch up by loading the documents above
the largest doc id they have seen. SQLite gives a new row the largest id in the table plus one, so
deleting the newest document and indexing another would hand its id out again, and the postings
would keep the old text under it. The keyword index now assigns ids itself from this counter,
which only grows, on both engines.

Revision ID: 0010_last_doc_id
Revises: 0009_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_last_doc_id"
down_revision = "0009_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_corpus_stats") as batch:
        batch.add_column(sa.Column("last_doc_id", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE search_corpus_stats SET last_doc_id = (SELECT coalesce(max(doc_id), 0) FROM search_documents)")


def downgrade() -> None:
    with op.batch_alter_table("search_corpus_stats") as batch:
        batch.drop_column("last_doc_id")

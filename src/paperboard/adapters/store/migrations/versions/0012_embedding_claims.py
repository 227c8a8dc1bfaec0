"""Embedding claims: two embedders (an import and the catch-up job of a running ``up``, or several
workers) never embed the same paper.

An embedder claims a batch of papers before it embeds them, with a lease; it writes their vectors
and drops the claims in one transaction. Others skip papers under a live claim. A claim whose
embedder died lapses when its lease ends, and the papers become candidates again.

Revision ID: 0012_embedding_claims
Revises: 0011_data_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_embedding_claims"
down_revision = "0011_data_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding_claims",
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_embedding_claims_paper_id_papers", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model", "paper_id", name="pk_embedding_claims"),
    )


def downgrade() -> None:
    op.drop_table("embedding_claims")

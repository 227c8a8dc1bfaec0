"""Papers, their categories, daily features and harvest checkpoints.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("published", sa.DateTime()),
        sa.Column("updated", sa.DateTime()),
        sa.Column("announced", sa.Date()),
        sa.Column("comment", sa.Text()),
        sa.Column("journal_ref", sa.Text()),
        sa.Column("doi", sa.String(255)),
        sa.Column("abs_url", sa.Text()),
        sa.Column("pdf_url", sa.Text()),
        sa.Column("code_urls", sa.JSON(), nullable=False),
        sa.Column("huggingface_urls", sa.JSON(), nullable=False),
        sa.Column("project_url", sa.Text()),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_papers"),
    )
    op.create_index("ix_papers_announced", "papers", ["announced"])
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_index("ix_papers_modified_at", "papers", ["modified_at"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_categories_paper_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "category", name="pk_paper_categories"),
    )
    op.create_index("ix_paper_categories_category_paper_id", "paper_categories", ["category", "paper_id"])
    op.create_table(
        "daily_features",
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("featured_on", sa.Date(), nullable=False),
        sa.Column("submitter", sa.String(255)),
        sa.Column("imported_upvotes", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_daily_features_paper_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_daily_features"),
    )
    op.create_index("ix_daily_features_featured_on", "daily_features", ["featured_on"])
    op.create_table(
        "harvest_checkpoints",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_harvest_checkpoints"),
    )

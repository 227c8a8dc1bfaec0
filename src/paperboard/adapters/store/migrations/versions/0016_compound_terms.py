"""Compound names indexed by their parts too ("DiffusionNet" also as "diffusion" and "net";
``domain.analysis.index_terms``): every keyword document is marked for re-indexing.

The analyzer's version is part of each document's text hash (``ANALYZER_VERSION``), but a
catch-up only looks at papers modified since their indexing. This sets every document's
``indexed_at`` back, so the next catch-up (``paperboard reindex``, any ingest, the ``search-index``
job) analyzes each paper again and, its hash having changed, indexes it under a new doc id; the
in-memory postings then drop the old doc ids and rebuild. Until it has run, searches use the index
as it was. Downgrade marks them again, for the older analyzer.

Revision ID: 0016_compound_terms
Revises: 0015_pgvector
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0016_compound_terms"
down_revision = "0015_pgvector"
branch_labels = None
depends_on = None

# Before any paper's modified_at: papers.modified_at is never null and set when a paper is stored.
LONG_AGO = datetime(1970, 1, 1)
search_documents = sa.table("search_documents", sa.column("indexed_at", sa.DateTime))


def upgrade() -> None:
    op.get_bind().execute(sa.update(search_documents).values(indexed_at=LONG_AGO))


def downgrade() -> None:
    upgrade()

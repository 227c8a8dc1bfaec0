"""Keyword index statistics on SQLite too: document frequencies and corpus totals.

PostgreSQL has kept these since 0006 (its BM25 is computed in SQL). SQLite now keeps the same two
tables, so both engines read a term's document frequency with one index seek (FTS5 would walk the
term's whole doclist to count it) and score a bounded candidate set with the same formula
(``adapters/search/keyword.py``). Filled from the existing index on upgrade.

Revision ID: 0008_search_stats
Revises: 0007_community
"""

from alembic import op

revision = "0008_search_stats"
down_revision = "0007_community"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_term_stats (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
    op.execute("CREATE TABLE search_corpus_stats (id INTEGER PRIMARY KEY, documents INTEGER NOT NULL, "
               "total_length INTEGER NOT NULL)")
    op.execute("INSERT INTO search_term_stats (term, df) SELECT term, doc FROM search_fts_vocab")
    op.execute("INSERT INTO search_corpus_stats VALUES (1, (SELECT count(*) FROM search_documents), "
               "(SELECT coalesce(sum(length), 0) FROM search_documents))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE search_corpus_stats")
    op.execute("DROP TABLE search_term_stats")

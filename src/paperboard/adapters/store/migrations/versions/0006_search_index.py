"""Keyword search index: document table on both engines, full-text structures per engine.

SQLite: an FTS5 table whose row id is ``search_documents.doc_id``; it holds the analyzed terms of
title, abstract and authors (see ``paperboard.domain.analysis``), so BM25 runs in FTS5's C code.
PostgreSQL: the same analyzed terms as a weighted ``tsvector`` (title A, abstract B, authors C) with
a GIN index, plus document frequencies and corpus totals, so BM25 is computed in SQL with the
same formula and constants as FTS5's ``bm25()``. These engine-specific tables are not in the
declared schema (``schema.py``): they are the search adapter's private storage.

Revision ID: 0006_search
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_search"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("doc_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_search_documents_paper_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("doc_id", name="pk_search_documents"),
    )
    op.create_index("ix_search_documents_paper_id", "search_documents", ["paper_id"], unique=True)
    op.create_index("ix_search_documents_title_key", "search_documents", ["title_key"])
    if op.get_bind().dialect.name == "sqlite":
        # ``ascii`` splits only on ASCII punctuation and spaces: the analyzed terms (letters and
        # digits of any script, joined by single spaces) reach the index exactly as analyzed.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, abstract, authors, tokenize = 'ascii')"
        )
        op.execute("CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')")
        # A paper deleted (ON DELETE CASCADE) takes its full-text row along.
        op.execute(
            "CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents BEGIN "
            "DELETE FROM search_fts WHERE rowid = old.doc_id; END"
        )
        return
    op.execute(
        "CREATE TABLE search_terms_pg (doc_id integer PRIMARY KEY "
        "REFERENCES search_documents (doc_id) ON DELETE CASCADE, terms tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_terms_pg_terms ON search_terms_pg USING gin (terms)")
    op.execute("CREATE TABLE search_term_stats (term text PRIMARY KEY, df integer NOT NULL)")
    op.execute("CREATE TABLE search_corpus_stats (id integer PRIMARY KEY, documents bigint NOT NULL, "
               "total_length bigint NOT NULL)")
    op.execute("INSERT INTO search_corpus_stats VALUES (1, 0, 0)")

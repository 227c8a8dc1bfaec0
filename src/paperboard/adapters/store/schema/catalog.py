"""Papers and what is derived from them: categories, daily features, embeddings and their claims,
the keyword index's documents, repositories and stars, trending scores, checkpoints, and the
data versions the page cache watches."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from paperboard.adapters.store.schema.base import metadata


papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", JSON, nullable=False, default=list),
    Column("categories", JSON, nullable=False, default=list),
    Column("primary_category", String(32)),
    Column("published", DateTime),
    Column("updated", DateTime),
    Column("announced", Date),
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("doi", String(255)),
    Column("abs_url", Text),
    Column("pdf_url", Text),
    Column("code_urls", JSON, nullable=False, default=list),
    Column("huggingface_urls", JSON, nullable=False, default=list),
    Column("project_url", Text),
    Column("source", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("modified_at", DateTime, nullable=False),
    Index(None, "announced"),
    Index(None, "primary_category"),
    Index(None, "modified_at"),
)


# One row per (paper, category) so that category filters use an index on either database.
paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("category", String(32), primary_key=True),
    Index(None, "category", "paper_id"),
)


daily_features = Table(
    "daily_features",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("featured_on", Date, nullable=False),
    Column("submitter", String(255)),
    Column("imported_upvotes", Integer, nullable=False, default=0),
    Column("source", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(None, "featured_on"),
)


# A harvester's resume point: one JSON document per harvest key (source + parameters).
harvest_checkpoints = Table(
    "harvest_checkpoints",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


# One vector per (paper, embedding model): changing the model re-embeds, never mixes.
# ``text_hash`` says which title+abstract the vector was computed from, so edits re-embed.
paper_embeddings = Table(
    "paper_embeddings",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(128), primary_key=True),
    Column("dimension", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(None, "model", "created_at"),
)


# Papers an embedder is embedding now (``owner``), until ``expires_at``: another embedder skips them,
# so an import and a running ``up`` never embed one paper twice (migration 0012).
embedding_claims = Table(
    "embedding_claims",
    metadata,
    Column("model", String(128), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)


# One row per GitHub repository linked by a paper (URL as ``domain.links`` normalises it).
# ``status`` is "new" (never checked), "ok" or "gone" (404/451: deleted, renamed away or blocked);
# ``etag`` makes the next check conditional, so an unchanged repository costs no rate limit.
repositories = Table(
    "repositories",
    metadata,
    Column("url", String(255), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("stars", Integer),
    Column("etag", String(255)),
    Column("created_on_github", DateTime),
    Column("first_seen_at", DateTime, nullable=False),
    Column("last_checked_at", DateTime),
    Index(None, "last_checked_at"),
)


# Star history: a row each time a check found a different count (a step function in time).
repo_stars = Table(
    "repo_stars",
    metadata,
    Column("repo_url", String(255), ForeignKey("repositories.url", ondelete="CASCADE"), primary_key=True),
    Column("observed_at", DateTime, primary_key=True),
    Column("stars", Integer, nullable=False),
)


# The keyword index's document table: ``doc_id`` is the row id of the full-text index (FTS5 on
# SQLite, a tsvector table on PostgreSQL; both are engine-specific and created by migration 0006),
# ``title_key`` finds an exact title, ``length`` is the analyzed length BM25 normalises by.
search_documents = Table(
    "search_documents",
    metadata,
    Column("doc_id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("title_key", Text, nullable=False),
    Column("length", Integer, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("indexed_at", DateTime, nullable=False),
    Index(None, "paper_id", unique=True),
    Index(None, "title_key"),
)


# The trending list as the scheduled job last computed it: each paper's score and the terms of the
# formula (``domain.trending``) that produced it, so a page can say why a paper trends.
trending_scores = Table(
    "trending_scores",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("featured_on", Date, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    Index(None, "score"),
)


# A change counter per table that shared (cached) pages show, bumped by triggers in the writing
# transaction (migration 0011): the page cache's freshness check reads these few rows.
data_versions = Table(
    "data_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default="0"),
)

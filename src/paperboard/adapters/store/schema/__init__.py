"""The relational schema, declared once for SQLite and PostgreSQL alike, in three parts on one
``MetaData``: the paper catalog, members, and mail.

Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares them.
"""

from __future__ import annotations

from paperboard.adapters.store.schema.base import metadata
from paperboard.adapters.store.schema.catalog import (
    papers,
    paper_categories,
    daily_features,
    harvest_checkpoints,
    paper_embeddings,
    embedding_claims,
    repositories,
    repo_stars,
    search_documents,
    trending_scores,
    data_versions,
)
from paperboard.adapters.store.schema.mail import digest_ledger, subscriptions
from paperboard.adapters.store.schema.members import (
    users,
    user_tokens,
    api_tokens,
    rate_limit_hits,
    upvotes,
    comments,
    comment_reports,
    submissions,
    collections,
    collection_items,
    author_claims,
)

__all__ = [
    "metadata",
    "papers",
    "paper_categories",
    "daily_features",
    "harvest_checkpoints",
    "paper_embeddings",
    "embedding_claims",
    "subscriptions",
    "digest_ledger",
    "repositories",
    "repo_stars",
    "search_documents",
    "users",
    "user_tokens",
    "api_tokens",
    "rate_limit_hits",
    "upvotes",
    "comments",
    "comment_reports",
    "submissions",
    "collections",
    "collection_items",
    "author_claims",
    "trending_scores",
    "data_versions",
]

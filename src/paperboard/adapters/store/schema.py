"""The relational schema, declared once for SQLite and PostgreSQL alike.

Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    LargeBinary,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# Stable constraint names make migrations reproducible on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

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

# One row per email address (stored lower-cased). ``status`` is "pending" until the double opt-in
# confirms it (``confirmed_at``), "unsubscribed" after; ``bouncing`` stops every send. ``topics``
# is {"categories": [...], "searches": [...]}; ``user_id`` links an account holder's address later.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime),
    Column("frequency", String(16), nullable=False, server_default="daily"),
    Column("topics", JSON, nullable=False, server_default="{}"),
    Column("user_id", String(64)),
    Column("bouncing", Boolean, nullable=False, server_default=false()),
    Column("bounce_reason", Text),
    Column("last_digest_period", String(32)),
    Column("confirmation_requested_at", DateTime),
    Column("confirmation_sent_at", DateTime),
    Column("unsubscribed_at", DateTime),
    Index(None, "status"),
    Index(None, "frequency", "status", "email"),  # a digest run's pages of due subscribers: one range each
)

# Each digest exactly once: a row per (subscriber, period) is claimed (status "sending") and
# committed before the mail leaves; see services/digest.py for the order and why.
digest_ledger = Table(
    "digest_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber", String(320), ForeignKey("subscriptions.email", ondelete="CASCADE"), nullable=False),
    Column("period_key", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("message_id", String(255)),
    Column("last_error", Text),
    Column("claimed_at", DateTime, nullable=False),
    Column("next_attempt_at", DateTime),
    Column("finished_at", DateTime),
    UniqueConstraint("subscriber", "period_key"),
    Index(None, "period_key", "status"),
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

# ---- The research community (migration 0007) ------------------------------------------------------
# A member. ``email`` is stored lower-cased (``domain.email_address``); ``username`` is the public
# handle of the profile URL. ``session_version`` is part of every session cookie: bumping it (log out
# everywhere, password change or reset) invalidates every cookie issued before.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("username", String(40), nullable=False),
    Column("display_name", String(100)),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False, server_default="user"),
    Column("email_verified_at", DateTime),
    Column("session_version", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
    Index(None, "email", unique=True),
    Index(None, "username", unique=True),
)

# Single-use, expiring tokens sent by mail (``purpose`` "verify" or "reset"). Only a hash is kept,
# so a leaked database holds no usable link.
user_tokens = Table(
    "user_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Index(None, "token_hash", unique=True),
    Index(None, "user_id"),
)

# Personal API tokens for the JSON API's write endpoints; the secret is shown once, only its hash
# is stored, ``token_prefix`` lets the owner tell tokens apart.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("token_prefix", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Index(None, "token_hash", unique=True),
    Index(None, "user_id"),
)

# Named rate limiters: hits per (action, key) in fixed windows, in the database so every web
# process of a scale-out deployment counts against the same limit.
rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("action", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("window_start", DateTime, primary_key=True),
    Column("hits", Integer, nullable=False),
)

# One upvote per member per paper: the primary key makes a double vote count once.
upvotes = Table(
    "upvotes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index(None, "paper_id"),
)

# Comments, threaded one level (``parent_id`` is a top-level comment). A comment its author deletes
# keeps its place in the thread with ``deleted_at`` set and the body emptied; a deleted account takes
# its comments with it (CASCADE), and replies to those lose their parent and stand alone.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="SET NULL")),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("edited_at", DateTime),
    Column("deleted_at", DateTime),
    Column("hidden_at", DateTime),
    Column("hidden_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Index(None, "paper_id", "created_at"),
    Index(None, "user_id"),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
)

# A member's submission of a paper to the daily feed. The feature itself is a ``daily_features``
# row (source "community", featured on the submission date); this row says who submitted it, so
# the submitter shown is the member's current username and vanishes with the account.
submissions = Table(
    "submissions",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("submitted_on", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(None, "user_id", "submitted_on"),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("slug", String(80), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("is_public", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "slug"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("note", Text),
    Column("added_at", DateTime, nullable=False),
    Index(None, "paper_id"),
)

# A member's claim to be the author at ``author_position`` (0-based) of a paper; a moderator
# decides. ``author_name`` is the name in that slot when claimed, kept in case the paper changes.
author_claims = Table(
    "author_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("author_position", Integer, nullable=False),
    Column("author_name", String(255), nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("decided_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint("user_id", "paper_id"),
    Index(None, "paper_id", "author_position"),
    Index(None, "status"),
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

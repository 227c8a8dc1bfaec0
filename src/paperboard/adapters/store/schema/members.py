"""Members and what they do: accounts, mail tokens and API tokens, rate-limit counts, upvotes,
comments and reports, submissions, collections, authorship claims."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from paperboard.adapters.store.schema.base import metadata


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

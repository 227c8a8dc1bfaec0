"""Counters of the named rate limiters: one row per (action, key, window), incremented atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.schema import rate_limit_hits


def hit(connection: Connection, action: str, key: str, window_start: datetime) -> int:
    """Count one hit and return the window's total so far, itself included.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, so two processes hitting the
    same counter at once both count (no read-then-write race) on SQLite and PostgreSQL.
    """
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(rate_limit_hits).values(action=action, key=key, window_start=window_start, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["action", "key", "window_start"],
        set_={"hits": rate_limit_hits.c.hits + 1},
    ).returning(rate_limit_hits.c.hits)
    return connection.execute(statement).scalar_one()


def prune(connection: Connection, before: datetime) -> int:
    """Drop windows that started before ``before`` (none of them can still limit anyone)."""
    return connection.execute(delete(rate_limit_hits).where(rate_limit_hits.c.window_start < before)).rowcount

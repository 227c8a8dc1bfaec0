"""Members' upvotes (one row per member and paper: the primary key) and the counts cards show.

Adding is ``INSERT … ON CONFLICT DO NOTHING`` and removing a plain ``DELETE``: both are idempotent
and need no read first, so concurrent votes on one paper neither fail nor double (each is one row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.schema import comments, upvotes

_CHUNK = 500  # stays below SQLite's bound-parameter limit


@dataclass(frozen=True)
class PaperCounts:
    upvotes: int = 0  # members' upvotes (imported ones live on the daily feature)
    comments: int = 0  # comments neither deleted nor hidden


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def add_upvote(connection: Connection, user_id: int, paper_id: str, now: datetime) -> bool:
    """Upvote; False when the member had already upvoted the paper (nothing changes)."""
    statement = _insert(connection)(upvotes).values(user_id=user_id, paper_id=paper_id, created_at=now)
    # RETURNING rather than rowcount: psycopg does not report a row count for ON CONFLICT DO NOTHING.
    return connection.execute(statement.on_conflict_do_nothing().returning(upvotes.c.paper_id)).first() is not None


def remove_upvote(connection: Connection, user_id: int, paper_id: str) -> bool:
    """Take an upvote back; False when there was none."""
    statement = delete(upvotes).where(upvotes.c.user_id == user_id, upvotes.c.paper_id == paper_id)
    return connection.execute(statement).rowcount == 1


def upvote_count(connection: Connection, paper_id: str) -> int:
    return connection.execute(select(func.count()).select_from(upvotes).where(upvotes.c.paper_id == paper_id)).scalar_one()


def upvoted_by(connection: Connection, user_id: int, paper_ids: Sequence[str] | None = None) -> set[str]:
    """The papers (of ``paper_ids``, or all) that the member has upvoted: one primary-key range."""
    query = select(upvotes.c.paper_id).where(upvotes.c.user_id == user_id)
    if paper_ids is None:
        return set(connection.execute(query).scalars())
    found: set[str] = set()
    for start in range(0, len(paper_ids), _CHUNK):
        found.update(connection.execute(query.where(upvotes.c.paper_id.in_(list(paper_ids[start : start + _CHUNK])))).scalars())
    return found


def counts_of(connection: Connection, paper_ids: Sequence[str]) -> dict[str, PaperCounts]:
    """Members' upvotes and visible comments of each paper (papers with neither are left out)."""
    votes: dict[str, int] = {}
    talk: dict[str, int] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        votes.update(
            (paper_id, count) for paper_id, count in connection.execute(
                select(upvotes.c.paper_id, func.count()).where(upvotes.c.paper_id.in_(chunk)).group_by(upvotes.c.paper_id)
            )
        )
        visible = and_(comments.c.paper_id.in_(chunk), comments.c.deleted_at.is_(None), comments.c.hidden_at.is_(None))
        rows = connection.execute(select(comments.c.paper_id, func.count()).where(visible).group_by(comments.c.paper_id))
        talk.update((paper_id, count) for paper_id, count in rows)
    return {pid: PaperCounts(votes.get(pid, 0), talk.get(pid, 0)) for pid in ids if pid in votes or pid in talk}

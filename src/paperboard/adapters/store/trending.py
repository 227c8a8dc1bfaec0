"""The stored trending list (``trending_scores``) and the community signal it counts (``upvotes``).

The scheduled job replaces the whole list in one transaction, so a reader sees either the previous
computation or the new one, never a mix; a checkpoint row saved in the same transaction says when
and as of when it was computed (its absence means: never).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, select, text

from paperboard.adapters.store.checkpoints import load_checkpoint, save_checkpoint
from paperboard.adapters.store.schema import trending_scores, upvotes

_CHUNK = 500  # stays below SQLite's bound-parameter limit
COMPUTED_KEY = "trending:computed"


@dataclass(frozen=True)
class StoredScore:
    paper_id: str
    featured_on: date
    score: float
    terms: dict  # ``domain.trending.score_as_json``


def community_upvote_counts(connection: Connection, paper_ids: Sequence[str], until: datetime) -> dict[str, int]:
    """Members' upvotes of each of ``paper_ids`` cast at or before ``until`` (papers with none are left out)."""
    found: dict[str, int] = {}
    for start in range(0, len(paper_ids), _CHUNK):
        chunk = list(paper_ids[start : start + _CHUNK])
        rows = connection.execute(
            select(upvotes.c.paper_id, func.count())
            .where(upvotes.c.paper_id.in_(chunk), upvotes.c.created_at <= until)
            .group_by(upvotes.c.paper_id)
        )
        found.update({paper_id: count for paper_id, count in rows})
    return found


def replace_scores(connection: Connection, scores: Sequence[StoredScore], computed_at: datetime, state: dict) -> None:
    """Make ``scores`` the whole stored list and ``state`` its checkpoint, in the caller's transaction.

    On PostgreSQL two workers may recompute at once: the table lock (readers are not blocked)
    makes the second wait and then replace the first one's rows instead of colliding with them.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE trending_scores IN EXCLUSIVE MODE"))
    connection.execute(delete(trending_scores))
    rows = [
        dict(paper_id=s.paper_id, featured_on=s.featured_on, score=s.score, terms=s.terms, computed_at=computed_at)
        for s in scores
    ]
    for start in range(0, len(rows), _CHUNK):
        connection.execute(insert(trending_scores), rows[start : start + _CHUNK])
    save_checkpoint(connection, COMPUTED_KEY, state)


def computation_state(connection: Connection) -> dict | None:
    """What the last computation saved beside its scores; None when trending was never computed."""
    return load_checkpoint(connection, COMPUTED_KEY)


_ORDER = (trending_scores.c.score.desc(), trending_scores.c.featured_on.desc(), trending_scores.c.paper_id)


def _stored(row) -> StoredScore:
    return StoredScore(row.paper_id, row.featured_on, row.score, dict(row.terms or {}))


def ranked_scores(connection: Connection, *, offset: int, limit: int) -> tuple[list[StoredScore], int]:
    """One page of the stored list, best first, and how many there are in all."""
    total = connection.execute(select(func.count()).select_from(trending_scores)).scalar_one()
    rows = connection.execute(select(trending_scores).order_by(*_ORDER).offset(offset).limit(limit))
    return [_stored(r) for r in rows], total


def ranked_featured_between(connection: Connection, since: date, until: date, limit: int) -> list[StoredScore]:
    """Stored scores of papers featured from ``since`` to ``until``, best first."""
    rows = connection.execute(
        select(trending_scores)
        .where(trending_scores.c.featured_on >= since, trending_scores.c.featured_on <= until)
        .order_by(*_ORDER)
        .limit(limit)
    )
    return [_stored(r) for r in rows]


def scores_of(connection: Connection, paper_ids: Sequence[str]) -> dict[str, StoredScore]:
    found: dict[str, StoredScore] = {}
    for start in range(0, len(paper_ids), _CHUNK):
        chunk = list(paper_ids[start : start + _CHUNK])
        found.update({r.paper_id: _stored(r) for r in connection.execute(select(trending_scores).where(trending_scores.c.paper_id.in_(chunk)))})
    return found

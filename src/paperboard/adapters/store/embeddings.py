"""Paper vectors in ``paper_embeddings``: one row per (paper, model), float32 little-endian bytes.

Every query names the model, so vectors of two models are never read together; a model change
leaves the old rows in place (cheap to roll back) and embeds everything anew under the new name.
``created_at`` is when the vector was made or last confirmed to fit its paper's text: a paper
modified after it is a candidate for re-embedding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store import pgvectors
from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import embedding_claims, paper_embeddings, papers

_ID_CHUNK = 500  # stays below SQLite's bound-parameter limit
_VECTOR_DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class EmbeddingCandidate:
    """A paper that may need a vector: it has none for the model, or changed since it got one."""

    paper_id: str
    title: str
    abstract: str
    stored_text_hash: str | None  # None: no vector for this model yet


@dataclass(frozen=True)
class EmbeddingRow:
    paper_id: str
    vector: np.ndarray
    text_hash: str


def _candidates_condition(model: str):
    joined = papers.outerjoin(
        paper_embeddings, and_(paper_embeddings.c.paper_id == papers.c.id, paper_embeddings.c.model == model)
    )
    # A paper's text can only change through an update, which moves modified_at; comparing
    # timestamps in SQL narrows the candidates, the caller's text-hash comparison decides.
    stale = or_(paper_embeddings.c.paper_id.is_(None), papers.c.modified_at >= paper_embeddings.c.created_at)
    return joined, stale


def claim_candidates(
    connection: Connection, model: str, owner: str, limit: int, *, after_id: str, now: datetime, expires_at: datetime
) -> tuple[list[EmbeddingCandidate], str | None]:
    """Claim up to ``limit`` candidates after ``after_id`` that nobody else holds a live claim on.

    Returns the candidates this call claimed and the last paper id it looked at (None when there
    was no candidate left after ``after_id``). On PostgreSQL two embedders may pick the same rows
    at once: the claim is an upsert that takes over only a lapsed claim, so of two the first to
    commit wins and the other gets fewer rows (maybe none) and moves on.
    """
    joined, stale = _candidates_condition(model)
    held = exists().where(
        embedding_claims.c.model == model, embedding_claims.c.paper_id == papers.c.id, embedding_claims.c.expires_at > now
    )
    query = (
        select(papers.c.id, papers.c.title, papers.c.abstract, paper_embeddings.c.text_hash)
        .select_from(joined)
        .where(stale, papers.c.id > after_id, ~held)
        .order_by(papers.c.id)
        .limit(limit)
    )
    found = [EmbeddingCandidate(row.id, row.title, row.abstract or "", row.text_hash) for row in connection.execute(query)]
    if not found:
        return [], None
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    won: set[str] = set()
    for start in range(0, len(found), _ID_CHUNK):
        rows = [dict(model=model, paper_id=c.paper_id, owner=owner, expires_at=expires_at) for c in found[start : start + _ID_CHUNK]]
        statement = dialect.insert(embedding_claims).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[embedding_claims.c.model, embedding_claims.c.paper_id],
            set_={"owner": statement.excluded.owner, "expires_at": statement.excluded.expires_at},
            where=embedding_claims.c.expires_at <= now,
        ).returning(embedding_claims.c.paper_id)
        won.update(connection.execute(statement).scalars())
    return [c for c in found if c.paper_id in won], found[-1].paper_id


def release_claims(connection: Connection, model: str, owner: str, ids: list[str] | None = None) -> None:
    """Drop ``owner``'s claims on these papers (all of its claims when ``ids`` is None)."""
    mine = and_(embedding_claims.c.model == model, embedding_claims.c.owner == owner)
    if ids is None:
        connection.execute(delete(embedding_claims).where(mine))
        return
    for start in range(0, len(ids), _ID_CHUNK):
        connection.execute(delete(embedding_claims).where(mine, embedding_claims.c.paper_id.in_(ids[start : start + _ID_CHUNK])))


def claims_elsewhere(connection: Connection, model: str, owner: str, now: datetime) -> tuple[int, datetime | None]:
    """How many papers other embedders hold a live claim on, and when the last of those claims lapses."""
    return connection.execute(
        select(func.count(), func.max(embedding_claims.c.expires_at)).where(
            embedding_claims.c.model == model, embedding_claims.c.owner != owner, embedding_claims.c.expires_at > now
        )
    ).one()


def count_missing_or_stale(connection: Connection, model: str) -> int:
    joined, stale = _candidates_condition(model)
    return connection.execute(select(func.count()).select_from(joined).where(stale)).scalar_one()


def paper_texts(connection: Connection, ids: list[str], *, lock: bool = False) -> dict[str, tuple[str, str]]:
    """Current (title, abstract) of these papers; deleted ones are absent.

    ``lock`` takes row locks (PostgreSQL; SQLite's write transaction already excludes other
    writers) so that a text checked inside a write transaction cannot change before it commits.
    """
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), _ID_CHUNK):
        query = select(papers.c.id, papers.c.title, papers.c.abstract).where(papers.c.id.in_(ids[start : start + _ID_CHUNK]))
        if lock:
            query = query.with_for_update()
        found.update((row.id, (row.title, row.abstract or "")) for row in connection.execute(query))
    return found


def save_embeddings(connection: Connection, model: str, rows: Iterable[EmbeddingRow]) -> int:
    """Insert or replace the vectors of these papers for ``model``, inside the caller's transaction."""
    by_id = {row.paper_id: row for row in rows}
    if not by_id:
        return 0
    ids = list(by_id)
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        connection.execute(
            delete(paper_embeddings).where(paper_embeddings.c.model == model, paper_embeddings.c.paper_id.in_(chunk))
        )
    now = utcnow()
    connection.execute(
        insert(paper_embeddings),
        [
            {
                "paper_id": row.paper_id,
                "model": model,
                "dimension": int(row.vector.shape[0]),
                "vector": np.ascontiguousarray(row.vector, dtype=_VECTOR_DTYPE).tobytes(),
                "text_hash": row.text_hash,
                "created_at": now,
            }
            for row in by_id.values()
        ],
    )
    if connection.dialect.name == "postgresql":  # the same vectors for pgvector's index, same transaction
        pgvectors.store(connection, model, [(row.paper_id, row.vector) for row in by_id.values()])
    return len(by_id)


def mark_current(connection: Connection, model: str, ids: list[str]) -> None:
    """Record that these vectors were checked against their papers' current text and still fit.

    Papers modified in other fields (links, comments) stop being candidates this way.
    """
    now = utcnow()
    for start in range(0, len(ids), _ID_CHUNK):
        connection.execute(
            update(paper_embeddings)
            .where(paper_embeddings.c.model == model, paper_embeddings.c.paper_id.in_(ids[start : start + _ID_CHUNK]))
            .values(created_at=now)
        )


def count_embeddings(connection: Connection, model: str) -> int:
    return connection.execute(
        select(func.count()).select_from(paper_embeddings).where(paper_embeddings.c.model == model)
    ).scalar_one()


def iter_embeddings(
    connection: Connection, model: str, *, chunk_size: int = 5000
) -> Iterator[tuple[list[str], np.ndarray]]:
    """The vectors of ``model`` in paper-id order, ``chunk_size`` at a time: (ids, matrix)."""
    last_id = ""
    while True:
        rows = connection.execute(
            select(paper_embeddings.c.paper_id, paper_embeddings.c.dimension, paper_embeddings.c.vector)
            .where(paper_embeddings.c.model == model, paper_embeddings.c.paper_id > last_id)
            .order_by(paper_embeddings.c.paper_id)
            .limit(chunk_size)
        ).all()
        if not rows:
            return
        dimension = rows[0].dimension
        if any(row.dimension != dimension for row in rows):
            raise ValueError(f"vectors of model {model!r} have different dimensions")
        matrix = np.frombuffer(b"".join(row.vector for row in rows), dtype=_VECTOR_DTYPE).reshape(len(rows), dimension)
        yield [row.paper_id for row in rows], matrix
        last_id = rows[-1].paper_id

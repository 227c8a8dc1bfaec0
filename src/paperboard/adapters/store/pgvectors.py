"""Paper vectors in pgvector (PostgreSQL only): ``paper_vectors``, one ``halfvec`` per (model, paper).

Every embedding written to ``paper_embeddings`` is also written here, in the same statement batch
and transaction (``embeddings.save_embeddings``), and goes when its ``paper_embeddings`` row goes
(a foreign key with ``ON DELETE CASCADE``), so the two never disagree. Migration 0015 creates the
table and fills it from the stored vectors.

The column is a ``halfvec`` without a dimension, so one table holds any model's vectors; each model
gets its own partial HNSW index on ``embedding::halfvec(D)`` (``WHERE model = …``, cosine), made
when the model's first vectors are written (or by the migration, after its backfill). A query
names the model and casts to the same dimension, so the planner uses that model's index; a model
of another dimension gets another index and nothing else changes. ``halfvec`` rather than
``vector``: half the heap and half the index for the same recall on MiniLM's 384 dimensions
(bench/pgvector_recall.py).

The table is not in ``schema.metadata``: SQLite has no such table, and the schema test compares the
declared tables on both engines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from sqlalchemy import Connection, text

TABLE = "paper_vectors"
VECTOR_TYPE = "halfvec"
OPCLASS = "halfvec_cosine_ops"
# HNSW build settings: pgvector's default m, and the construction beam usearch's file index uses
# (128; pgvector's default 64 lost recall on filtered and deep searches of the sample).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
_ID_CHUNK = 500


class PgvectorMissing(RuntimeError):
    """The PostgreSQL server has no pgvector extension to install."""


def require_extension(connection: Connection) -> None:
    """Create the ``vector`` extension, or say in one line what the administrator must install."""
    installed = connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first()
    if installed:
        return
    available = connection.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first()
    if not available:
        version = connection.execute(text("SHOW server_version_num")).scalar_one()
        raise PgvectorMissing(
            "this PostgreSQL lacks the pgvector extension, which paperboard's vector search needs: install it "
            f"(Debian/Ubuntu: apt install postgresql-{int(version) // 10000}-pgvector; or the pgvector/pgvector "
            "Docker image) and run `paperboard db upgrade` again"
        )
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))


def literal(vector: np.ndarray) -> str:
    """pgvector's text form of ``vector``: '[x,y,…]' (a float32's shortest repr reads back exactly)."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def index_name(model: str) -> str:
    """The HNSW index of ``model``'s vectors (a digest: model ids hold characters names can't)."""
    return f"ix_{TABLE}_hnsw_{hashlib.sha256(model.encode()).hexdigest()[:16]}"


def model_condition(model: str) -> str:
    """``model = '…'`` as SQL text, for a partial index's predicate (quotes doubled)."""
    return "model = '" + model.replace("'", "''") + "'"


def create_table(connection: Connection) -> None:
    connection.execute(text(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " model varchar(128) NOT NULL,"
        " paper_id varchar(64) NOT NULL,"
        f" embedding {VECTOR_TYPE} NOT NULL,"
        f" CONSTRAINT pk_{TABLE} PRIMARY KEY (model, paper_id),"
        f" CONSTRAINT fk_{TABLE}_paper_embeddings FOREIGN KEY (paper_id, model)"
        "  REFERENCES paper_embeddings (paper_id, model) ON DELETE CASCADE)"
    ))


def ensure_index(connection: Connection, model: str, dimension: int) -> None:
    """Create ``model``'s HNSW index if it is missing (its first vectors, or after the backfill).

    Two writers may get here at once for a new model: a transaction-scoped advisory lock lets one
    create it and the other find it made. One catalog look-up a batch, not remembered: a rolled-back
    transaction would take a remembered index with it."""
    name = index_name(model)
    if connection.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar_one() is None:
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
        connection.execute(text(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} USING hnsw ((embedding::{VECTOR_TYPE}({int(dimension)}))"
            f" {OPCLASS}) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) WHERE {model_condition(model)}"
        ))


def store(connection: Connection, model: str, rows: Iterable[tuple[str, np.ndarray]]) -> int:
    """Write these (paper id, vector) pairs of ``model``, inside the caller's transaction. Their
    ``paper_embeddings`` rows were just written (the caller deleted the old ones, and with them,
    by the cascade, the old vectors here); an upsert all the same, so a replay writes nothing twice."""
    rows = list(rows)
    if not rows:
        return 0
    ensure_index(connection, model, int(rows[0][1].shape[0]))
    statement = text(
        f"INSERT INTO {TABLE} (model, paper_id, embedding) VALUES (:model, :paper_id, CAST(:embedding AS {VECTOR_TYPE}))"
        " ON CONFLICT (model, paper_id) DO UPDATE SET embedding = EXCLUDED.embedding"
    )
    for start in range(0, len(rows), _ID_CHUNK):
        connection.execute(statement, [
            {"model": model, "paper_id": paper_id, "embedding": literal(vector)}
            for paper_id, vector in rows[start : start + _ID_CHUNK]
        ])
    return len(rows)


def backfill(connection: Connection, page: int = 1000) -> dict[str, int]:
    """Copy every stored vector that has no row here yet, model by model in paper-id order, then
    build each model's index (after the copy: building once is far faster than growing it row by
    row). Returns how many vectors each model got."""
    copied: dict[str, int] = {}
    models = connection.execute(text("SELECT DISTINCT model, dimension FROM paper_embeddings ORDER BY model")).all()
    for model, dimension in models:
        after, copied[model] = "", 0
        while True:
            found = connection.execute(text(
                "SELECT e.paper_id, e.vector FROM paper_embeddings e"
                f" WHERE e.model = :model AND e.paper_id > :after AND NOT EXISTS (SELECT 1 FROM {TABLE} v"
                "  WHERE v.model = e.model AND v.paper_id = e.paper_id)"
                " ORDER BY e.paper_id LIMIT :page"
            ), {"model": model, "after": after, "page": page}).all()
            if not found:
                break
            statement = text(
                f"INSERT INTO {TABLE} (model, paper_id, embedding) VALUES (:model, :paper_id, CAST(:embedding AS {VECTOR_TYPE}))"
            )
            connection.execute(statement, [
                {"model": model, "paper_id": paper_id, "embedding": literal(np.frombuffer(blob, dtype="<f4"))}
                for paper_id, blob in found
            ])
            copied[model] += len(found)
            after = found[-1][0]
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        ensure_index(connection, model, int(dimension))
    return copied

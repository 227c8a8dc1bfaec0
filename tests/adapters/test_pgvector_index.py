"""The vector leg in PostgreSQL (pgvector HNSW, migration 0015) against exact search; SQLite unchanged."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import delete, insert, inspect, select, text

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.pgvector_index import PgVectorIndex
from paperboard.adapters.search.vectors import VectorIndex
from paperboard.adapters.store import pgvectors
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.embeddings import EmbeddingRow, save_embeddings
from paperboard.adapters.store.migrate import current_revision, head_revision, upgrade
from paperboard.adapters.store.papers import upsert_papers
from paperboard.adapters.store.schema import paper_embeddings, papers
from paperboard.domain.paper import Paper
from tests.factories import make_ctx

MODEL = "test-model@1"
postgres = pytest.mark.postgres
DIMENSION = 32


@pytest.fixture
def pg_database(new_database_url, tmp_path):
    db = Database(new_database_url("postgres", tmp_path))
    yield db
    db.dispose()


def _unit(rng, n, dimension=DIMENSION):
    vectors = rng.standard_normal((n, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _store(database, ids, vectors, categories=None):
    with database.write() as connection:
        upsert_papers(connection, [Paper(i, f"Paper {i}", categories=(categories or {}).get(i, ("cs.CL",))) for i in ids])
        save_embeddings(connection, MODEL, [EmbeddingRow(i, v, "h") for i, v in zip(ids, vectors)])


def _exact(query, ids, vectors, k):
    scores = vectors @ query
    return [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture
def corpus(pg_database):
    rng = np.random.default_rng(11)
    ids = [f"2601.{n:05d}" for n in range(400)]
    vectors = _unit(rng, len(ids))
    rare = {paper_id: ("hep-th",) for paper_id in ids[::25]}  # 16 papers of 400
    _store(pg_database, ids, vectors, rare)
    return ids, vectors, sorted(rare), rng


@postgres
def test_nearest_as_exact_search_finds_them(pg_database, corpus):
    ids, vectors, _rare, rng = corpus
    index = PgVectorIndex(MODEL, pg_database)
    assert len(index) == 400
    found = 0
    for query in _unit(rng, 20):
        hits = index.search(query, 10)
        assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
        found += len({paper_id for paper_id, _ in hits} & set(_exact(query, ids, vectors, 10)))
    assert found / 200 >= 0.98
    hits = index.search(vectors[7], 5)
    assert hits[0][0] == ids[7] and hits[0][1] == pytest.approx(1.0, abs=1e-3)
    assert ids[7] not in [h[0] for h in index.search(vectors[7], 5, exclude=ids[7])]
    assert len(index.search(vectors[7], 5, exclude=ids[7])) == 5
    among = ids[100:140]
    assert [h[0] for h in index.search(vectors[7], 6, among=among)] == _exact(vectors[7], among, vectors[100:140], 6)
    similarities = index.similarities(vectors[7], [ids[1], ids[2], "absent"])
    assert set(similarities) == {ids[1], ids[2]}
    assert similarities[ids[1]] == pytest.approx(float(vectors[1] @ vectors[7]), abs=2e-3)
    np.testing.assert_array_equal(index.vector_of(ids[9]), vectors[9])  # float32, not the index's halfvec
    assert index.vector_of("absent") is None
    assert index.search(np.zeros(DIMENSION, dtype=np.float32), 5) == []


@postgres
def test_a_filtered_search_returns_k_when_k_pass(pg_database, corpus):
    ids, vectors, rare, rng = corpus
    index = PgVectorIndex(MODEL, pg_database)
    wanted = PaperFilter(categories=("hep-th",))
    rare_vectors = vectors[[ids.index(paper_id) for paper_id in rare]]
    for query in _unit(rng, 5):
        hits = index.search(query, 10, paper_filter=wanted)
        assert [paper_id for paper_id, _ in hits] == _exact(query, rare, rare_vectors, 10)
        assert len(index.search(query, 50, paper_filter=wanted)) == len(rare)  # all 16, no more
    assert index.search(vectors[0], 10, paper_filter=PaperFilter(categories=("math.AG",))) == []


@postgres
def test_above_a_floor_is_every_paper_there(pg_database, corpus):
    ids, vectors, _rare, _rng = corpus
    index = PgVectorIndex(MODEL, pg_database)
    query = vectors[3]
    found = index.above(query, 0.2)
    scores = vectors @ query
    assert found.exact and found.total == len(found.hits)
    listed = {paper_id: score for paper_id, score in found.hits}
    # The index holds half precision: a cosine within 0.002 of the floor may fall either side.
    assert {ids[i] for i in np.flatnonzero(scores >= 0.202)} <= set(listed)
    assert all(scores[ids.index(paper_id)] >= 0.198 for paper_id in listed)
    assert found.hits[0] == (ids[3], pytest.approx(1.0, abs=1e-3))
    assert [s for _, s in found.hits] == sorted((s for _, s in found.hits), reverse=True)
    assert index.above(query, 1.5).total == 0


@postgres
def test_above_estimates_past_the_exact_scan(pg_database, corpus, monkeypatch):
    from paperboard.adapters.search import pgvector_index

    _ids, vectors, _rare, _rng = corpus
    monkeypatch.setattr(pgvector_index, "EXACT_SCAN", 100)
    monkeypatch.setattr(pgvector_index, "MAX_LISTED", 200)
    found = PgVectorIndex(MODEL, pg_database).above(vectors[3], -1.0)  # all 400 at or above
    assert not found.exact and len(found.hits) == 200 and found.total == 400


@postgres
def test_writes_replace_and_deletes_cascade(pg_database, corpus):
    ids, _vectors, _rare, rng = corpus
    index = PgVectorIndex(MODEL, pg_database)
    moved = _unit(rng, 1)[0]
    with pg_database.write() as connection:
        save_embeddings(connection, MODEL, [EmbeddingRow(ids[5], moved, "h2")])
        save_embeddings(connection, MODEL, [EmbeddingRow(ids[5], moved, "h2")])  # a replay writes nothing twice
    assert index.search(moved, 1)[0][0] == ids[5]
    with pg_database.write() as connection:
        connection.execute(delete(papers).where(papers.c.id == ids[5]))
    assert len(index) == 399
    assert ids[5] not in index.similarities(moved, [ids[5]])


@postgres
def test_two_machines_see_a_new_vector_at_once(pg_database, tmp_path):
    url = pg_database.url.render_as_string(hide_password=False)
    first, second = make_ctx(url, tmp_path / "one"), make_ctx(url, tmp_path / "two")
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 21)
    _store(first.database, [f"2602.{n:05d}" for n in range(20)], vectors[:20])
    indexes = [ctx.vector_index(MODEL) for ctx in (first, second)]
    assert all(isinstance(index, PgVectorIndex) for index in indexes)
    assert indexes[0].search(vectors[20], 3) == indexes[1].search(vectors[20], 3)
    _store(second.database, ["2602.99999"], vectors[20:])
    for ctx, index in zip((first, second), indexes):
        with ctx.database.read() as connection:
            assert index.sync(connection) == 0  # nothing to load: the next verb reads the database
            assert index.search(vectors[20], 1)[0][0] == "2602.99999"
        assert len(index) == 21
    assert not list((tmp_path / "one").glob("index/*")) and not list((tmp_path / "two").glob("index/*"))
    assert isinstance(make_ctx(url, tmp_path / "three", vector_index="file").vector_index(MODEL), VectorIndex)


@postgres
def test_the_migration_backfills_stored_vectors(new_database_url, tmp_path):
    old = Database(new_database_url("postgres", tmp_path, migrated=False))
    try:
        upgrade(old, "0014_title_keys")
        rng = np.random.default_rng(5)
        vectors = _unit(rng, 30)
        ids = [f"2603.{n:05d}" for n in range(30)]
        now = datetime(2026, 5, 5)
        with old.write() as connection:
            upsert_papers(connection, [Paper(i, f"Paper {i}") for i in ids])
            connection.execute(insert(paper_embeddings), [
                {"paper_id": i, "model": MODEL, "dimension": DIMENSION, "vector": v.astype("<f4").tobytes(),
                 "text_hash": "h", "created_at": now} for i, v in zip(ids, vectors)
            ])
        upgrade(old)
        assert current_revision(old) == head_revision()
        with old.read() as connection:
            assert connection.execute(text(f"SELECT count(*) FROM {pgvectors.TABLE}")).scalar_one() == 30
            assert connection.execute(text("SELECT to_regclass(:n)"), {"n": pgvectors.index_name(MODEL)}).scalar()
        assert PgVectorIndex(MODEL, old).search(vectors[12], 1)[0][0] == ids[12]
    finally:
        old.dispose()


def test_sqlite_keeps_the_file_index(sqlite_database, tmp_path):
    assert pgvectors.TABLE not in inspect(sqlite_database.engine).get_table_names()
    ctx = make_ctx(sqlite_database, tmp_path / "home")
    assert isinstance(ctx.vector_index(MODEL), VectorIndex)
    _store(sqlite_database, ["2604.00001"], _unit(np.random.default_rng(1), 1))
    with sqlite_database.read() as connection:
        assert connection.execute(select(paper_embeddings.c.paper_id)).scalars().all() == ["2604.00001"]

"""Vectors in paper_embeddings, on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from paperboard.adapters.store import embeddings, papers
from paperboard.adapters.store.database import Database
from paperboard.domain.paper import Paper

MODEL = "test-model@1"
NOW = datetime(2026, 4, 14, 12, 0)


def _all_vectors(connection, model: str, chunk_size: int = 5000) -> tuple[list[str], np.ndarray]:
    chunks = list(embeddings.iter_embeddings(connection, model, chunk_size=chunk_size))
    if not chunks:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [i for ids, _ in chunks for i in ids], np.vstack([matrix for _, matrix in chunks])


def _candidates(database: Database, model: str, limit: int = 10, after_id: str = "") -> list[embeddings.EmbeddingCandidate]:
    """What an embedder would claim now; each claim lapses at once, so the next call sees the same."""
    with database.write() as connection:
        return embeddings.claim_candidates(connection, model, "test", limit, after_id=after_id, now=NOW, expires_at=NOW)[0]


def _add_papers(database: Database, count: int) -> list[str]:
    ids = [f"2401.{n:05d}" for n in range(count)]
    with database.write() as connection:
        papers.upsert_papers(connection, [Paper(id=i, title=f"Title {i}", abstract=f"Abstract {i}.") for i in ids])
    return ids


def _rows(ids: list[str], dimension: int = 4, offset: float = 0.0) -> list[embeddings.EmbeddingRow]:
    return [
        embeddings.EmbeddingRow(paper_id, np.arange(dimension, dtype=np.float32) + n + offset, f"hash-{paper_id}")
        for n, paper_id in enumerate(ids)
    ]


def test_vectors_round_trip_exactly_in_id_order(database: Database):
    ids = _add_papers(database, 11)
    rows = _rows(ids[::-1], offset=0.123456789)
    with database.write() as connection:
        assert embeddings.save_embeddings(connection, MODEL, rows) == 11
    with database.read() as connection:
        loaded_ids, matrix = _all_vectors(connection, MODEL, chunk_size=3)
        chunks = list(embeddings.iter_embeddings(connection, MODEL, chunk_size=4))
    assert loaded_ids == ids
    expected = {row.paper_id: row.vector for row in rows}
    np.testing.assert_array_equal(matrix, np.stack([expected[i] for i in ids]))
    assert matrix.dtype == np.float32 and matrix.shape == (11, 4)
    assert [len(chunk_ids) for chunk_ids, _ in chunks] == [4, 4, 3]


def test_saving_again_replaces_and_never_doubles(database: Database):
    ids = _add_papers(database, 3)
    with database.write() as connection:
        embeddings.save_embeddings(connection, MODEL, _rows(ids))
    with database.write() as connection:
        embeddings.save_embeddings(connection, MODEL, _rows(ids[:1], offset=10.0))
    with database.read() as connection:
        loaded_ids, matrix = _all_vectors(connection, MODEL)
        assert embeddings.count_embeddings(connection, MODEL) == 3
    assert loaded_ids == ids
    np.testing.assert_array_equal(matrix[0], np.arange(4, dtype=np.float32) + 10.0)


def test_models_never_mix(database: Database):
    ids = _add_papers(database, 3)
    with database.write() as connection:
        embeddings.save_embeddings(connection, MODEL, _rows(ids))
        embeddings.save_embeddings(connection, "other@1", _rows(ids[:2], dimension=8))
    with database.read() as connection:
        assert _all_vectors(connection, MODEL)[1].shape == (3, 4)
        assert _all_vectors(connection, "other@1")[1].shape == (2, 8)
        assert _all_vectors(connection, "absent@1")[0] == []
    assert [c.paper_id for c in _candidates(database, "other@1")] == [ids[2]]


def test_candidates_are_the_missing_and_the_modified(database: Database):
    ids = _add_papers(database, 5)
    everything = _candidates(database, MODEL)
    assert [c.paper_id for c in everything] == ids and all(c.stored_text_hash is None for c in everything)
    assert [c.paper_id for c in _candidates(database, MODEL, 2, after_id=ids[1])] == ids[2:4]
    assert everything[0].title == f"Title {ids[0]}" and everything[0].abstract == f"Abstract {ids[0]}."
    with database.write() as connection:
        embeddings.save_embeddings(connection, MODEL, _rows(ids[:3]))
    assert [c.paper_id for c in _candidates(database, MODEL)] == ids[3:]
    with database.read() as connection:
        assert embeddings.count_missing_or_stale(connection, MODEL) == 2
    with database.write() as connection:
        papers.upsert_papers(connection, [Paper(id=ids[0], title="A new title", version=2)])
    stale = _candidates(database, MODEL)
    assert [c.paper_id for c in stale] == [ids[0], *ids[3:]]
    assert stale[0].stored_text_hash == f"hash-{ids[0]}" and stale[0].title == "A new title"
    with database.write() as connection:
        embeddings.mark_current(connection, MODEL, [ids[0]])
    assert [c.paper_id for c in _candidates(database, MODEL)] == ids[3:]


def test_paper_texts_skips_deleted_papers(database: Database):
    ids = _add_papers(database, 2)
    with database.write() as connection:
        texts = embeddings.paper_texts(connection, [*ids, "2401.99999"], lock=True)
    assert texts == {i: (f"Title {i}", f"Abstract {i}.") for i in ids}


def test_a_failed_batch_stores_nothing(database: Database):
    ids = _add_papers(database, 2)
    with pytest.raises(RuntimeError):
        with database.write() as connection:
            embeddings.save_embeddings(connection, MODEL, _rows(ids))
            raise RuntimeError("killed mid-batch")
    with database.read() as connection:
        assert embeddings.count_embeddings(connection, MODEL) == 0

"""The vector index against a real database: exact and HNSW search, incremental sync, files."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from paperboard.adapters.search.vectors import VectorIndex
from paperboard.adapters.store.embeddings import EmbeddingRow, save_embeddings
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.paper import Paper

MODEL = "test-model@1"


def _unit(rng, n, dimension=16):
    vectors = rng.standard_normal((n, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _store(database, ids, vectors, model=MODEL):
    with database.write() as connection:
        upsert_papers(connection, [Paper(i, f"Paper {i}") for i in ids])
        save_embeddings(connection, model, [EmbeddingRow(i, v, "h") for i, v in zip(ids, vectors)])


def _exact_order(query, ids, vectors):
    return [ids[i] for i in np.argsort(-(vectors @ query), kind="stable")]


@pytest.mark.parametrize("threshold", [10_000, 20], ids=["exact", "hnsw"])
def test_nearest_neighbours_and_incremental_sync(sqlite_database, tmp_path, threshold):
    rng = np.random.default_rng(7)
    ids = [f"2601.{n:05d}" for n in range(60)]
    vectors = _unit(rng, 60)
    _store(sqlite_database, ids[:40], vectors[:40])
    index = VectorIndex(MODEL, tmp_path / "index", ann_threshold=threshold)
    with sqlite_database.read() as connection:
        assert index.sync(connection) == 40
        assert index.sync(connection) == 0
    assert index.approximate == (threshold == 20)
    query = vectors[3]
    hits = index.search(query, 5)
    assert hits[0][0] == ids[3] and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [h[0] for h in hits] == _exact_order(query, ids[:40], vectors[:40])[:5]
    assert ids[3] not in [h[0] for h in index.search(query, 5, exclude=ids[3])]

    _store(sqlite_database, ids[40:], vectors[40:])
    with sqlite_database.read() as connection:
        assert index.sync(connection) == 20
    assert len(index) == 60
    assert [h[0] for h in index.search(vectors[55], 3)] == _exact_order(vectors[55], ids, vectors)[:3]
    among = ids[10:20]
    assert [h[0] for h in index.search(query, 3, among=among)] == _exact_order(
        query, among, vectors[10:20]
    )[:3]
    np.testing.assert_allclose(index.vector_of(ids[50]), vectors[50], atol=1e-6)
    assert index.vector_of("absent") is None


def test_changed_vectors_replace_old_ones(sqlite_database, tmp_path):
    rng = np.random.default_rng(1)
    ids = [f"2602.{n:05d}" for n in range(30)]
    vectors = _unit(rng, 30)
    _store(sqlite_database, ids, vectors)
    index = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        index.sync(connection)
    moved = -vectors[0]
    with sqlite_database.write() as connection:
        save_embeddings(connection, MODEL, [EmbeddingRow(ids[0], moved, "h2")])
    with sqlite_database.read() as connection:
        index.sync(connection)
    assert len(index) == 30
    assert index.search(moved, 1)[0][0] == ids[0]
    assert ids[0] not in [h[0] for h in index.search(vectors[0], 5)]


def test_graph_is_saved_and_reloaded_and_model_change_starts_afresh(sqlite_database, tmp_path):
    rng = np.random.default_rng(2)
    ids = [f"2603.{n:05d}" for n in range(40)]
    vectors = _unit(rng, 40)
    _store(sqlite_database, ids, vectors)
    first = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        first.sync(connection)
    first.save()
    again = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        assert again.sync(connection) == 0  # everything came from the files
    assert len(again) == 40 and again.approximate
    assert again.search(vectors[7], 1)[0][0] == ids[7]
    other = VectorIndex("other-model@2", tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        assert other.sync(connection) == 0
    assert len(other) == 0 and other.search(vectors[7], 3) == []


def test_a_damaged_file_costs_a_rebuild_not_an_error(sqlite_database, tmp_path):
    rng = np.random.default_rng(3)
    ids = [f"2604.{n:05d}" for n in range(30)]
    vectors = _unit(rng, 30)
    _store(sqlite_database, ids, vectors)
    index = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        index.sync(connection)
    index.save()
    for path in tmp_path.glob("*.usearch"):
        path.write_bytes(b"not a graph")
    fresh = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        assert fresh.sync(connection) == 30
    assert fresh.search(vectors[4], 1)[0][0] == ids[4]


def test_the_graph_never_loads_usearch_before_onnxruntime():
    # Importing onnxruntime after usearch crashed the whole process (segfault), so the check runs
    # in a child: build a graph, then load the embedder's runtime.
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from paperboard.adapters.search.vectors import VectorIndex\n"
        "index = VectorIndex('m@1', None, ann_threshold=2)\n"
        "index._add(['a', 'b', 'c'], np.eye(3, 4, dtype=np.float32))\n"
        "assert index.approximate\n"
        "import onnxruntime\n"
        "print('alive')\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0 and "alive" in finished.stdout, finished.stderr[-2000:]


def test_a_search_request_never_waits_for_the_graph_and_loses_nothing_built_meanwhile(sqlite_database, tmp_path, monkeypatch):
    """Crossing the threshold from a search builds the graph on a thread: searches stay exact
    meanwhile, and vectors added or replaced during the build are in the graph swapped in."""
    from paperboard.adapters.search import vectors as vectors_module

    rng = np.random.default_rng(11)
    ids = [f"2603.{n:05d}" for n in range(50)]
    vectors = _unit(rng, 50)
    _store(sqlite_database, ids[:40], vectors[:40])
    release = threading.Event()
    real_new_graph = vectors_module._new_graph

    def slow_new_graph(matrix):  # the build takes as long as the test says
        assert release.wait(60)
        return real_new_graph(matrix)

    monkeypatch.setattr(vectors_module, "_new_graph", slow_new_graph)
    index = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        assert index.sync(connection, graph_in_background=True) == 40
    assert not index.approximate  # the build is still running; this search is exact
    assert [h[0] for h in index.search(vectors[7], 3)] == _exact_order(vectors[7], ids[:40], vectors[:40])[:3]

    moved = -vectors[0]
    _store(sqlite_database, ids[40:], vectors[40:])
    with sqlite_database.write() as connection:
        save_embeddings(connection, MODEL, [EmbeddingRow(ids[0], moved, "h2")])
    with sqlite_database.read() as connection:
        assert index.sync(connection, graph_in_background=True) == 11
    release.set()
    index.wait_for_graph(60)
    assert index.approximate and len(index) == 50
    expected = np.vstack([moved, vectors[1:]])
    for probe in (moved, vectors[45], vectors[3]):
        assert [h[0] for h in index.search(probe, 3)] == _exact_order(probe, ids, expected)[:3]
    index.save()  # waits for nothing now, writes the graph
    again = VectorIndex(MODEL, tmp_path, ann_threshold=10)
    with sqlite_database.read() as connection:
        assert again.sync(connection) == 0 and again.approximate and len(again) == 50


@pytest.mark.parametrize("threshold", [1000, 20])
def test_similarities_score_any_paper_the_fusion_asks_about(sqlite_database, tmp_path, threshold):
    rng = np.random.default_rng(11)
    ids = [f"2601.{n:05d}" for n in range(40)]
    vectors = _unit(rng, 40)
    _store(sqlite_database, ids, vectors)
    index = VectorIndex(MODEL, tmp_path / "index", ann_threshold=threshold)
    with sqlite_database.read() as connection:
        index.sync(connection)
    query = _unit(rng, 1)[0]
    found = index.similarities(query, [ids[7], ids[30], "absent", ids[7]])
    assert set(found) == {ids[7], ids[30]}  # one entry each; a paper without a vector left out
    for paper_id in found:
        assert found[paper_id] == pytest.approx(float(vectors[ids.index(paper_id)] @ query), abs=1e-5)
    assert index.similarities(query, []) == {}

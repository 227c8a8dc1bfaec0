"""The vector leg: nearest papers by cosine, exact with numpy or approximate with usearch HNSW.

Vectors live in the database (``paper_embeddings``); this index is a process-local copy for fast
search, kept current incrementally: each search first asks the database for the newest vector's
time (an index seek) and loads only what came after. Below ``ann_threshold`` vectors the search is
an exact matrix product; above
it an HNSW graph, saved beside the database (``HOME/index``) so a restart loads it instead of
rebuilding, grown in place as vectors arrive, and rebuilt when the model changes.

Vectors are unit length (the embedder's contract), so the inner product is the cosine.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, func, select

from paperboard.adapters.store.schema import paper_embeddings

# Exact search reads every vector each time: at the 19,883-paper sample that is 30 MB a query, and
# it slowed the whole search (its other legs too), p50 38.9 ms / p99 97.9 against 22.0 / 51.3 with
# HNSW (bench/search_latency.py sample, back to back), whose recall@100 there is 0.973
# (bench/vector_recall.py). Below 10,000 (SciFact's 5,183 included) search stays exact.
ANN_THRESHOLD = 10_000
# HNSW settings: connectivity 16 and expansion 64/128 are usearch's defaults' neighbourhood; a search
# asks for more neighbours than wanted when results will be filtered afterwards.
_CONNECTIVITY = 16
_EXPANSION_ADD = 128
_EXPANSION_SEARCH = 96
_BEAM_PER_NEIGHBOUR = 3
_SAVE_EVERY = 5_000  # vectors added since the last save before the graph is saved again
_FORMAT = 1
# Every paper above a similarity floor (a search's semantic matches) is found by comparing the query
# with every vector while there are at most EXACT_SCAN of them (one matrix-vector product: 0.3 ms
# for the sample's 19,883, a copy of 30 MB kept beside the graph); above that, the graph lists the
# nearest (up to MAX_LISTED) and a strided sample of SAMPLE_ROWS vectors estimates how many there are.
EXACT_SCAN = 100_000
MAX_LISTED = 10_000
SAMPLE_ROWS = 20_000


@dataclass(frozen=True)
class Neighbours:
    """The papers at or above a similarity floor."""

    hits: list[tuple[str, float]]  # (paper id, cosine), best first: all of them, or the nearest listed
    total: int  # how many there are: exact, or estimated when ``exact`` is False
    exact: bool


class VectorIndex:
    """Nearest-neighbour search over one embedding model's vectors."""

    filters_in_index = False  # a filter is checked on oversampled hits (PgVectorIndex applies it)

    def __init__(self, model: str, directory: Path | None = None, *, ann_threshold: int = ANN_THRESHOLD) -> None:
        self.model = model
        self.directory = directory
        self.ann_threshold = ann_threshold
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._graph = None
        self._watermark: datetime | None = None
        self._unsaved = 0
        self._loaded = False
        # A graph being built on a thread (``sync(..., graph_in_background=True)``) and the rows of
        # its snapshot replaced meanwhile, to re-add when it is swapped in.
        self._builder: threading.Thread | None = None
        self._replaced_while_building: set[int] = set()
        # With a graph, a copy of every vector for scanning (at most EXACT_SCAN), or a strided
        # sample (its stride, its matrix) for estimating; built when first needed.
        self._scan: np.ndarray | None = None
        self._sample: tuple[int, np.ndarray] | None = None

    # -- keeping current ----------------------------------------------------------------------
    def sync(self, connection: Connection, *, graph_in_background: bool = False) -> int:
        """Load vectors stored since the last sync; return how many were new or changed.

        Crossing ``ann_threshold`` builds the HNSW graph: seconds for 10,000 vectors, more on a busy
        machine. A search request passes ``graph_in_background`` so that it never waits for that:
        the graph is built on a thread while searches stay exact, and swapped in when ready.
        """
        with self._lock:
            if not self._loaded:
                self._load_saved()
                self._loaded = True
            newest = connection.execute(
                select(func.max(paper_embeddings.c.created_at)).where(paper_embeddings.c.model == self.model)
            ).scalar_one()
            if newest is None or (self._watermark is not None and newest <= self._watermark):
                return 0
            query = select(paper_embeddings.c.paper_id, paper_embeddings.c.vector, paper_embeddings.c.created_at).where(
                paper_embeddings.c.model == self.model
            )
            if self._watermark is not None:
                # ">=": rows saved in the same instant as the last ones seen may have committed later.
                query = query.where(paper_embeddings.c.created_at >= self._watermark)
            ids, vectors = [], []
            for paper_id, blob, created_at in connection.execute(query.order_by(paper_embeddings.c.created_at)):
                ids.append(paper_id)
                vectors.append(np.frombuffer(blob, dtype="<f4"))
                self._watermark = created_at if self._watermark is None else max(self._watermark, created_at)
            if not ids:
                return 0
            return self._add(ids, np.vstack(vectors).astype(np.float32, copy=False), graph_in_background)

    def _add(self, ids: list[str], vectors: np.ndarray, graph_in_background: bool = False) -> int:
        """Add new vectors, replace changed ones; return how many of either."""
        dimension = self._dimension()
        if dimension not in (0, vectors.shape[1]):
            raise ValueError(f"vectors of {self.model!r} changed dimension: {dimension} → {vectors.shape[1]}")
        known = [(self._rows[i], v) for i, v in zip(ids, vectors) if i in self._rows]
        replaced = [(row, v) for row, v in known if not np.array_equal(self._vectors([row])[0], v)]
        fresh = [(i, v) for i, v in zip(ids, vectors) if i not in self._rows]
        fresh_rows = list(range(len(self._ids), len(self._ids) + len(fresh)))
        for paper_id, _vector in fresh:
            self._rows[paper_id] = len(self._ids)
            self._ids.append(paper_id)
        if self._graph is None:
            parts = [self._matrix.reshape(-1, vectors.shape[1])] + [np.vstack([v for _, v in fresh])] * bool(fresh)
            self._matrix = np.vstack(parts)
            for row, vector in replaced:
                self._matrix[row] = vector
                if self._builder is not None:
                    self._replaced_while_building.add(row)
            if len(self._ids) >= self.ann_threshold and self._builder is None:
                if graph_in_background:
                    self._start_building()
                else:
                    self._build_graph()
        else:
            if self._scan is not None:
                self._scan = self._scan_grown(fresh, replaced)
            for row, _vector in replaced:
                self._graph.remove(row)
            changed = fresh_rows + [row for row, _ in replaced]
            if changed:
                stacked = np.vstack([v for _, v in fresh] + [v for _, v in replaced])
                self._graph.add(np.array(changed, dtype=np.uint64), stacked, threads=_threads())
        self._unsaved += len(fresh) + len(replaced)
        if self._graph is not None and self._unsaved >= _SAVE_EVERY:
            self.save()
        return len(fresh) + len(replaced)

    def _dimension(self) -> int:
        if self._graph is not None:
            return self._graph.ndim
        return self._matrix.shape[1] if self._matrix.size else 0

    def _vectors(self, rows) -> np.ndarray:
        """The vectors of these rows: from the matrix, or (above the threshold) from the graph,
        which holds the only copy so a million vectors are in memory once."""
        if self._graph is None:
            return self._matrix[np.asarray(rows, dtype=np.int64)]
        return np.asarray(self._graph.get(np.asarray(rows, dtype=np.uint64)), dtype=np.float32).reshape(len(rows), -1)

    def _scan_grown(self, fresh, replaced) -> np.ndarray | None:
        """The scan copy with these vectors added and replaced (None past EXACT_SCAN)."""
        if len(self._ids) > EXACT_SCAN:
            return None
        scan = np.vstack([self._scan, *[v[None, :] for _, v in fresh]]) if fresh else self._scan
        for row, vector in replaced:
            scan[row] = vector
        return scan

    def _build_graph(self) -> None:
        self._graph = _new_graph(self._matrix)
        self._scan = self._matrix if len(self._ids) <= EXACT_SCAN else None
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def _start_building(self) -> None:
        """Build the graph from a snapshot on a thread (searches stay exact meanwhile); then, under
        the lock, add what arrived since the snapshot, re-add what was replaced, and swap it in."""
        snapshot = self._matrix[: len(self._ids)].copy()
        self._replaced_while_building = set()

        def build() -> None:
            graph = _new_graph(snapshot)
            with self._lock:
                rows = len(self._ids)
                if rows > len(snapshot):
                    graph.add(np.arange(len(snapshot), rows, dtype=np.uint64), self._matrix[len(snapshot) : rows],
                              threads=_threads())
                for row in sorted(r for r in self._replaced_while_building if r < len(snapshot)):
                    graph.remove(row)
                    graph.add(np.array([row], dtype=np.uint64), self._matrix[row : row + 1])
                self._scan = self._matrix[:rows] if rows <= EXACT_SCAN else None
                self._graph, self._matrix = graph, np.zeros((0, 0), dtype=np.float32)
                self._builder = None

        self._builder = threading.Thread(target=build, name="paperboard-hnsw-build", daemon=True)
        self._builder.start()

    def wait_for_graph(self, timeout: float | None = None) -> None:
        """Until a graph being built on a thread is swapped in (a save, a test)."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    # -- files beside the database ------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path] | None:
        if self.directory is None:
            return None
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model)
        return self.directory / f"{stem}.usearch", self.directory / f"{stem}.ids.json"

    def save(self) -> None:
        """Write the graph and its ids (atomically: a crash leaves the old pair or the new)."""
        paths = self._paths()
        self.wait_for_graph()
        if paths is None or self._graph is None:
            return
        graph_path, meta_path = paths
        graph_path.parent.mkdir(parents=True, exist_ok=True)
        self._graph.save(str(graph_path) + ".tmp")
        meta = {"format": _FORMAT, "model": self.model, "ids": self._ids,
                "watermark": self._watermark.isoformat() if self._watermark else None}
        Path(str(meta_path) + ".tmp").write_text(json.dumps(meta))
        os.replace(str(graph_path) + ".tmp", graph_path)
        os.replace(str(meta_path) + ".tmp", meta_path)
        self._unsaved = 0

    def _load_saved(self) -> None:
        paths = self._paths()
        if paths is None or not all(path.exists() for path in paths):
            return
        graph_path, meta_path = paths
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("format") != _FORMAT or meta.get("model") != self.model:
                return
            graph = _usearch_index().restore(str(graph_path))
        except (OSError, ValueError, KeyError, RuntimeError):
            # A damaged or foreign file costs a rebuild from the database, never a wrong answer.
            return
        if graph is None or len(graph) != len(meta["ids"]):
            return
        self._ids = list(meta["ids"])
        self._rows = {paper_id: row for row, paper_id in enumerate(self._ids)}
        self._graph = graph
        self._watermark = datetime.fromisoformat(meta["watermark"]) if meta.get("watermark") else None

    # -- searching ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    @property
    def approximate(self) -> bool:
        return self._graph is not None

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        row = self._rows.get(paper_id)
        return None if row is None else self._vectors([row])[0]

    def search(
        self, vector: np.ndarray, k: int, *, among: list[str] | None = None, exclude: str | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers (id, cosine), best first; ``among`` limits the search to those ids."""
        if k <= 0 or not self._ids or vector is None or not np.any(vector):
            return []
        vector = np.asarray(vector, dtype=np.float32)
        with self._lock:
            ids, graph = self._ids, self._graph
            if among is not None:
                rows = np.array(sorted({self._rows[i] for i in among if i in self._rows}), dtype=np.int64)
                return _exact(vector, k, self._vectors(rows) if len(rows) else np.zeros((0, 1)), rows, ids, exclude)
            if graph is None:
                return _exact(vector, k, self._matrix, None, ids, exclude)
            wanted = min(k + 1, len(ids))
            # The search's beam must be wider than the neighbours asked for: at 96 for 100 it found
            # 0.89 of the true 100 on the sample's real vectors, at three times as many 0.97 (+0.7 ms).
            graph.expansion_search = max(_EXPANSION_SEARCH, _BEAM_PER_NEIGHBOUR * wanted)
            found = graph.search(vector, wanted)
        hits = [(ids[int(row)], 1.0 - float(distance)) for row, distance in zip(found.keys, found.distances)]
        return [hit for hit in hits if hit[0] != exclude][:k]

    def similarities(self, vector: np.ndarray, paper_ids: list[str]) -> dict[str, float]:
        """The cosine of each of ``paper_ids`` that has a vector to ``vector`` (the fusion scores
        every candidate by both legs, not only those this index proposed)."""
        vector = np.asarray(vector, dtype=np.float32)
        with self._lock:
            known = [(paper_id, self._rows[paper_id]) for paper_id in dict.fromkeys(paper_ids) if paper_id in self._rows]
            if not known:
                return {}
            scores = self._vectors([row for _, row in known]) @ vector
        return {paper_id: float(score) for (paper_id, _row), score in zip(known, scores)}

    def above(self, vector: np.ndarray, floor: float) -> Neighbours:
        """Every paper whose cosine to ``vector`` is at least ``floor``, best first: exact up to
        EXACT_SCAN vectors; above, the nearest MAX_LISTED by the graph and the count estimated
        from a strided sample when they are all above the floor."""
        if not self._ids or vector is None or not np.any(vector):
            return Neighbours([], 0, True)
        vector = np.asarray(vector, dtype=np.float32)
        with self._lock:
            ids, size = self._ids, len(self._ids)
            if size <= EXACT_SCAN:
                if self._graph is not None and self._scan is None:
                    self._scan = self._vectors(range(size))
                scores = _products(self._scan if self._graph is not None else self._matrix, size, vector)
                rows = np.flatnonzero(scores >= floor)
                rows = rows[np.argsort(-scores[rows], kind="stable")]
                # Thousands of neighbours for a long query: made into pairs in C, not one by one.
                return Neighbours(list(zip(map(ids.__getitem__, rows.tolist()), scores[rows].tolist())), len(rows), True)
        depth = 100
        while True:
            hits = self.search(vector, depth)
            if len(hits) < depth or hits[-1][1] < floor or depth >= MAX_LISTED:
                break
            depth = min(MAX_LISTED, depth * 4)
        hits = [hit for hit in hits if hit[1] >= floor]
        if len(hits) < depth:
            return Neighbours(hits, len(hits), True)
        with self._lock:
            sample = self._sampled()
            share = float(np.mean(_products(sample, len(sample), vector) >= floor))
        return Neighbours(hits, max(len(hits), round(share * len(self._ids))), False)

    def _sampled(self) -> np.ndarray:
        """Every stride-th vector, SAMPLE_ROWS in all; taken again once the index grew a tenth."""
        stride = max(1, len(self._ids) // SAMPLE_ROWS)
        if self._sample is None or stride > self._sample[0] * 1.1:
            self._sample = (stride, self._vectors(range(0, len(self._ids), stride)))
        return self._sample[1]


def _products(matrix: np.ndarray, rows: int, vector: np.ndarray) -> np.ndarray:
    """The first ``rows`` rows of ``matrix`` times ``vector``, by numpy's own loop rather than BLAS:
    beside onnxruntime's threads, OpenBLAS's took 12 ms for the sample's 19,883 vectors, this 1.5."""
    return np.einsum("ij,j->i", matrix[:rows], vector)


def _new_graph(matrix: np.ndarray):
    graph = _usearch_index()(
        ndim=matrix.shape[1],
        metric="ip",
        dtype="f32",
        connectivity=_CONNECTIVITY,
        expansion_add=_EXPANSION_ADD,
        expansion_search=_EXPANSION_SEARCH,
    )
    graph.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=_threads())
    return graph


def _exact(vector, k, matrix, rows, ids, exclude) -> list[tuple[str, float]]:
    if len(matrix) == 0:
        return []
    scores = matrix @ vector
    wanted = min(k + 1, len(scores))
    best = np.argpartition(-scores, wanted - 1)[:wanted]
    best = best[np.argsort(-scores[best], kind="stable")]
    hits = []
    for position in best:
        row = int(rows[position]) if rows is not None else int(position)
        if ids[row] != exclude:
            hits.append((ids[row], float(scores[position])))
    return hits[:k]


def _usearch_index():
    """usearch's Index class, imported after onnxruntime: the other way round, importing
    onnxruntime (1.32) in a process that has loaded usearch (2.26, with numkong 7.8) crashes it with
    a segmentation fault; this order works (tests/adapters/test_vectors.py checks it)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:  # the model's runtime is optional for the vector index itself
        pass
    from usearch.index import Index

    return Index


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows lack sched_getaffinity
        return os.cpu_count() or 1

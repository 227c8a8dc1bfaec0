"""The vector leg on PostgreSQL: pgvector's HNSW index in the database, no copy in the process.

The same verbs as ``vectors.VectorIndex`` (``search``, ``above``, ``similarities``, ``vector_of``,
``len``), each answered by SQL over ``paper_vectors`` (``adapters/store/pgvectors.py``, migration
0015), so every web process on every machine sees a vector as soon as its transaction commits, and
holds nothing but this small object.

Which connection: the services call ``sync(connection)`` before they search, as the file index
needs; here that only binds the connection to the calling thread, and the verbs that follow on
that thread run in it (the caller's read transaction and time budget). A verb called with no open
bound connection opens a read of its own; each verb also takes ``connection=`` outright.

Recall: ``hnsw.ef_search`` is set per query, three times the neighbours asked for (at least 100,
at most pgvector's 1,000), and ``hnsw.iterative_scan`` lets a scan go on past its beam when rows
are filtered out (relaxed order, so the hits are sorted again). A search limited to a list of
papers (``among``) is exact, by primary key; a search with a ``PaperFilter`` is the index with the
filter joined in, and exact over the papers that pass (listed first) when the scan gave up before ``k``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import (
    Connection,
    Float,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import UserDefinedType

from paperboard.adapters.search.filters import matching_ids
from paperboard.adapters.search.vectors import MAX_LISTED, Neighbours
from paperboard.adapters.store import pgvectors
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.schema import paper_embeddings, papers

_BEAM_PER_NEIGHBOUR = 3
_MIN_BEAM = 100  # at 64, recall@10 was 0.955 on the sample (bench/pgvector_recall.py)
_MAX_BEAM = 1000  # pgvector's limit for hnsw.ef_search
# Tuples an iterative scan may visit before it gives up (pgvector's default is 20,000); a filtered
# search that finds fewer than k by then is answered exactly over the papers that pass.
_MAX_SCAN_TUPLES = 40_000
# ``above``: every vector compared in one scan up to EXACT_SCAN of them; above that, the index
# lists the nearest, up to MAX_LISTED, and a block sample of about SAMPLE_ROWS estimates the count
# when they all pass. A scan of the sample's 19,883 halfvecs took 30 ms at p50, the index's listing
# a few (bench/pgvector_recall.py, 2 loaded cores), so the scan is for small corpora only.
EXACT_SCAN = 5_000
SAMPLE_ROWS = 20_000
# ``len``: counted exactly while the index holds at most this many (a count of 20,000 index
# entries is about a millisecond); above it the planner's estimate of the index's size, which
# ANALYZE and autovacuum keep within a few per cent.
EXACT_COUNT = 100_000


_EVERY_PAPER = 10**9  # no cap: the exact fallback lists every paper passing the filter


class PgVectorIndex:
    """Nearest-neighbour search over one model's vectors in PostgreSQL (pgvector HNSW, cosine)."""

    approximate = True
    # A filter is applied inside the index scan (iterative scans, then an exact fallback): the
    # search asks it for the filtered nearest rather than oversampling and filtering afterwards.
    filters_in_index = True

    def __init__(self, model: str, database: Database) -> None:
        self.model = model
        self.database = database
        self._bound = threading.local()

    # -- the file index's upkeep, here nothing to do ------------------------------------------------
    def sync(self, connection: Connection, *, graph_in_background: bool = False) -> int:
        """Nothing to load (the database is the index): binds ``connection`` to this thread for the
        verbs that follow, and returns 0."""
        self._bound.connection = connection
        return 0

    def save(self) -> None:
        """Nothing to save: the index is the database's."""

    def wait_for_graph(self, timeout: float | None = None) -> None:
        """No graph is ever built in this process."""

    @contextmanager
    def _connection(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        bound = getattr(self._bound, "connection", None)
        if bound is not None and not bound.closed and bound.in_transaction():
            yield bound
            return
        with self.database.read() as fresh:
            yield fresh

    # -- verbs --------------------------------------------------------------------------------------
    def count(self, *, connection: Connection | None = None) -> int:
        with self._connection(connection) as db:
            estimate = db.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                {"name": pgvectors.index_name(self.model)},
            ).scalar()
            if estimate is not None and estimate > EXACT_COUNT:
                return int(estimate)
            return db.execute(select(func.count()).select_from(_vectors).where(_vectors.c.model == self.model)).scalar_one()

    def __len__(self) -> int:
        return self.count()

    def vector_of(self, paper_id: str, *, connection: Connection | None = None) -> np.ndarray | None:
        """The stored float32 vector (``paper_embeddings``, exact), not the index's half precision."""
        with self._connection(connection) as db:
            blob = db.execute(select(paper_embeddings.c.vector).where(
                paper_embeddings.c.model == self.model, paper_embeddings.c.paper_id == paper_id)).scalar()
        return None if blob is None else np.frombuffer(blob, dtype="<f4").copy()

    def similarities(self, vector: np.ndarray, paper_ids: list[str], *,
                     connection: Connection | None = None) -> dict[str, float]:
        """The cosine of each of ``paper_ids`` that has a vector to ``vector``."""
        ids = list(dict.fromkeys(paper_ids))
        if not ids or vector is None:
            return {}
        query, _ = self._candidates(vector, among=ids)
        with self._connection(connection) as db:
            rows = db.execute(query).all()
        return {paper_id: 1.0 - float(distance) for paper_id, distance in rows}

    def search(self, vector: np.ndarray, k: int, *, among: list[str] | None = None, exclude: str | None = None,
               paper_filter=None, connection: Connection | None = None) -> list[tuple[str, float]]:
        """The ``k`` nearest papers (id, cosine), best first: ``among`` limits the search to those
        ids (exactly); ``paper_filter`` (a ``filters.PaperFilter``) to the papers that pass it."""
        if k <= 0 or vector is None or not np.any(vector):
            return []
        wanted = k + (exclude is not None)
        with self._connection(connection) as db:
            if among is not None:
                hits = self._exact(db, vector, wanted, among=list(dict.fromkeys(among)))
            elif paper_filter is not None and paper_filter.active:
                hits = self._nearest(db, vector, wanted, paper_filter)
                if len(hits) < wanted:  # the scan gave up early, or fewer pass: ask exactly
                    hits = self._exact(db, vector, wanted, among=matching_ids(db, paper_filter, _EVERY_PAPER))
            else:
                hits = self._nearest(db, vector, wanted)
        return [hit for hit in hits if hit[0] != exclude][:k]

    def above(self, vector: np.ndarray, floor: float, *, connection: Connection | None = None) -> Neighbours:
        """Every paper whose cosine to ``vector`` is at least ``floor``, best first: exact up to
        EXACT_SCAN vectors; above, the nearest MAX_LISTED by the index and the count estimated from
        a block sample when they are all above the floor (``Neighbours.exact`` False)."""
        if vector is None or not np.any(vector):
            return Neighbours([], 0, True)
        with self._connection(connection) as db:
            size = self.count(connection=db)
            if not size:
                return Neighbours([], 0, True)
            if size <= EXACT_SCAN:
                query, _ = self._candidates(vector)
                scored = query.cte("scored").prefix_with("MATERIALIZED")
                rows = db.execute(select(scored.c.paper_id, scored.c.d).where(scored.c.d <= 1.0 - floor)
                                  .order_by(scored.c.d, scored.c.paper_id)).all()
                return Neighbours([(paper_id, 1.0 - float(d)) for paper_id, d in rows], len(rows), True)
            depth = 100
            while True:
                hits = self._nearest(db, vector, depth)
                if len(hits) < depth or hits[-1][1] < floor or depth >= MAX_LISTED:
                    break
                depth = min(MAX_LISTED, depth * 4)
            hits = [hit for hit in hits if hit[1] >= floor]
            if len(hits) < depth:
                return Neighbours(hits, len(hits), True)
            # A block sample: SYSTEM reads whole pages, a few hundred instead of every one; REPEATABLE
            # keeps the estimate (and so the pages' count) the same from one page of results to the next.
            percent = min(100.0, 100.0 * SAMPLE_ROWS / size)
            sampled = _vectors.tablesample(func.system(percent), seed=literal_column("1"))
            distance = self._distance(vector, sampled.c.embedding)
            share = db.execute(
                select(func.avg(cast(distance <= 1.0 - floor, Integer)))
                .select_from(sampled).where(sampled.c.model == self.model)
            ).scalar()
        return Neighbours(hits, max(len(hits), round(float(share or 0.0) * size)), False)

    # -- SQL ----------------------------------------------------------------------------------------
    @staticmethod
    def _distance(vector: np.ndarray, embedding=None):
        """The cosine distance to the query as the model's index computes it (the same cast, so the
        planner can use the index; the dimension is the query's, which is the model's)."""
        dimension = int(np.asarray(vector).shape[0])
        embedding = _vectors.c.embedding if embedding is None else embedding
        return cast(embedding, _HalfVec(dimension)).op("<=>", return_type=Float)(
            cast(bindparam("q", pgvectors.literal(vector)), _HalfVec(dimension))
        )

    def _candidates(self, vector: np.ndarray, paper_filter=None, among: list[str] | None = None):
        """(paper_id, d) of the model's vectors, limited to ``among`` or joined to the filter's papers."""
        distance = self._distance(vector).label("d")
        query = select(_vectors.c.paper_id, distance).where(_vectors.c.model == self.model)
        if among is not None:
            query = query.where(_vectors.c.paper_id == any_(bindparam("ids", among, type_=ARRAY(String))))
        if paper_filter is not None:
            query = query.join(papers, papers.c.id == _vectors.c.paper_id).where(paper_filter.condition())
        return query, distance

    def _nearest(self, db: Connection, vector: np.ndarray, k: int, paper_filter=None) -> list[tuple[str, float]]:
        """Through the HNSW index: a beam of three times ``k`` and an iterative scan (relaxed
        order, so sorted again outside), the filter joined in when there is one."""
        beam = min(_MAX_BEAM, max(_MIN_BEAM, _BEAM_PER_NEIGHBOUR * k))
        sort_was = db.execute(text(
            "SELECT current_setting('enable_sort'), set_config('hnsw.ef_search', :beam, true),"
            " set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', :tuples, true)"
        ), {"beam": str(beam), "tuples": str(_MAX_SCAN_TUPLES)}).scalar_one()
        query, distance = self._candidates(vector, paper_filter)
        nearest = query.order_by(distance).limit(k).cte("nearest").prefix_with("MATERIALIZED")
        if paper_filter is None:
            return _hits(db, nearest, k)
        # With a filter joined in, the planner's estimate sent the sample's cs.CL search (29 % of the
        # papers) to a sort of every vector passing the filter: 59 ms, by the index 15-19. Broad
        # filters come here (a narrow one is a list, ``among``): the sort is off for this query only.
        db.execute(text("SELECT set_config('enable_sort', 'off', true)"))
        try:
            return _hits(db, nearest, k)
        finally:
            db.execute(text("SELECT set_config('enable_sort', :was, true)"), {"was": sort_was})

    def _exact(self, db: Connection, vector: np.ndarray, k: int, *, among: list[str]) -> list[tuple[str, float]]:
        """Every listed paper compared, by primary key: a materialized set, so the planner cannot
        take the index. (A filter's papers are listed first: joined instead, the planner compared
        every vector and joined each to its paper, 150 ms on the sample for a filter two pass.)"""
        query, _ = self._candidates(vector, among=among)
        return _hits(db, query.cte("scored").prefix_with("MATERIALIZED"), k)


class _HalfVec(UserDefinedType):
    """pgvector's ``halfvec(D)``, for casts (the column itself is declared in migration 0015)."""

    cache_ok = True

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension

    def get_col_spec(self, **_kw) -> str:
        return f"{pgvectors.VECTOR_TYPE}({self.dimension})"


_vectors = table(pgvectors.TABLE, column("model", String), column("paper_id", String), column("embedding"))


def _hits(db: Connection, scored, k: int) -> list[tuple[str, float]]:
    """The best ``k`` of a (paper_id, d) set as (paper id, cosine), ties by id."""
    rows = db.execute(select(scored.c.paper_id, scored.c.d).order_by(scored.c.d, scored.c.paper_id).limit(k)).all()
    return [(paper_id, 1.0 - float(distance)) for paper_id, distance in rows]

"""pgvector's HNSW (the PostgreSQL vector leg) against exact search and the file index: recall@10,
unfiltered and filtered, and time per call.

    PAPERBOARD_HOME=/tmp/pgv-bench/home \
    PAPERBOARD_DATABASE_URL='postgresql+psycopg://postgres@/sample?host=/tmp/pgv-bench/data' \
    python bench/pgvector_recall.py [--queries 200] [--compare-vector]

Needs a PostgreSQL database at migration 0015 whose papers are embedded (the 19,883-paper sample
imported with --no-embed, its vectors copied from an SQLite home's paper_embeddings before the
upgrade, which backfills them). Queries are title words (bench/search_latency.py's), embedded by
the product's model. Truth is numpy over the stored float32 vectors. Filters: a broad category
(cs.CV), a narrow one (hep-th) and a month, each through ``search(paper_filter=...)`` (the index
with an iterative scan, or exact when it gives up) and through ``among`` (an exact list: what the
service does for filters passing at most 5,000 papers). Times are per call inside an open read
(the service's case), the file index (usearch HNSW, the product's beam) beside it.
``--compare-vector`` also builds the same index over ``vector(384)`` in a scratch table to compare
its size, recall and speed with ``halfvec``'s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_latency import queries, real_records

from paperboard.adapters.search.filters import PaperFilter, matching_ids
from paperboard.adapters.search.pgvector_index import PgVectorIndex
from paperboard.adapters.search.vectors import VectorIndex
from paperboard.adapters.store import pgvectors
from paperboard.adapters.store.embeddings import iter_embeddings
from paperboard.services.context import default_context

FILTERS = {
    "cs.CV": PaperFilter(categories=("cs.CV",)),
    "hep-th": PaperFilter(categories=("hep-th",)),
    "2026-04": PaperFilter(date_from=date(2026, 4, 1), date_until=date(2026, 4, 30)),
}


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    return f"p50 {statistics.median(timings):.2f} ms, p99 {timings[int(0.99 * (len(timings) - 1))]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--compare-vector", action="store_true")
    args = parser.parse_args()
    ctx = default_context()
    model = ctx.embedder.model_id
    database = ctx.database
    pg = PgVectorIndex(model, database)
    file_index = VectorIndex(model, None)
    with database.read(timeout_ms=600_000) as connection:
        parts = list(iter_embeddings(connection, model))
        file_index.sync(connection)
        passing = {name: set(matching_ids(connection, f, 10**9)) for name, f in FILTERS.items()}
    file_index.wait_for_graph()
    ids = [paper_id for chunk, _ in parts for paper_id in chunk]
    matrix = np.vstack([m for _, m in parts])
    print(f"{len(ids):,} vectors of {model}; file index {'HNSW' if file_index.approximate else 'exact'}")
    texts = queries(real_records(), args.queries)
    vectors = [ctx.embedder.embed_query(t) for t in texts]
    k = args.k

    def truth(vector, allowed=None):
        scores = matrix @ vector
        order = np.argsort(-scores, kind="stable")
        return [ids[i] for i in order if allowed is None or ids[i] in allowed][:k]

    def run(label, call, allowed=None, depth=k):
        recalls, timings, short = [], [], 0
        with database.read() as connection:
            for vector in vectors:
                started = time.perf_counter()
                hits = call(vector, connection)
                timings.append((time.perf_counter() - started) * 1000)
                true = truth(vector, allowed)
                short += len(hits) < min(depth, len(allowed) if allowed is not None else depth)
                recalls.append(len({h for h, _ in hits[:k]} & set(true)) / max(1, len(true)))
        print(f"{label:<44} recall@{k} {np.mean(recalls):.4f} (min {min(recalls):.2f}), {percentiles(timings)}"
              + (f", {short} short" if short else ""))

    timings = []
    with database.read() as connection:
        for _ in vectors:
            started = time.perf_counter()
            connection.execute(text("SELECT 1")).scalar()
            timings.append((time.perf_counter() - started) * 1000)
    print(f"a round trip (SELECT 1) for scale: {percentiles(timings)}")
    for depth in (k, 100):
        run(f"pgvector search k={depth}", lambda v, c, d=depth: pg.search(v, d, connection=c), depth=depth)
        run(f"file index search k={depth}", lambda v, c, d=depth: file_index.search(v, d), depth=depth)
    for name, paper_filter in FILTERS.items():
        allowed = passing[name]
        print(f"filter {name}: {len(allowed):,} papers pass")
        run("  pgvector search k=100, paper_filter", lambda v, c, f=paper_filter: pg.search(v, 100, paper_filter=f,
            connection=c), allowed, depth=100)
        among = sorted(allowed)[:5000]
        if len(allowed) <= 5000:
            run("  pgvector search k=100, among (exact)", lambda v, c, a=among: pg.search(v, 100, among=a, connection=c),
                allowed, depth=100)
        run("  file index k=300 then filtered (service)", lambda v, c, a=allowed: [
            h for h in file_index.search(v, 300) if h[0] in a], allowed, depth=100)
    for label, index in (("pgvector", pg), ("file index", file_index)):
        timings, totals = [], []
        with database.read() as connection:
            for vector in vectors:
                started = time.perf_counter()
                found = index.above(vector, 0.4, connection=connection) if index is pg else index.above(vector, 0.4)
                timings.append((time.perf_counter() - started) * 1000)
                totals.append(found.total)
        print(f"{label} above(0.4): {percentiles(timings)}; median {statistics.median(totals):.0f} papers")
    for label, call in (("pgvector", lambda v, c, i: pg.similarities(v, i, connection=c)),
                        ("file index", lambda v, c, i: file_index.similarities(v, i))):
        timings = []
        with database.read() as connection:
            for n, vector in enumerate(vectors):
                chosen = ids[n * 97 % len(ids):][:200]
                started = time.perf_counter()
                call(vector, connection, chosen)
                timings.append((time.perf_counter() - started) * 1000)
        print(f"{label} similarities(200 ids): {percentiles(timings)}")
    with database.read() as connection:
        sizes = connection.execute(text(
            f"SELECT pg_size_pretty(pg_table_size('{pgvectors.TABLE}')), pg_size_pretty(pg_relation_size(:ix))"
        ), {"ix": pgvectors.index_name(model)}).one()
    print(f"halfvec: table {sizes[0]}, HNSW index {sizes[1]}")
    if args.compare_vector:
        compare_vector(database, model, vectors, truth, k)


def compare_vector(database, model, vectors, truth, k) -> None:
    """The same HNSW over ``vector(384)`` in a scratch table: its size, recall and time."""
    dimension = len(vectors[0])
    with database.write() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_vectors_f32"))
        started = time.perf_counter()
        connection.execute(text(
            f"CREATE TABLE bench_vectors_f32 AS SELECT paper_id, embedding::vector({dimension}) AS embedding"
            f" FROM {pgvectors.TABLE} WHERE model = :model"), {"model": model})
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        connection.execute(text(
            "CREATE INDEX bench_vectors_f32_hnsw ON bench_vectors_f32 USING hnsw (embedding vector_cosine_ops)"
            f" WITH (m = {pgvectors.HNSW_M}, ef_construction = {pgvectors.HNSW_EF_CONSTRUCTION})"))
    print(f"vector({dimension}) copy and index: {time.perf_counter() - started:.1f} s")
    recalls, timings = [], []
    with database.read() as connection:
        connection.execute(text("SELECT set_config('hnsw.ef_search', '64', true)"))
        for vector in vectors:
            literal = pgvectors.literal(vector)
            started = time.perf_counter()
            rows = connection.execute(text(
                f"SELECT paper_id FROM bench_vectors_f32 ORDER BY embedding <=> CAST(:q AS vector({dimension})) LIMIT :k"
            ), {"q": literal, "k": k}).scalars().all()
            timings.append((time.perf_counter() - started) * 1000)
            recalls.append(len(set(rows) & set(truth(vector))) / k)
        sizes = connection.execute(text(
            "SELECT pg_size_pretty(pg_table_size('bench_vectors_f32')), pg_size_pretty(pg_relation_size('bench_vectors_f32_hnsw'))"
        )).one()
    print(f"vector({dimension}) k={k}: recall@{k} {np.mean(recalls):.4f}, {percentiles(timings)}; "
          f"table {sizes[0]}, HNSW index {sizes[1]}")
    with database.write() as connection:
        connection.execute(text("DROP TABLE bench_vectors_f32"))


if __name__ == "__main__":
    main()

"""HNSW against exact search on real vectors: recall@100 and time per search, by beam width.

    PAPERBOARD_HOME=/tmp/pb-bench/home python bench/vector_recall.py [--queries 200]

Needs a home whose papers are embedded (the 19,883-paper sample imported, then `paperboard
reindex`). Builds an HNSW graph over the stored vectors with the product's settings, embeds
queries made of title words (as bench/search_latency.py does), and compares the graph's 100
nearest with the exact 100 for several beam widths (usearch's expansion_search).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_latency import queries, real_records  # noqa: E402

from paperboard.adapters.search.vectors import VectorIndex  # noqa: E402
from paperboard.services.context import default_context  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    ctx = default_context()
    exact = VectorIndex(ctx.embedder.model_id, None, ann_threshold=10**9)
    graph = VectorIndex(ctx.embedder.model_id, None, ann_threshold=0)
    with ctx.database.read() as connection:
        exact.sync(connection)
        started = time.perf_counter()
        graph.sync(connection)
    print(f"{len(exact):,} vectors; HNSW built in {time.perf_counter() - started:.1f} s")
    vectors = [ctx.embedder.embed_query(text) for text in queries(real_records(), args.queries)]
    truth = [{paper_id for paper_id, _ in exact.search(v, 100)} for v in vectors]
    for beam in (96, 128, 200, 300):
        graph._graph.expansion_search = beam
        timings, recalls = [], []
        for vector, true in zip(vectors, truth):
            started = time.perf_counter()
            found = graph._graph.search(vector, 101)
            timings.append((time.perf_counter() - started) * 1000)
            ids = {graph._ids[int(row)] for row in found.keys[:100]}
            recalls.append(len(ids & true) / 100)
        print(f"beam {beam:>3}: recall@100 mean {np.mean(recalls):.3f} (min {min(recalls):.2f}), "
              f"median {statistics.median(timings):.2f} ms")


if __name__ == "__main__":
    main()

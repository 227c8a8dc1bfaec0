"""How a similarity floor trades the relevant papers it keeps for the neighbours it admits.

    python bench/semantic_floor.py [/path/to/scifact] [--split train]

For each floor, on SciFact's TRAIN queries (the product's own vectors, as ``paperboard eval beir``
stores them): the share of relevant (query, paper) pairs whose cosine reaches the floor, and how
many of the corpus's papers a query admits (median, 90th percentile). ``services.search``
chose NEIGHBOUR_FLOOR from this table; test is never read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from paperboard.services.context import default_context
from paperboard.services.evaluation import eval_context, load_beir, prepare

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "scifact"
FLOORS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", default="train", choices=["train"], help="Only train: the floor is chosen on it.")
    args = parser.parse_args()
    ctx = default_context()
    data = load_beir(args.directory, args.split)
    eval_ctx = eval_context(ctx, data.corpus_hash, None)
    prepare(eval_ctx, data, embed=True, progress=lambda message: print(message, file=sys.stderr))
    vectors = eval_ctx.vector_index(ctx.embedder.model_id)
    with eval_ctx.database.read(timeout_ms=600_000) as connection:
        vectors.sync(connection)
    relevant, admitted = [], {floor: [] for floor in FLOORS}
    for qid, judged in data.qrels.items():
        query = ctx.embedder.embed_query(data.queries[qid])
        wanted = [paper for paper, grade in judged.items() if grade > 0]
        relevant += list(vectors.similarities(query, wanted).values())
        neighbours = vectors.search(query, len(vectors))
        cosines = np.array([cosine for _paper, cosine in neighbours])
        for floor in FLOORS:
            admitted[floor].append(int((cosines >= floor).sum()))
    relevant = np.array(relevant)
    print(f"SciFact {args.split}: {len(data.qrels)} queries, {len(relevant)} relevant pairs, {len(vectors):,} papers")
    print("floor  relevant kept  neighbours a query (median / p90)")
    for floor in FLOORS:
        print(f"{floor:5.2f}  {np.mean(relevant >= floor):13.3f}  {int(np.median(admitted[floor])):>6} / {int(np.percentile(admitted[floor], 90))}")


if __name__ == "__main__":
    main()

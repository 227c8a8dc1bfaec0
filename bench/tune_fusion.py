"""Choose the fusion of the keyword and vector legs on SciFact's TRAIN queries, then report TEST.

    python bench/tune_fusion.py [/path/to/scifact] [--depth 100 200]

Each leg's ranking is computed once per query (the product's own legs, as ``paperboard eval beir``
runs them), then every fusion setting is scored offline. The setting with the best train nDCG@10
is printed together with its test numbers; test never takes part in the choice.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery, keyword_index
from paperboard.domain.analysis import analyze
from paperboard.domain.fusion import FusionParams, fuse
from paperboard.domain.metrics import evaluate
from paperboard.services.context import default_context
from paperboard.services.evaluation import eval_context, load_beir, prepare

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "scifact"


def legs(ctx, queries: dict[str, str], depth: int) -> dict[str, tuple[list, list]]:
    keywords = keyword_index(ctx.database)
    vectors = ctx.vector_index(ctx.embedder.model_id)
    found = {}
    with ctx.database.read(timeout_ms=600_000) as connection:
        vectors.sync(connection)
        for qid, text in queries.items():
            kq = KeywordQuery(terms=tuple(dict.fromkeys(analyze(text))))
            keyword_hits = keywords.search(connection, kq, PaperFilter(), depth).hits
            semantic_hits = vectors.search(ctx.embedder.embed_query(text), depth)
            found[qid] = (keyword_hits, semantic_hits)
    return found


def score(found, qrels, params: FusionParams | None, which: str = "hybrid") -> dict[str, float]:
    run = {}
    for qid in qrels:
        keyword_hits, semantic_hits = found[qid]
        if which == "bm25":
            run[qid] = [k for k, _ in keyword_hits]
        elif which == "dense":
            run[qid] = [k for k, _ in semantic_hits]
        else:
            run[qid] = [hit.key for hit in fuse(keyword_hits, semantic_hits, params)][:100]
    return evaluate(run, qrels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--depth", type=int, nargs="+", default=[100, 200])
    args = parser.parse_args()
    ctx = default_context()
    train, test = load_beir(args.directory, "train"), load_beir(args.directory, "test")
    eval_ctx = eval_context(ctx, train.corpus_hash, None)
    prepare(eval_ctx, train, embed=True, progress=lambda m: print(m, file=sys.stderr))
    grid = [FusionParams("rrf", w, k) for w, k in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7], [10, 30, 60, 100])]
    grid += [FusionParams("minmax", w) for w in [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]]
    for depth in args.depth:
        train_legs = legs(eval_ctx, {q: train.queries[q] for q in train.qrels}, depth)
        test_legs = legs(eval_ctx, {q: test.queries[q] for q in test.qrels}, depth)
        for which in ("bm25", "dense"):
            tr, te = score(train_legs, train.qrels, None, which), score(test_legs, test.qrels, None, which)
            print(f"depth {depth} {which:6}  train nDCG@10 {tr['ndcg@10']:.4f} R@100 {tr['recall@100']:.4f}"
                  f"  | test nDCG@10 {te['ndcg@10']:.4f} R@100 {te['recall@100']:.4f}")
        ranked = sorted(((score(train_legs, train.qrels, p), p) for p in grid), key=lambda x: -x[0]["ndcg@10"])
        for metrics, params in ranked[:5]:
            print(f"depth {depth} train {params.method:6} w={params.semantic_weight:.1f} k={params.rrf_k:g}: "
                  f"nDCG@10 {metrics['ndcg@10']:.4f} R@100 {metrics['recall@100']:.4f}")
        best_train, best = ranked[0]
        for method in ("rrf", "minmax"):
            best_of_method = next(p for _, p in ranked if p.method == method)
            te = score(test_legs, test.qrels, best_of_method)
            print(f"depth {depth} best {method:6} on train (w={best_of_method.semantic_weight:.1f}, "
                  f"k={best_of_method.rrf_k:g}) -> TEST nDCG@10 {te['ndcg@10']:.4f} R@100 {te['recall@100']:.4f} "
                  f"MRR@10 {te['mrr@10']:.4f}")
        print(f"depth {depth} chosen: {best} (train nDCG@10 {best_train['ndcg@10']:.4f})")


if __name__ == "__main__":
    main()

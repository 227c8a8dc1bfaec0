"""Choose the fusion of the keyword and vector legs on TRAINING queries only, then report test.

    PAPERBOARD_HOME=<a home with the 19,883-paper sample imported and embedded> \
        python bench/tune_fusion.py [/path/to/scifact]

Two sets, each with a train and a test split: SciFact (claims against abstracts) and the
paraphrase set (bench/paraphrase.py: descriptions of sample papers without their title's words).
Each query's candidates are computed once by the product's own code (``services.search``: both
legs, then every candidate scored by both, as a search does), then every fusion setting is scored
offline. The adaptive rule's setting with the best mean, over the two sets, of train nDCG@10 over
the set's best single leg is chosen; test never takes part in the choice. The old list-only
methods (RRF, min-max) are printed beside it.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paraphrase  # noqa: E402  (bench/paraphrase.py, beside this file)

from paperboard.adapters.search.filters import PaperFilter  # noqa: E402
from paperboard.adapters.search.keyword import KeywordQuery  # noqa: E402
from paperboard.domain.analysis import analyze  # noqa: E402
from paperboard.domain.fusion import FusionParams, fuse, fuse_scored  # noqa: E402
from paperboard.domain.metrics import evaluate  # noqa: E402
from paperboard.services.context import default_context  # noqa: E402
from paperboard.services.evaluation import eval_context, load_beir, prepare  # noqa: E402
from paperboard.services.search import CANDIDATES, scored_candidates  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "scifact"
ADAPTIVE_GRID = [
    FusionParams("adaptive", semantic_weight=w, coverage_power=p, weak_words_boost=u)
    for w, p, u in itertools.product((0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5), (0, 0.5, 1, 1.5, 2), (0, 0.25, 0.5, 1, 1.5, 2))
]
LIST_GRID = [FusionParams("rrf", w, k) for w, k in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7), (10, 30, 60, 100))]
LIST_GRID += [FusionParams("minmax", w) for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)]


def prepared(ctx, queries: dict[str, str]) -> dict[str, tuple]:
    """{qid: (keyword hits, semantic hits, scored candidates)} by the product's own code."""
    vectors = ctx.vector_index(ctx.embedder.model_id)
    found = {}
    with ctx.database.read(timeout_ms=600_000) as connection:
        vectors.sync(connection)
        for qid, text in queries.items():
            kq = KeywordQuery(terms=tuple(dict.fromkeys(analyze(text))))
            keyword_hits = ctx.keywords.search(connection, kq, PaperFilter(), CANDIDATES, ctx.keyword_postings).hits
            vector = ctx.embedder.embed_query(text)
            semantic_hits = vectors.search(vector, CANDIDATES)
            candidates = scored_candidates(ctx, connection, kq.terms, keyword_hits, semantic_hits, (vectors, vector))
            found[qid] = (keyword_hits, semantic_hits, candidates)
    return found


def ndcg(found, qrels, ranking) -> float:
    return evaluate({qid: ranking(*found[qid])[:100] for qid in qrels}, qrels)["ndcg@10"]


def by(params: FusionParams | str):
    if params == "bm25":
        return lambda keyword, semantic, candidates: [key for key, _ in keyword]
    if params == "dense":
        return lambda keyword, semantic, candidates: [key for key, _ in semantic]
    if params.method == "adaptive":
        return lambda keyword, semantic, candidates: [hit.key for hit in fuse_scored(candidates, params)]
    return lambda keyword, semantic, candidates: [hit.key for hit in fuse(keyword, semantic, params)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args()
    ctx = default_context()
    sets = {}
    for split in ("train", "test"):
        data = load_beir(args.directory, split)
        scifact_ctx = eval_context(ctx, data.corpus_hash, None)
        prepare(scifact_ctx, data, embed=True, progress=lambda m: print(m, file=sys.stderr))
        sets[("scifact", split)] = (prepared(scifact_ctx, {q: data.queries[q] for q in data.qrels}), data.qrels)
        queries, qrels = paraphrase.load(split)
        sets[("paraphrase", split)] = (prepared(ctx, queries), qrels)
    names = ("scifact", "paraphrase")
    best_leg = {name: max(ndcg(*sets[(name, "train")], by(leg)) for leg in ("bm25", "dense")) for name in names}
    for name in names:
        for split in ("train", "test"):
            legs = "  ".join(f"{leg} {ndcg(*sets[(name, split)], by(leg)):.4f}" for leg in ("bm25", "dense"))
            print(f"{name:10} {split:5}  {legs}")

    def objective(params) -> float:
        return statistics.mean(ndcg(*sets[(name, "train")], by(params)) / best_leg[name] for name in names)

    for grid in (ADAPTIVE_GRID, LIST_GRID):
        ranked = sorted(grid, key=objective, reverse=True)
        for params in ranked[:5]:
            train = "  ".join(f"{name} {ndcg(*sets[(name, 'train')], by(params)):.4f}" for name in names)
            print(f"train {params.method:8} w={params.semantic_weight:g} p={params.coverage_power:g} "
                  f"boost={params.weak_words_boost:g} k={params.rrf_k:g}: {train}")
        chosen = ranked[0]
        test = "  ".join(f"{name} {ndcg(*sets[(name, 'test')], by(chosen)):.4f}" for name in names)
        print(f"chosen {chosen} -> TEST nDCG@10 {test}")


if __name__ == "__main__":
    main()

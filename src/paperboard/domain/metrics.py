"""Ranking metrics as BEIR reports them (trec_eval definitions): nDCG@k, recall@k, MRR@k.

``run`` maps a query id to its ranked document ids (best first); ``qrels`` maps a query id to
{document id: graded relevance}. Only queries in ``qrels`` count; one with no results scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain with linear gain (trec_eval's ``ndcg_cut``)."""
    dcg = sum(relevant.get(doc, 0) / math.log2(position + 2) for position, doc in enumerate(ranked[:k]))
    ideal_gains = sorted((grade for grade in relevant.values() if grade > 0), reverse=True)[:k]
    ideal = sum(grade / math.log2(position + 2) for position, grade in enumerate(ideal_gains))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for position, doc in enumerate(ranked[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def evaluate(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, R@100 and MRR@10 over the queries of ``qrels``."""
    if not qrels:
        raise ValueError("no judged queries to evaluate")
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for query_id, relevant in qrels.items():
        ranked = list(dict.fromkeys(run.get(query_id, ())))
        totals["ndcg@10"] += ndcg_at_k(ranked, relevant, 10)
        totals["recall@100"] += recall_at_k(ranked, relevant, 100)
        totals["mrr@10"] += mrr_at_k(ranked, relevant, 10)
    return {name: value / len(qrels) for name, value in totals.items()}

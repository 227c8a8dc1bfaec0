"""Ranking metrics against examples computed by hand."""

from __future__ import annotations

import math

import pytest

from paperboard.domain.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_by_hand():
    # Relevant d1 and d3; ranked d2 d1 d3: DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["d2", "d1", "d3"], {"d1": 1, "d3": 1}) == pytest.approx(expected)
    assert ndcg_at_k(["d1", "d3"], {"d1": 1, "d3": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"d1": 1}) == 0.0


def test_ndcg_uses_linear_graded_gain_and_cuts_at_k():
    # Grades 2 and 1 ranked in the wrong order: DCG = 1 + 2/log2(3); ideal = 2 + 1/log2(3).
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}) == pytest.approx(expected)
    assert ndcg_at_k(["x"] * 0 + [f"n{i}" for i in range(10)] + ["a"], {"a": 1}, k=10) == 0.0


def test_recall_and_mrr_by_hand():
    relevant = {"a": 1, "b": 1, "c": 1, "z": 0}
    assert recall_at_k(["a", "x", "c"], relevant, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "x", "c"], relevant, k=100) == pytest.approx(2 / 3)
    assert mrr_at_k(["z", "x", "b"], relevant) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], relevant, k=10) == 0.0


def test_evaluate_averages_over_judged_queries_only():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    run = {"q1": ["a", "a", "x"], "q3": ["b"]}  # q2 returned nothing; q3 is not judged
    scores = evaluate(run, qrels)
    assert scores["ndcg@10"] == pytest.approx(0.5)
    assert scores["recall@100"] == pytest.approx(0.5)
    assert scores["mrr@10"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        evaluate(run, {})

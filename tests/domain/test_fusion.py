"""Rank fusion: reciprocal rank and min-max, weights, and the reason a hit carries."""

from __future__ import annotations

import pytest

from paperboard.domain.fusion import BOTH, KEYWORD, SEMANTIC, SEMANTIC_REASON_DEPTH, FusionParams, fuse


def test_rrf_by_hand():
    keyword = [("a", 12.0), ("b", 7.0)]
    semantic = [("b", 0.9), ("c", 0.8)]
    hits = fuse(keyword, semantic, FusionParams("rrf", semantic_weight=0.5, rrf_k=60))
    scores = {hit.key: hit.score for hit in hits}
    assert scores["b"] == pytest.approx(0.5 / 62 + 0.5 / 61)
    assert scores["a"] == pytest.approx(0.5 / 61)
    assert scores["c"] == pytest.approx(0.5 / 62)
    assert [hit.key for hit in hits] == ["b", "a", "c"]


def test_min_max_by_hand():
    keyword = [("a", 10.0), ("b", 6.0), ("c", 2.0)]
    semantic = [("c", 0.9), ("d", 0.5), ("a", 0.4)]
    hits = fuse(keyword, semantic, FusionParams("minmax", semantic_weight=0.25))
    scores = {hit.key: hit.score for hit in hits}
    assert scores["a"] == pytest.approx(0.75 * 1.0 + 0.25 * 0.0)
    assert scores["b"] == pytest.approx(0.75 * 0.5)
    assert scores["c"] == pytest.approx(0.75 * 0.0 + 0.25 * 1.0)
    assert scores["d"] == pytest.approx(0.25 * 0.2)
    assert [hit.key for hit in hits] == ["a", "b", "c", "d"]


def test_raw_scale_does_not_leak_into_min_max():
    small = fuse([("a", 1.0), ("b", 0.5)], [("b", 0.9), ("a", 0.1)], FusionParams("minmax", 0.5))
    large = fuse([("a", 1000.0), ("b", 500.0)], [("b", 0.9), ("a", 0.1)], FusionParams("minmax", 0.5))
    assert [(h.key, round(h.score, 9)) for h in small] == [(h.key, round(h.score, 9)) for h in large]


def test_weight_extremes_keep_one_leg():
    keyword = [("a", 3.0), ("b", 2.0)]
    semantic = [("b", 0.9), ("c", 0.8)]
    only_keyword = fuse(keyword, semantic, FusionParams("rrf", 0.0))
    only_semantic = fuse(keyword, semantic, FusionParams("rrf", 1.0))
    assert [h.key for h in only_keyword if h.score > 0] == ["a", "b"]
    assert [h.key for h in only_semantic if h.score > 0] == ["b", "c"]
    assert fuse(keyword, semantic, FusionParams("minmax", 0.0))[0].key == "a"
    assert fuse(keyword, semantic, FusionParams("minmax", 1.0))[0].key == "b"


def test_single_and_empty_legs():
    assert fuse([], []) == []
    hits = fuse([("a", 5.0)], [], FusionParams("minmax", 0.5))
    assert [(h.key, h.score) for h in hits] == [("a", 0.5)]


def test_reasons():
    keyword = [("a", 3.0), ("b", 2.0)]
    semantic = [("b", 0.9)] + [(f"n{i}", 0.5) for i in range(SEMANTIC_REASON_DEPTH)] + [("a", 0.1)]
    reasons = {hit.key: hit.reason for hit in fuse(keyword, semantic)}
    assert reasons["b"] == BOTH
    assert reasons["n0"] == SEMANTIC
    # "a" is only a distant neighbour: it is here for its words.
    assert reasons["a"] == KEYWORD


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        FusionParams("sum")
    with pytest.raises(ValueError):
        FusionParams("rrf", semantic_weight=1.5)
    with pytest.raises(ValueError):
        FusionParams("rrf", rrf_k=0)

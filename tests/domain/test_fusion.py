"""Rank fusion: reciprocal rank, min-max and the adaptive rule, weights, and the reason a hit carries."""

from __future__ import annotations

import pytest

from paperboard.domain.fusion import (
    BOTH,
    KEYWORD,
    SEMANTIC,
    SEMANTIC_REASON_DEPTH,
    Candidate,
    FusionParams,
    fuse,
    fuse_scored,
)


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


# -- the adaptive rule: every candidate scored by both legs -----------------------------------------
ADAPTIVE = FusionParams("adaptive", semantic_weight=0.3, coverage_power=2.0, weak_words_boost=0.5)


def test_adaptive_by_hand():
    candidates = [
        Candidate("a", bm25=10.0, cosine=0.30, coverage=1.0),
        Candidate("b", bm25=5.0, cosine=0.50, coverage=0.5),
        Candidate("c", bm25=0.0, cosine=0.70, coverage=0.0),
    ]
    hits = {hit.key: hit for hit in fuse_scored(candidates, ADAPTIVE)}
    # strength: the best keyword matches hold all the words, so no boost; BM25 and cosine min-max.
    assert hits["a"].score == pytest.approx(0.7 * 1.0 * 1.0 + 0.3 * 0.0)
    assert hits["b"].score == pytest.approx(0.7 * 0.5 * 0.25 + 0.3 * 0.5)
    assert hits["c"].score == pytest.approx(0.3 * 1.0)
    assert [hit.key for hit in fuse_scored(candidates, ADAPTIVE)] == ["a", "c", "b"]
    assert (hits["a"].keyword_rank, hits["b"].keyword_rank, hits["c"].keyword_rank) == (1, 2, None)
    assert (hits["a"].semantic_rank, hits["c"].semantic_rank) == (3, 1)


def test_a_paper_holding_one_common_word_of_a_long_query_sinks():
    # The keyword leg's best holds a fifth of the query's word weight; by min-max alone it would
    # take the keyword leg's whole share.
    partial = Candidate("partial", bm25=8.0, cosine=0.20, coverage=0.2)
    meant = Candidate("meant", bm25=2.0, cosine=0.60, coverage=0.1)
    whole = [partial, meant, Candidate("noise", bm25=0.0, cosine=0.10, coverage=0.0)]
    assert [hit.key for hit in fuse(  # the old rule, on the same two lists
        [("partial", 8.0), ("meant", 2.0)], [("meant", 0.6), ("partial", 0.2), ("noise", 0.1)],
        FusionParams("minmax", 0.4))][0] == "partial"
    assert fuse_scored(whole, ADAPTIVE)[0].key == "meant"


def test_weak_words_raise_the_semantic_share_strong_words_keep_it():
    def ranking(coverage):
        return [hit.key for hit in fuse_scored([
            Candidate("words", bm25=9.0, cosine=0.30, coverage=coverage),
            Candidate("meaning", bm25=0.0, cosine=0.80, coverage=0.0),
            Candidate("floor", bm25=0.0, cosine=0.10, coverage=0.0),
        ], FusionParams("adaptive", semantic_weight=0.4, coverage_power=0.0, weak_words_boost=0.5))]

    assert ranking(1.0)[0] == "words"  # a title, an acronym, a name: every word held
    assert ranking(0.1)[0] == "meaning"  # no keyword match holds the query's words


def test_reasons_follow_coverage_and_meaning():
    candidates = [Candidate(f"s{i}", bm25=0.0, cosine=0.9 - i / 100, coverage=0.0) for i in range(SEMANTIC_REASON_DEPTH)]
    candidates += [
        Candidate("held", bm25=5.0, cosine=0.95, coverage=0.8),  # most words, and near in meaning
        Candidate("some", bm25=4.0, cosine=0.0, coverage=0.2),  # a few words, nothing else for it
        Candidate("near", bm25=1.0, cosine=0.93, coverage=0.2),  # a word, but here for its meaning
    ]
    reasons = {hit.key: hit.reason for hit in fuse_scored(candidates, ADAPTIVE)}
    assert (reasons["held"], reasons["some"], reasons["near"], reasons["s0"]) == (BOTH, KEYWORD, SEMANTIC, SEMANTIC)


def test_adaptive_edge_cases():
    assert fuse_scored([], ADAPTIVE) == []
    one = fuse_scored([Candidate("a", bm25=0.0, cosine=0.5, coverage=0.0)], ADAPTIVE)
    assert [hit.key for hit in one] == ["a"] and one[0].keyword_rank is None
    tied = fuse_scored([Candidate(k, bm25=1.0, cosine=0.5, coverage=1.0) for k in "cab"], ADAPTIVE)
    assert [hit.key for hit in tied] == ["a", "b", "c"]
    with pytest.raises(ValueError):
        FusionParams("adaptive", coverage_power=-1)

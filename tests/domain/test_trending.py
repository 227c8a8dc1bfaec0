"""The trending formula: decay, window, weights, ordering and the explanation a reader sees."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.trending import (
    TrendingCandidate,
    TrendingParams,
    rank,
    score_as_json,
    score_candidate,
    score_from_json,
)

AS_OF = datetime(2026, 4, 13, 12, 0)


def _candidate(paper_id="a", featured_on=date(2026, 4, 13), upvotes=10, **signals):
    return TrendingCandidate(paper_id, featured_on, {"imported_upvotes": upvotes, **signals})


def test_score_halves_every_half_life():
    params = TrendingParams(half_life_days=2)
    fresh = score_candidate(_candidate(featured_on=date(2026, 4, 13)), datetime(2026, 4, 13), params)
    older = score_candidate(_candidate(featured_on=date(2026, 4, 11)), datetime(2026, 4, 13), params)
    assert fresh.score == pytest.approx(10)
    assert older.score == pytest.approx(5)
    assert older.decay == pytest.approx(0.5) and older.age_days == pytest.approx(2)


def test_outside_the_window_or_in_the_future_is_not_trending():
    params = TrendingParams(window_days=7)
    assert score_candidate(_candidate(featured_on=date(2026, 4, 1)), AS_OF, params) is None
    assert score_candidate(_candidate(featured_on=date(2026, 4, 14)), AS_OF, params) is None
    assert score_candidate(_candidate(featured_on=date(2026, 4, 7)), AS_OF, params) is not None


def test_rank_orders_by_score_then_recency_then_id():
    params = TrendingParams(half_life_days=1)
    ranked = rank(
        [
            _candidate("old-popular", date(2026, 4, 10), 100),  # 3.5 days: 100 / 2**3.5 ≈ 8.8
            _candidate("new-modest", date(2026, 4, 13), 12),  # 0.5 days: ≈ 8.5
            _candidate("b-tie", date(2026, 4, 13), 5),
            _candidate("a-tie", date(2026, 4, 13), 5),
            _candidate("ancient", date(2026, 1, 1), 10_000),
        ],
        AS_OF,
        params,
    )
    assert [s.paper_id for s in ranked] == ["old-popular", "new-modest", "a-tie", "b-tie"]


def test_weights_pick_the_signals_and_each_term_is_kept():
    params = TrendingParams(weights={"imported_upvotes": 1.0, "user_upvotes": 2.0})
    score = score_candidate(_candidate(upvotes=3, user_upvotes=4), datetime(2026, 4, 13), params)
    assert [(t.signal, t.value, t.weight, t.contribution) for t in score.terms] == [
        ("imported_upvotes", 3, 1.0, 3),
        ("user_upvotes", 4, 2.0, 8),
    ]
    assert score.score == pytest.approx(11)
    # A signal the weights do not name does not count; a named one that is missing counts as 0.
    only_imported = score_candidate(_candidate(upvotes=3, user_upvotes=4), datetime(2026, 4, 13), TrendingParams())
    assert only_imported.score == pytest.approx(3)


def test_explanation_names_the_numbers():
    score = score_candidate(_candidate(upvotes=42, featured_on=date(2026, 4, 11)), datetime(2026, 4, 13), TrendingParams())
    text = score.explain(TrendingParams())
    assert text.startswith("42 imported upvotes, × 0.63 for being featured 2 days ago (half-life 3 days)")
    assert text.endswith(f"= {score.score:.1f}")


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        TrendingParams(half_life_days=0)
    with pytest.raises(ValueError):
        TrendingParams(window_days=0)


@given(
    upvotes=st.integers(0, 10_000),
    more=st.integers(1, 1000),
    age_hours=st.integers(0, 24 * 13),
    later=st.integers(1, 24),
)
def test_more_upvotes_never_rank_lower_and_time_never_raises_a_score(upvotes, more, age_hours, later):
    params = TrendingParams()
    as_of = datetime(2026, 4, 1) + timedelta(hours=age_hours)
    base = score_candidate(_candidate(upvotes=upvotes, featured_on=date(2026, 4, 1)), as_of, params)
    boosted = score_candidate(_candidate(upvotes=upvotes + more, featured_on=date(2026, 4, 1)), as_of, params)
    assert boosted.score > base.score or upvotes + more == 0
    still = score_candidate(
        _candidate(upvotes=upvotes, featured_on=date(2026, 4, 1)), as_of + timedelta(hours=later), params
    )
    assert still is None or still.score <= base.score


def test_members_upvotes_are_a_signal_of_their_own_with_their_own_weight():
    params = TrendingParams(weights={"upvotes": 3.0, "imported_upvotes": 1.0})
    candidate = TrendingCandidate("a", date(2026, 4, 13), {"upvotes": 8, "imported_upvotes": 20})
    score = score_candidate(candidate, datetime(2026, 4, 13), params)
    assert [(t.signal, t.contribution) for t in score.terms] == [("upvotes", 24), ("imported_upvotes", 20)]
    assert score.explain().startswith("8 upvotes × 3 + 20 imported upvotes, × 1.00 for being featured less than a day ago")


def test_a_stored_score_reads_back_the_same_and_explains_the_same():
    params = TrendingParams(half_life_days=4, weights={"upvotes": 2.5, "github_stars": 5.0})
    candidate = TrendingCandidate("a", date(2026, 4, 11), {"upvotes": 3, "github_stars": 340}, {"github_stars": "in 7 days"})
    score = score_candidate(candidate, AS_OF, params)
    stored = json.loads(json.dumps(score_as_json(score)))  # as the JSON column keeps it
    again = score_from_json("a", date(2026, 4, 11), stored)
    assert again == score and again.score == pytest.approx(score.score)
    assert "log(1 + 340 GitHub stars gained in 7 days) = 5.83 × 5" in again.explain()
    assert "(half-life 4 days)" in again.explain()
    with pytest.raises(ValueError, match="unreadable"):
        score_from_json("a", date(2026, 4, 11), {"terms": [{"signal": "upvotes"}]})

"""Star growth from an observed history, and the star term of the trending formula."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.star_history import (
    StarObservation,
    github_repository,
    paper_repository,
    star_growth,
)
from paperboard.domain.trending import TrendingCandidate, TrendingParams, rank, score_candidate

NOW = datetime(2026, 5, 20, 12, 0)


def _history(*points: tuple[float, int]) -> list[StarObservation]:
    """Observations given as (days before NOW, stars)."""
    return [StarObservation(NOW - timedelta(days=days), stars) for days, stars in points]


def test_github_repository_accepts_only_normalised_github_urls():
    assert github_repository("https://github.com/huggingface/transformers") == ("huggingface", "transformers")
    assert github_repository("https://github.com/a-b/c.d_e-f") == ("a-b", "c.d_e-f")
    assert github_repository("https://gitlab.com/group/project") is None
    assert github_repository("https://github.com/owner") is None
    assert github_repository("https://github.com/owner/repo/tree/main") is None
    assert github_repository("https://github.com/owner/..") is None
    assert github_repository("https://github.com/own er/repo") is None


def test_a_paper_counts_its_first_github_repository():
    urls = ("https://gitlab.com/g/p", "https://github.com/me/mine", "https://github.com/big/library")
    assert paper_repository(urls) == "https://github.com/me/mine"
    assert paper_repository(("https://gitlab.com/g/p",)) is None
    assert paper_repository(()) is None


def test_growth_over_a_full_window_uses_the_count_when_the_window_opened():
    history = _history((30, 100), (8, 150), (3, 400), (0.5, 520))
    growth = star_growth(history, NOW, 7)
    assert (growth.gained, growth.complete, growth.observed_days) == (370, True, 7.0)
    assert growth.describe(7) == "370 stars gained in 7 days"


def test_an_unchanged_count_since_before_the_window_is_no_growth():
    assert star_growth(_history((40, 900)), NOW, 7).gained == 0
    assert star_growth(_history((40, 900)), NOW, 7).complete


def test_a_repository_created_inside_the_window_gained_all_its_stars_there():
    growth = star_growth(_history((1, 2500)), NOW, 7, repository_created_at=NOW - timedelta(days=4))
    assert (growth.gained, growth.complete) == (2500, True)


def test_an_old_repository_watched_briefly_counts_only_what_we_saw_without_extrapolating():
    history = _history((2, 1000), (1, 1100))
    growth = star_growth(history, NOW, 7, repository_created_at=NOW - timedelta(days=400))
    assert (growth.gained, growth.complete) == (100, False)
    assert growth.observed_days == pytest.approx(1.0)
    assert growth.describe(7) == "100 stars gained in the 1 day watched so far"


def test_the_watched_span_runs_to_the_last_check_not_the_last_change():
    growth = star_growth(_history((3, 50), (2, 60)), NOW, 7, last_checked_at=NOW - timedelta(hours=6))
    assert growth.gained == 10
    assert growth.observed_days == pytest.approx(2.75)


def test_a_single_observation_of_an_old_repository_measures_nothing_yet():
    growth = star_growth(_history((0.1, 7000)), NOW, 7)
    assert (growth.gained, growth.complete, growth.observed_days) == (0, False, 0.0)
    assert growth.describe(7) == "stars not watched long enough to measure growth"
    assert star_growth([], NOW, 7).gained == 0


def test_observations_after_as_of_are_ignored_and_lost_stars_are_not_negative_growth():
    history = _history((10, 500), (-1, 9000))
    assert star_growth(history, NOW, 7).gained == 0
    assert star_growth(_history((10, 500), (1, 450)), NOW, 7).gained == 0


def test_window_must_be_positive():
    with pytest.raises(ValueError):
        star_growth([], NOW, 0)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=60 * 24), st.integers(min_value=0, max_value=10**6)),
        min_size=1,
        max_size=12,
        unique_by=lambda point: point[0],  # the store keeps one count per instant
    ),
    st.integers(min_value=1, max_value=30),
)
def test_growth_is_never_negative_nor_above_the_latest_count(points, window_days):
    history = _history(*((hours / 24, stars) for hours, stars in points))
    growth = star_growth(history, NOW, window_days)
    latest = max(history, key=lambda o: o.observed_at).stars
    assert 0 <= growth.gained <= latest
    assert 0 <= growth.observed_days <= window_days


def test_the_star_term_is_logarithmic_weighted_decayed_and_explained():
    params = TrendingParams(half_life_days=3, window_days=14, weights={"imported_upvotes": 1.0, "github_stars": 5.0})
    candidate = TrendingCandidate("2605.00001", date(2026, 5, 17), {"imported_upvotes": 10, "github_stars": 120})
    as_of = datetime(2026, 5, 20)
    score = score_candidate(candidate, as_of, params)
    stars = next(t for t in score.terms if t.signal == "github_stars")
    assert stars.contribution == pytest.approx(5 * math.log1p(120))
    assert score.decay == pytest.approx(0.5)
    assert score.score == pytest.approx(0.5 * (10 + 5 * math.log1p(120)))
    explanation = score.explain(params)
    assert "10 imported upvotes + log(1 + 120 GitHub stars gained) = 4.80 × 5" in explanation
    assert explanation.endswith(f"= {score.score:.1f}")


def test_stars_lift_a_paper_but_a_famous_repository_does_not_bury_upvotes():
    params = TrendingParams(weights={"imported_upvotes": 1.0, "github_stars": 5.0})
    as_of = datetime(2026, 5, 20)
    day = date(2026, 5, 19)
    upvoted = TrendingCandidate("upvoted", day, {"imported_upvotes": 80, "github_stars": 0})
    starred = TrendingCandidate("starred", day, {"imported_upvotes": 10, "github_stars": 20000})
    plain = TrendingCandidate("plain", day, {"imported_upvotes": 10})
    assert [s.paper_id for s in rank([plain, starred, upvoted], as_of, params)] == ["upvoted", "starred", "plain"]

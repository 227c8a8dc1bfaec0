"""Trending: every featured paper's score from all its signals, stored by a job, read with its terms.

Computing (``compute``): the papers featured in the last ``trending_window_days`` and, for each,
its members' upvotes (rows of ``upvotes``), the upvotes imported with its feature, and the GitHub
stars its repository gained over ``stars_window_days`` (the star history ``services.stars`` keeps);
ranked by ``domain.trending`` with the weights and half-life in settings. When nothing was
featured inside the window (an install that imported old data), the window ends at the latest
featured day instead, and the list says so.

Storing (``refresh_trending``, the scheduled ``trending`` job and ``paperboard trending
refresh``): signals are read and the list replaced in ONE write transaction, with a checkpoint
saying when and as of when; a rerun replaces it, so running twice changes nothing but the time.

Reading (``trending``, ``scores_for_window``): pages, the API, the feeds and the digest read the
stored list. Until it has been computed once (a fresh install, before the job's first turn) the
readers compute the same list on the spot, in memory, and the page says so: a GET never writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

from paperboard.adapters.store import feed as feed_store
from paperboard.adapters.store import trending as store
from paperboard.adapters.store.papers import get_papers
from paperboard.domain.trending import (
    GITHUB_STARS,
    IMPORTED_UPVOTES,
    UPVOTES,
    TrendingCandidate,
    TrendingParams,
    TrendingScore,
    rank,
    score_as_json,
    score_candidate,
    score_from_json,
)
from paperboard.services.context import AppContext
from paperboard.services.feed import FeedItem, with_counts
from paperboard.services.stars import star_growth_for_papers
from paperboard.settings import Settings

log = logging.getLogger("paperboard.trending")


def trending_params(settings: Settings) -> TrendingParams:
    """The site's formula: each signal with a positive weight in settings (0 leaves it out)."""
    weights = {
        UPVOTES: settings.trending_upvotes_weight,
        IMPORTED_UPVOTES: settings.trending_imported_upvotes_weight,
        GITHUB_STARS: settings.trending_stars_weight,
    }
    return TrendingParams(
        half_life_days=settings.trending_half_life_days,
        window_days=settings.trending_window_days,
        weights={name: weight for name, weight in weights.items() if weight > 0},
    )



@dataclass(frozen=True)
class Computation:
    as_of: datetime
    scores: list[TrendingScore]
    anchored_on: date | None = None  # the latest featured day, when the window had to end there
    nothing_featured: bool = False


def compute(connection: Connection, settings: Settings, now: datetime, params: TrendingParams | None = None) -> Computation:
    """The ranked list at ``now`` from every signal (see the module text)."""
    params = params or trending_params(settings)
    as_of = now.replace(tzinfo=None)
    latest = feed_store.latest_featured_on(connection, as_of.date())
    if latest is None:
        return Computation(as_of, [], nothing_featured=True)
    anchored_on = None
    if latest < (as_of - timedelta(days=params.window_days)).date():
        as_of, anchored_on = datetime.combine(latest + timedelta(days=1), time.min), latest
    features = feed_store.features_between(connection, (as_of - timedelta(days=params.window_days)).date(), as_of.date())
    ids = [f.paper_id for f in features]
    community = store.community_upvote_counts(connection, ids, as_of) if UPVOTES in params.weights else {}
    stars = star_growth_for_papers(connection, ids, as_of, settings.stars_window_days) if GITHUB_STARS in params.weights else {}
    candidates = []
    for feature in features:
        paper_stars = stars.get(feature.paper_id)
        signals = {
            UPVOTES: community.get(feature.paper_id, 0),
            IMPORTED_UPVOTES: feature.upvotes,
            GITHUB_STARS: paper_stars.growth.gained if paper_stars else 0,
        }
        detail = paper_stars.growth.span(settings.stars_window_days) if paper_stars else "(no GitHub repository linked)"
        candidates.append(TrendingCandidate(feature.paper_id, feature.featured_on, signals, {GITHUB_STARS: detail}))
    return Computation(as_of, rank(candidates, as_of, params), anchored_on)


@dataclass(frozen=True)
class RefreshReport:
    computed_at: datetime
    as_of: datetime
    scored: int
    anchored_on: date | None

    def summary(self) -> str:
        anchored = f" (as of {self.anchored_on.isoformat()}: nothing featured recently)" if self.anchored_on else ""
        return f"scored {self.scored} trending papers{anchored}"


def refresh_trending(ctx: AppContext, now: datetime | None = None) -> RefreshReport:
    """Compute the list and make it the stored one, in one transaction (idempotent)."""
    now = (now or ctx.now()).replace(tzinfo=None)
    with ctx.database.write() as connection:
        computation = compute(connection, ctx.settings, now)
        state = {
            "computed_at": now.isoformat(),
            "as_of": computation.as_of.isoformat(),
            "anchored_on": computation.anchored_on.isoformat() if computation.anchored_on else None,
            "nothing_featured": computation.nothing_featured,
        }
        rows = [store.StoredScore(s.paper_id, s.featured_on, s.score, score_as_json(s)) for s in computation.scores]
        store.replace_scores(connection, rows, now, state)
    return RefreshReport(now, computation.as_of, len(rows), computation.anchored_on)


# -- reading --------------------------------------------------------------------------------------
@dataclass
class TrendingPage:
    items: list[FeedItem]
    total: int
    as_of: datetime
    params: TrendingParams
    notice: str | None = None
    computed_at: datetime | None = None  # None: computed on the spot for this request


def _notice(params: TrendingParams, anchored_on: date | None, nothing_featured: bool) -> str | None:
    if nothing_featured:
        return "Nothing has been featured yet, so nothing is trending."
    if anchored_on is not None:
        return (
            f"Nothing was featured in the last {params.window_days} days; "
            f"this is the trending list as of {anchored_on.isoformat()}."
        )
    return None


def _decoded(stored: list[store.StoredScore]) -> list[TrendingScore]:
    scores = []
    for row in stored:
        try:
            scores.append(score_from_json(row.paper_id, row.featured_on, row.terms))
        except ValueError as error:  # a row written by another version: leave it out, say so once
            log.warning("%s", error)
    return scores


def trending(
    ctx: AppContext,
    *,
    now: datetime | None = None,
    params: TrendingParams | None = None,
    offset: int = 0,
    limit: int = 50,
) -> TrendingPage:
    """One page of the trending list: the stored one, or computed on the spot when it was never
    stored, or when ``now`` or ``params`` ask for another moment or formula."""
    settings = ctx.settings
    with ctx.database.read() as connection:
        state = store.computation_state(connection) if now is None and params is None else None
        if state is None:
            computation = compute(connection, settings, now or ctx.now(), params)
            params = params or trending_params(settings)
            window = computation.scores[offset : offset + limit]
            page = TrendingPage([], len(computation.scores), computation.as_of, params,
                                _notice(params, computation.anchored_on, computation.nothing_featured))
        else:
            params = trending_params(settings)
            stored, total = store.ranked_scores(connection, offset=offset, limit=limit)
            window = _decoded(stored)
            anchored_on = date.fromisoformat(state["anchored_on"]) if state.get("anchored_on") else None
            page = TrendingPage([], total, datetime.fromisoformat(state["as_of"]), params,
                                _notice(params, anchored_on, bool(state.get("nothing_featured"))),
                                datetime.fromisoformat(state["computed_at"]))
        page.items = _items(connection, settings, window, page.as_of)
    return page


def _items(connection: Connection, settings: Settings, scores: list[TrendingScore], as_of: datetime) -> list[FeedItem]:
    ids = [s.paper_id for s in scores]
    found = {p.id: p for p in get_papers(connection, ids)}
    features = feed_store.features_of(connection, ids)
    stars = star_growth_for_papers(connection, ids, as_of, settings.stars_window_days)
    return with_counts(connection, [
        FeedItem(found[s.paper_id], features.get(s.paper_id), s, stars[s.paper_id].stars if s.paper_id in stars else None)
        for s in scores
        if s.paper_id in found
    ])


def scores_for_window(ctx: AppContext, since: date, until: date, limit: int) -> list[TrendingScore]:
    """Papers featured from ``since`` to ``until``, best first, for a digest's trending section.

    The stored scores when they were computed as of a moment inside that span (or the morning
    after it): the digest then ranks exactly as the site does. Otherwise (a digest for a past
    period, or before the first computation) the same formula at the end of the span.
    """
    with ctx.database.read() as connection:
        state = store.computation_state(connection)
        if state is not None:
            as_of = datetime.fromisoformat(state["as_of"]).date()
            if since <= as_of <= until + timedelta(days=1):
                return _decoded(store.ranked_featured_between(connection, since, until, limit))
        params = trending_params(ctx.settings)
        params = replace(params, window_days=max(params.window_days, (until - since).days + 1))
        end = datetime.combine(until + timedelta(days=1), time.min)
        computation = compute(connection, ctx.settings, end, params)
    return [s for s in computation.scores if since <= s.featured_on <= until][:limit]


# -- the formula, for the page that documents it --------------------------------------------------
@dataclass(frozen=True)
class FormulaView:
    params: TrendingParams
    stars_window_days: int
    interval_minutes: int
    computed_at: datetime | None
    example: TrendingScore


# A made-up paper the about page works through with the site's own parameters.
EXAMPLE_SIGNALS = {UPVOTES: 12, IMPORTED_UPVOTES: 30, GITHUB_STARS: 340}
EXAMPLE_AGE = timedelta(days=2, hours=12)


def formula(ctx: AppContext) -> FormulaView:
    """The site's parameters, when the stored list was computed, and a worked example."""
    settings = ctx.settings
    params = trending_params(settings)
    with ctx.database.read() as connection:
        state = store.computation_state(connection)
    featured_on = date(2026, 4, 13)
    example = score_candidate(
        TrendingCandidate("example", featured_on, EXAMPLE_SIGNALS, {GITHUB_STARS: f"in {settings.stars_window_days} days"}),
        datetime.combine(featured_on, time.min) + EXAMPLE_AGE,
        params,
    )
    computed_at = datetime.fromisoformat(state["computed_at"]) if state else None
    return FormulaView(params, settings.stars_window_days, settings.trending_interval_minutes, computed_at, example)

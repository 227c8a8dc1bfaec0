"""The daily feed (and its week and month views), trending, and one paper with its feature.

A day's feed is the papers *featured* on that day (``daily_features``), most upvoted first. When
nothing is featured there, the feed shows papers *announced* by arXiv instead and says so in
``notice``, so a fresh install that has only harvested still has a front page. Previous/next links
skip days (weeks, months) with nothing to show.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from paperboard.adapters.store import data_versions
from paperboard.adapters.store import feed as feed_store
from paperboard.adapters.store import trending as trending_store
from paperboard.adapters.store import votes as vote_store
from paperboard.adapters.store.papers import get_paper
from paperboard.domain.days import DayOutOfRange, parse_day, within_range
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.domain.trending import TrendingScore, score_from_json
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.services.stars import star_growth_for_papers

DAY, WEEK, MONTH = "day", "week", "month"
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        """The value of the query parameter that selects this period."""
        if self.kind == WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.kind == WEEK:
            return f"Week {self.key[6:]} of {self.key[:4]} ({self.start:%b} {self.start.day} – {self.end:%b} {self.end.day})"
        if self.kind == MONTH:
            return f"{self.start:%B %Y}"
        return f"{self.start:%A}, {self.start:%B} {self.start.day}, {self.start.year}"

    def containing(self, day: date) -> "Period":
        """The period of the same kind that contains ``day``."""
        return period_of(self.kind, day)


def period_of(kind: str, day: date) -> Period:
    if kind == WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(WEEK, start, start + timedelta(days=6))
    if kind == MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(MONTH, day.replace(day=1), day.replace(day=last))
    return Period(DAY, day, day)


def parse_week(text: str) -> Period:
    match = _WEEK.fullmatch(text or "")
    if not match:
        raise UserError(f"week must look like 2026-W14 (ISO year and week), got {text!r}")
    try:
        start = within_range(date.fromisocalendar(int(match[1]), int(match[2]), 1), text)
    except DayOutOfRange as error:
        raise UserError(str(error)) from None
    except ValueError:
        raise UserError(f"{text!r} is not a week in the calendar (weeks run 01 to 52 or 53)") from None
    return period_of(WEEK, start)


def parse_month(text: str) -> Period:
    match = _MONTH.fullmatch(text or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise UserError(f"month must look like 2026-04 (YYYY-MM), got {text!r}")
    try:
        return period_of(MONTH, within_range(date(int(match[1]), int(match[2]), 1), text))
    except DayOutOfRange as error:
        raise UserError(str(error)) from None


def choose_period(day: str | None, week: str | None, month: str | None) -> Period | None:
    """The period named by at most one of the three parameters; None means "the latest day"."""
    given = [name for name, value in (("date", day), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise UserError(f"give only one of date, week and month (got {' and '.join(given)})")
    if day:
        return period_of(DAY, parse_day(day))
    if week:
        return parse_week(week)
    if month:
        return parse_month(month)
    return None


@dataclass(frozen=True)
class FeedItem:
    paper: Paper
    feature: DailyFeature | None = None
    trending: TrendingScore | None = None
    stars: int | None = None  # of the paper's repository, when it has been checked on GitHub
    member_upvotes: int = 0  # upvotes by members of this site
    comment_count: int = 0  # comments neither deleted nor hidden

    @property
    def upvotes(self) -> int:
        """What a card shows: members' upvotes plus those imported with the daily feature."""
        return self.member_upvotes + (self.feature.upvotes if self.feature else 0)


def with_counts(connection, items: list[FeedItem]) -> list[FeedItem]:
    """``items`` with their members' upvotes and comment counts, in one query per 500 papers."""
    counts = vote_store.counts_of(connection, [item.paper.id for item in items])
    return [
        replace(item, member_upvotes=counts[item.paper.id].upvotes, comment_count=counts[item.paper.id].comments)
        if item.paper.id in counts else item
        for item in items
    ]


def counted(ctx: AppContext, items: list[FeedItem]) -> list[FeedItem]:
    """The same for cards built outside this module (search hits, profiles, collections)."""
    if not items:
        return items
    with ctx.database.read() as connection:
        return with_counts(connection, items)


def cards(ctx: AppContext, papers: list[Paper]) -> list[FeedItem]:
    """Cards for papers listed outside the feed (profiles, collections): each with its feature
    (so imported upvotes and the submitter show as on the daily feed) and its counts."""
    if not papers:
        return []
    with ctx.database.read() as connection:
        return cards_from(connection, papers)


def cards_from(connection, papers: list[Paper]) -> list[FeedItem]:
    """``cards`` inside the caller's read (a search builds its cards in its own transaction)."""
    features = feed_store.features_of(connection, [p.id for p in papers])
    return with_counts(connection, [FeedItem(p, features.get(p.id)) for p in papers])


@dataclass
class FeedPage:
    period: Period | None
    items: list[FeedItem]
    total: int
    offset: int
    limit: int
    featured: bool
    notice: str | None = None
    previous: Period | None = None
    next: Period | None = None
    extra: dict = field(default_factory=dict)


def daily(
    ctx: AppContext,
    period: Period | None,
    *,
    offset: int = 0,
    limit: int = 50,
    order: str = feed_store.ORDER_UPVOTES,
    submitter: str | None = None,
) -> FeedPage:
    """The feed for ``period`` (None: the latest featured day), falling back to announced papers."""
    with ctx.database.read() as connection:
        latest_feature = feed_store.latest_featured_on(connection)
        if period is None and latest_feature is not None:
            period = period_of(DAY, latest_feature)
        if period is not None and latest_feature is not None:
            items, total = feed_store.featured_between(
                connection, period.start, period.end, submitter=submitter, order=order, offset=offset, limit=limit
            )
            if total or submitter is not None:
                page = FeedPage(period, with_counts(connection, [FeedItem(p, f) for p, f in items]), total, offset, limit, featured=True)
                page.previous, page.next = _neighbours(connection, period, featured=True)
                return page
        return _announced_fallback(connection, period, latest_feature, offset=offset, limit=limit)


def recent(
    ctx: AppContext,
    *,
    offset: int = 0,
    limit: int = 50,
    order: str = feed_store.ORDER_NEWEST,
    submitter: str | None = None,
) -> FeedPage:
    """Every featured paper, newest feature first, across days (the API's listing without a date).

    Falls back to the newest announced papers when nothing was ever featured.
    """
    with ctx.database.read() as connection:
        if feed_store.latest_featured_on(connection) is not None or submitter is not None:
            items, total = feed_store.featured_between(
                connection, date.min, date.max, submitter=submitter, order=order, offset=offset, limit=limit
            )
            return FeedPage(None, with_counts(connection, [FeedItem(p, f) for p, f in items]), total, offset, limit, featured=True)
        papers, total = feed_store.announced_between(connection, date.min, date.max, offset=offset, limit=limit)
        notice = "No papers have been featured yet; these are the newest papers announced on arXiv."
        return FeedPage(None, with_counts(connection, [FeedItem(p) for p in papers]), total, offset, limit, featured=False, notice=notice)


def _announced_fallback(connection, period: Period | None, latest_feature: date | None, *, offset: int, limit: int) -> FeedPage:
    if period is None:
        newest = feed_store.latest_announced_on(connection)
        if newest is None:
            notice = "No papers yet: harvest arXiv or import a file to fill the feed."
            return FeedPage(None, [], 0, offset, limit, featured=False, notice=notice)
        period = period_of(DAY, newest)
    what = {DAY: "on this day", WEEK: "in this week", MONTH: "in this month"}[period.kind]
    papers, total = feed_store.announced_between(connection, period.start, period.end, offset=offset, limit=limit)
    if total == 0:
        notice = f"Nothing was featured or announced on arXiv {what}."
    elif latest_feature is None:
        notice = f"No papers have been featured yet, so this shows the papers announced on arXiv {what}."
    else:
        notice = f"No papers were featured {what}; showing the papers announced on arXiv {what} instead."
    page = FeedPage(period, with_counts(connection, [FeedItem(p) for p in papers]), total, offset, limit, featured=False, notice=notice)
    page.previous, page.next = _neighbours(connection, period, featured=latest_feature is not None)
    return page


def _neighbours(connection, period: Period, *, featured: bool) -> tuple[Period | None, Period | None]:
    before = feed_store.featured_day_before if featured else feed_store.announced_day_before
    after = feed_store.featured_day_after if featured else feed_store.announced_day_after
    previous_day, next_day = before(connection, period.start), after(connection, period.end)
    return (
        period.containing(previous_day) if previous_day else None,
        period.containing(next_day) if next_day else None,
    )


def find_paper(ctx: AppContext, paper_id: str) -> FeedItem | None:
    """One stored paper with its feature (if it was featured), its stored trending score (if it
    trends) and its repository's stars (if known)."""
    with ctx.database.read() as connection:
        paper = get_paper(connection, paper_id)
        if paper is None:
            return None
        stars = star_growth_for_papers(connection, [paper_id], ctx.now(), ctx.settings.stars_window_days).get(paper_id)
        stored = trending_store.scores_of(connection, [paper_id]).get(paper_id)
        trending = None
        if stored is not None:
            try:
                trending = score_from_json(paper_id, stored.featured_on, stored.terms)
            except ValueError:  # written by another version; the page simply shows no "why trending"
                trending = None
        item = FeedItem(paper, feed_store.feature_of(connection, paper_id), trending, stars.stars if stars else None)
        return with_counts(connection, [item])[0]


def features_for(ctx: AppContext, paper_ids: list[str]) -> dict[str, DailyFeature]:
    with ctx.database.read() as connection:
        return feed_store.features_of(connection, paper_ids)


def data_version(ctx: AppContext) -> tuple:
    """What the page cache compares: the change counters of papers, features, embeddings, trending,
    votes, comments, claims and members (one small read, whatever the archive's size)."""
    with ctx.database.read() as connection:
        return data_versions.current(connection)


def health(ctx: AppContext) -> int:
    """Number of papers; raises if the database does not answer."""
    with ctx.database.read(timeout_ms=1000) as connection:
        return feed_store.ping(connection)

"""The feed service on both databases: featured days, fallbacks, navigation (trending: test_trending.py)."""

from __future__ import annotations

from datetime import date

import pytest

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.errors import UserError
from paperboard.services import feed


def _papers(database, *announced: tuple[str, date]) -> None:
    with database.write() as connection:
        paper_store.upsert_papers(
            connection, [Paper(id=pid, title=f"Paper {pid}", announced=day, categories=("cs.CL",)) for pid, day in announced]
        )


def _feature(database, *features: tuple[str, date, int]) -> None:
    with database.write() as connection:
        feature_store.upsert_features(connection, [DailyFeature(pid, day, "ann", votes, "test") for pid, day, votes in features])


def test_empty_site_says_how_to_fill_it(ctx):
    page = feed.daily(ctx, None)
    assert page.items == [] and "harvest arXiv or import a file" in page.notice


def test_without_features_the_newest_announced_day_is_shown_and_navigable(ctx, database):
    _papers(database, ("2604.00001", date(2026, 4, 1)), ("2604.00002", date(2026, 4, 3)), ("2604.00003", date(2026, 4, 3)))
    page = feed.daily(ctx, None)
    assert not page.featured and page.period.start == date(2026, 4, 3)
    assert {i.paper.id for i in page.items} == {"2604.00002", "2604.00003"}
    assert "No papers have been featured yet" in page.notice
    assert page.previous.start == date(2026, 4, 1) and page.next is None


def test_featured_day_orders_by_upvotes_and_skips_empty_days(ctx, database):
    _papers(database, *((f"2604.0000{n}", date(2026, 4, 1)) for n in range(1, 6)))
    _feature(
        database,
        ("2604.00001", date(2026, 4, 1), 5),
        ("2604.00002", date(2026, 4, 1), 50),
        ("2604.00003", date(2026, 4, 6), 1),
        ("2604.00004", date(2026, 4, 9), 7),
    )
    page = feed.daily(ctx, feed.period_of(feed.DAY, date(2026, 4, 6)))
    assert page.featured and [i.paper.id for i in page.items] == ["2604.00003"]
    assert page.previous.start == date(2026, 4, 1) and page.next.start == date(2026, 4, 9)
    first = feed.daily(ctx, feed.period_of(feed.DAY, date(2026, 4, 1)))
    assert [i.paper.id for i in first.items] == ["2604.00002", "2604.00001"] and first.previous is None
    assert feed.daily(ctx, None).period.start == date(2026, 4, 9)
    week = feed.daily(ctx, feed.parse_week("2026-W15"))  # 6–12 April
    assert {i.paper.id for i in week.items} == {"2604.00003", "2604.00004"}
    assert week.previous.key == "2026-W14" and week.next is None
    recent = feed.recent(ctx, limit=2)
    assert [i.paper.id for i in recent.items] == ["2604.00004", "2604.00003"] and recent.total == 4


@pytest.mark.parametrize(
    "day, week, month, message",
    [
        ("2026-4-1", None, None, "YYYY-MM-DD"),
        (None, "2026-W00", None, "not a week"),
        (None, "2025-W53", None, "not a week"),  # 2025 has 52 ISO weeks (2026 has 53)
        (None, None, "2026-00", "YYYY-MM"),
        ("2026-04-01", None, "2026-04", "only one"),
    ],
)
def test_period_parameters_are_checked(day, week, month, message):
    with pytest.raises(UserError, match=message):
        feed.choose_period(day, week, month)

"""Refreshing star counts against a local fake GitHub, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from paperboard.adapters.sources.github import GitHubClient
from paperboard.adapters.store import features, papers
from paperboard.adapters.store.schema import repo_stars, repositories
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services.stars import refresh_stars, star_growth_for_papers
from tests.fake_github import FakeGitHub, FakeRepository

NOW = datetime(2026, 5, 20, 6, 0)


@pytest.fixture
def github():
    fake = FakeGitHub(rate_limit=100).start()
    yield fake
    fake.stop()


@pytest.fixture
def ctx_settings(github):
    return {"github_api_url": github.url, "stars_recheck_hours": 12}


def _client(github: FakeGitHub, **overrides) -> GitHubClient:
    options = dict(api_url=github.url, user_agent="t", backoff_seconds=0.01, max_retries=1, clock=github.clock)
    options.update(overrides)
    return GitHubClient(**options)


def _add_paper(ctx, paper_id: str, code_urls: tuple[str, ...], announced: date, featured_on: date | None = None):
    with ctx.database.write() as connection:
        papers.upsert_papers(connection, [Paper(paper_id, "T", code_urls=code_urls, announced=announced)])
        if featured_on:
            features.upsert_features(connection, [DailyFeature(paper_id, featured_on, source="test")])


def _history(ctx, url: str) -> list[tuple[datetime, int]]:
    with ctx.database.read() as connection:
        rows = connection.execute(
            select(repo_stars.c.observed_at, repo_stars.c.stars)
            .where(repo_stars.c.repo_url == url)
            .order_by(repo_stars.c.observed_at)
        )
        return [tuple(r) for r in rows]


def _refresh(ctx, github, now, **kwargs):
    with _client(github) as client:
        return refresh_stars(ctx, now=now, client=client, **kwargs)


def test_refresh_stores_counts_and_a_second_run_sends_nothing(ctx, github):
    github.repositories["acme/alpha"] = FakeRepository(120)
    _add_paper(ctx, "2605.00001", ("https://github.com/acme/alpha",), date(2026, 5, 18))
    first = _refresh(ctx, github, NOW)
    assert (first.due, first.checked, first.changed, first.newly_tracked) == (1, 1, 1, 1)
    assert _history(ctx, "https://github.com/acme/alpha") == [(NOW, 120)]
    again = _refresh(ctx, github, NOW + timedelta(hours=1))
    assert (again.due, again.requests, again.newly_tracked) == (0, 0, 0)
    assert _history(ctx, "https://github.com/acme/alpha") == [(NOW, 120)]


def test_an_unchanged_repository_is_a_304_and_adds_no_history(ctx, github):
    github.repositories["acme/alpha"] = FakeRepository(120)
    _add_paper(ctx, "2605.00001", ("https://github.com/acme/alpha",), date(2026, 5, 18))
    _refresh(ctx, github, NOW)
    remaining = github.remaining
    later = _refresh(ctx, github, NOW + timedelta(hours=13))
    assert (later.checked, later.unchanged, later.changed) == (1, 1, 0)
    assert github.requests[-1]["headers"]["If-None-Match"]
    assert github.remaining == remaining, "a 304 costs no rate limit"
    assert _history(ctx, "https://github.com/acme/alpha") == [(NOW, 120)]
    with ctx.database.read() as connection:
        checked = connection.execute(select(repositories.c.last_checked_at)).scalar_one()
    assert checked == NOW + timedelta(hours=13)


def test_growth_over_the_window_from_refreshes_on_different_days(ctx, github):
    github.repositories["acme/alpha"] = FakeRepository(100, "2024-02-01T00:00:00Z")
    github.repositories["acme/fresh"] = FakeRepository(800, "2026-05-25T00:00:00Z")
    _add_paper(ctx, "2605.00001", ("https://github.com/acme/alpha",), date(2026, 5, 18))
    _refresh(ctx, github, NOW)
    github.repositories["acme/alpha"].stars = 400
    later = NOW + timedelta(days=8)
    _add_paper(ctx, "2605.00002", ("https://github.com/acme/fresh",), date(2026, 5, 27))
    _refresh(ctx, github, later)
    assert _history(ctx, "https://github.com/acme/alpha") == [(NOW, 100), (later, 400)]
    with ctx.database.read() as connection:
        found = star_growth_for_papers(connection, ["2605.00001", "2605.00002", "2605.99999"], later, 7)
    assert set(found) == {"2605.00001", "2605.00002"}
    assert (found["2605.00001"].growth.gained, found["2605.00001"].growth.complete) == (300, True)
    assert found["2605.00001"].stars == 400
    # Created inside the window: all of its stars were gained there.
    assert (found["2605.00002"].growth.gained, found["2605.00002"].growth.complete) == (800, True)


def test_recent_featured_papers_come_first_and_the_limit_holds(ctx, github):
    for name in ("old", "announced", "featured", "library"):
        github.repositories[f"acme/{name}"] = FakeRepository(10)
    _add_paper(ctx, "2601.00001", ("https://github.com/acme/old",), date(2026, 1, 5))
    _refresh(ctx, github, datetime(2026, 1, 6))  # tracked back then, stale now
    _add_paper(ctx, "2605.00001", ("https://github.com/acme/announced",), date(2026, 5, 19))
    _add_paper(
        ctx,
        "2605.00002",
        ("https://gitlab.com/x/y", "https://github.com/acme/featured", "https://github.com/acme/library"),
        date(2026, 5, 10),
        featured_on=date(2026, 5, 12),
    )
    github.requests.clear()
    summary = _refresh(ctx, github, NOW, limit=2)
    assert github.paths_requested() == ["/repos/acme/featured", "/repos/acme/announced"]
    assert (summary.due, summary.checked) == (2, 2)
    _refresh(ctx, github, NOW, limit=5)
    assert github.paths_requested()[2:] == ["/repos/acme/old"]
    with ctx.database.read() as connection:
        tracked = set(connection.execute(select(repositories.c.url)).scalars())
    assert "https://github.com/acme/library" not in tracked, "only a paper's first repository counts"


def test_a_deleted_repository_is_recorded_gone_and_left_alone_for_a_while(ctx, github):
    _add_paper(ctx, "2605.00001", ("https://github.com/acme/deleted",), date(2026, 5, 18))
    summary = _refresh(ctx, github, NOW)
    assert (summary.checked, summary.gone) == (1, 1)
    with ctx.database.read() as connection:
        assert connection.execute(select(repositories.c.status)).scalar_one() == "gone"
        assert star_growth_for_papers(connection, ["2605.00001"], NOW, 7)["2605.00001"].growth.gained == 0
    assert _refresh(ctx, github, NOW + timedelta(days=2)).due == 0
    assert _refresh(ctx, github, NOW + timedelta(days=31)).due == 1


def test_a_spent_rate_limit_stops_the_run_and_the_next_run_resumes(ctx, github):
    github.rate_limit = github.remaining = 3
    for n in range(5):
        github.repositories[f"acme/r{n}"] = FakeRepository(n)
        _add_paper(ctx, f"2605.0000{n}", (f"https://github.com/acme/r{n}",), date(2026, 5, 18))
    with _client(github) as client:
        first = refresh_stars(ctx, now=NOW, client=client, batch_size=2)
        assert (first.checked, first.stopped is not None, first.failed) == (3, True, False)
        assert first.resume_at == datetime.fromtimestamp(github.reset_at, timezone.utc).replace(tzinfo=None)
        assert first.rate_limit_remaining == 0
        github.clock.now = github.reset_at + 1
        second = refresh_stars(ctx, now=NOW + timedelta(minutes=61), client=client, batch_size=2)
    assert (second.due, second.checked, second.stopped) == (2, 2, None)
    with ctx.database.read() as connection:
        assert connection.execute(select(func.count()).select_from(repo_stars)).scalar_one() == 5
        never_checked = select(func.count()).select_from(repositories).where(repositories.c.last_checked_at.is_(None))
        assert connection.execute(never_checked).scalar_one() == 0


def test_github_failing_mid_run_keeps_the_batches_already_checked(ctx, github):
    for n in range(4):
        github.repositories[f"acme/r{n}"] = FakeRepository(n)
        _add_paper(ctx, f"2605.0000{n}", (f"https://github.com/acme/r{n}",), date(2026, 5, 18))
    github.cuts["/repos/acme/r2"] = 100
    summary = _refresh(ctx, github, NOW, batch_size=2)
    assert (summary.checked, summary.failed) == (2, True)
    assert "gave up on GitHub /repos/acme/r2" in summary.stopped
    github.cuts.clear()
    resumed = _refresh(ctx, github, NOW + timedelta(minutes=5))
    assert (resumed.due, resumed.checked, resumed.failed) == (2, 2, False)
    assert [_history(ctx, f"https://github.com/acme/r{n}") for n in range(4)] == [
        [(NOW, 0)], [(NOW, 1)], [(NOW + timedelta(minutes=5), 2)], [(NOW + timedelta(minutes=5), 3)]
    ]


def test_a_paper_without_a_github_repository_has_no_star_term(ctx, github):
    _add_paper(ctx, "2605.00001", ("https://gitlab.com/acme/alpha",), date(2026, 5, 18))
    assert _refresh(ctx, github, NOW).due == 0
    with ctx.database.read() as connection:
        assert star_growth_for_papers(connection, ["2605.00001"], NOW, 7) == {}

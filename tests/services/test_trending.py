"""Trending computed from every signal, stored by the job and read back, on SQLite and PostgreSQL;
the scheduled star refresh against a local fake GitHub."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from paperboard.adapters.sources.github import GitHubClient
from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store import repo_stars
from paperboard.adapters.store.schema import trending_scores, upvotes, users
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services import feed
from paperboard.services.context import AppContext
from paperboard.services.jobs import run_scheduled_stars, scheduled_jobs
from paperboard.services.trending import refresh_trending, scores_for_window, trending
from tests.fake_github import Clock, FakeGitHub, FakeRepository

NOW = datetime(2026, 4, 8, 12, 0)


def _papers(database, *papers: Paper) -> None:
    with database.write() as connection:
        paper_store.upsert_papers(connection, list(papers))


def _feature(database, *features: tuple[str, date, int]) -> None:
    with database.write() as connection:
        feature_store.upsert_features(connection, [DailyFeature(pid, day, "ann", votes, "test") for pid, day, votes in features])


def _members_upvote(database, paper_id: str, count: int, at: datetime = NOW - timedelta(hours=1)) -> None:
    """``count`` members (made here) each upvote ``paper_id`` once."""
    with database.write() as connection:
        first = connection.execute(select(users.c.id).order_by(users.c.id.desc())).scalar() or 0
        for n in range(first + 1, first + 1 + count):
            connection.execute(
                insert(users).values(id=n, email=f"m{n}@example.org", username=f"m{n}", password_hash="x", created_at=at)
            )
            connection.execute(insert(upvotes).values(user_id=n, paper_id=paper_id, created_at=at))


def _stored(database) -> list[tuple]:
    with database.read() as connection:
        rows = connection.execute(
            select(trending_scores.c.paper_id, trending_scores.c.score, trending_scores.c.terms).order_by(trending_scores.c.paper_id)
        )
        return [(r.paper_id, round(r.score, 9), r.terms) for r in rows]


def _three_papers(database) -> None:
    _papers(database, *(Paper(id=f"2604.0000{n}", title=f"Paper {n}", announced=date(2026, 4, 1)) for n in (1, 2, 3)))
    # Same day: imported upvotes alone would rank 1 > 2 > 3.
    _feature(database, ("2604.00001", date(2026, 4, 7), 20), ("2604.00002", date(2026, 4, 7), 10), ("2604.00003", date(2026, 4, 7), 0))


def test_the_job_scores_every_signal_stores_the_terms_and_a_rerun_replaces(ctx, database):
    _three_papers(database)
    _members_upvote(database, "2604.00003", 8)  # 8 members × 3 = 24 > 20 imported
    _members_upvote(database, "2604.00002", 2, at=NOW + timedelta(days=1))  # after the computation: not counted
    report = refresh_trending(ctx, now=NOW)
    assert report.scored == 3
    page = trending(ctx)
    assert [i.paper.id for i in page.items] == ["2604.00003", "2604.00001", "2604.00002"]
    assert page.computed_at == NOW and page.notice is None
    top = page.items[0].trending
    assert {t.signal: t.value for t in top.terms} == {"upvotes": 8, "imported_upvotes": 0, "github_stars": 0}
    assert top.explain().startswith("8 upvotes × 3 + 0 imported upvotes + log(1 + 0 GitHub stars gained (no GitHub repository linked))")
    assert top.score == pytest.approx(24 * 0.5 ** (1.5 / 3))
    first = _stored(database)
    refresh_trending(ctx, now=NOW)
    assert _stored(database) == first  # idempotent: the same rows, not doubled
    # Later, the upvotes cast meanwhile count and the decay moves on; the old rows are replaced.
    refresh_trending(ctx, now=NOW + timedelta(days=2))
    later = {paper_id: terms for paper_id, _, terms in _stored(database)}
    assert set(later) == {"2604.00001", "2604.00002", "2604.00003"}
    assert next(t["value"] for t in later["2604.00002"]["terms"] if t["signal"] == "upvotes") == 2
    assert later["2604.00001"]["age_days"] == pytest.approx(3.5)


def test_papers_leave_the_stored_list_when_they_leave_the_window(ctx, database):
    _three_papers(database)
    refresh_trending(ctx, now=NOW)
    _papers(database, Paper(id="2604.00009", title="Fresh", announced=date(2026, 4, 25)))
    _feature(database, ("2604.00009", date(2026, 4, 25), 1))
    refresh_trending(ctx, now=datetime(2026, 4, 25, 6))
    assert [row[0] for row in _stored(database)] == ["2604.00009"]
    assert trending(ctx).total == 1


def test_before_the_first_computation_the_list_is_computed_on_the_spot(ctx, database):
    _three_papers(database)
    _members_upvote(database, "2604.00003", 8)
    live = trending(ctx, now=NOW)
    assert live.computed_at is None and _stored(database) == []
    refresh_trending(ctx, now=NOW)
    stored = trending(ctx)
    assert [i.paper.id for i in stored.items] == [i.paper.id for i in live.items]
    assert [i.trending.explain() for i in stored.items] == [i.trending.explain() for i in live.items]


def test_nothing_featured_is_stored_as_such_and_said(ctx, database):
    report = refresh_trending(ctx, now=NOW)
    assert report.scored == 0
    page = trending(ctx)
    assert page.items == [] and page.total == 0 and "Nothing has been featured yet" in page.notice


def test_trending_anchors_at_the_latest_feature_when_the_window_is_empty(ctx, database):
    _papers(database, Paper(id="2604.00001", title="A", announced=date(2026, 4, 1)), Paper(id="2604.00002", title="B", announced=date(2026, 4, 1)))
    _feature(database, ("2604.00001", date(2026, 4, 1), 10), ("2604.00002", date(2026, 4, 8), 6))
    current = trending(ctx, now=datetime(2026, 4, 9))
    assert current.notice is None
    assert [i.paper.id for i in current.items] == ["2604.00002", "2604.00001"]  # 6 × 0.79 > 10 × 0.1
    refresh_trending(ctx, now=datetime(2026, 11, 1))
    later = trending(ctx)
    assert "as of 2026-04-08" in later.notice and [i.paper.id for i in later.items][0] == "2604.00002"
    assert later.items[0].trending.explain().startswith("0 upvotes × 3 + 6 imported upvotes")


def test_stars_gained_lift_a_paper_and_its_count_is_known(ctx, database):
    _papers(
        database,
        Paper(id="2604.00001", title="Popular code", code_urls=("https://github.com/o/popular",), announced=date(2026, 4, 1)),
        Paper(id="2604.00002", title="More upvotes", announced=date(2026, 4, 1)),
    )
    with database.write() as connection:
        repo_stars.track_repositories(connection, ["https://github.com/o/popular"], datetime(2026, 3, 20))
        repo_stars.record_check(connection, "https://github.com/o/popular", checked_at=datetime(2026, 3, 25), status="ok", stars=100)
        repo_stars.record_check(connection, "https://github.com/o/popular", checked_at=datetime(2026, 4, 7), status="ok", stars=5100)
    _feature(database, ("2604.00001", date(2026, 4, 6), 5), ("2604.00002", date(2026, 4, 6), 30))
    refresh_trending(ctx, now=datetime(2026, 4, 8))
    ranked = trending(ctx)
    # (5 upvotes + 5 × log(1 + 5000 stars gained)) ≈ 47.6 beats 30 upvotes at the same age.
    assert [i.paper.id for i in ranked.items] == ["2604.00001", "2604.00002"]
    assert ranked.items[0].stars == 5100
    assert "log(1 + 5000 GitHub stars gained in 7 days) = 8.52 × 5" in ranked.items[0].trending.explain()
    found = feed.find_paper(ctx, "2604.00001")
    assert found.stars == 5100 and found.trending.explain() == ranked.items[0].trending.explain()
    assert feed.find_paper(ctx, "2604.00002").stars is None
    without = AppContext(ctx.settings.model_copy(update={"trending_stars_weight": 0}))
    without.__dict__["database"] = database
    refresh_trending(without, now=datetime(2026, 4, 8))
    assert [i.paper.id for i in trending(without).items] == ["2604.00002", "2604.00001"]
    assert all(t.signal != "github_stars" for t in trending(without).items[0].trending.terms)


def test_the_digest_window_reads_the_stored_scores_when_they_are_current(ctx, database):
    _three_papers(database)
    _members_upvote(database, "2604.00003", 8)
    refresh_trending(ctx, now=NOW)
    in_window = scores_for_window(ctx, date(2026, 4, 7), date(2026, 4, 8), 10)
    assert [s.paper_id for s in in_window] == ["2604.00003", "2604.00001", "2604.00002"]
    # A period long before the stored computation is ranked by the same formula at its own end.
    _papers(database, Paper(id="2603.00001", title="March", announced=date(2026, 3, 2)))
    _feature(database, ("2603.00001", date(2026, 3, 2), 3))
    assert [s.paper_id for s in scores_for_window(ctx, date(2026, 3, 2), date(2026, 3, 2), 10)] == ["2603.00001"]


def test_two_computations_at_once_leave_one_complete_list(ctx, database):
    _three_papers(database)
    errors: list[BaseException] = []

    def run(hours: int) -> None:
        try:
            refresh_trending(ctx, now=NOW + timedelta(hours=hours))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [row[0] for row in _stored(database)] == ["2604.00001", "2604.00002", "2604.00003"]


# -- the scheduled jobs -----------------------------------------------------------------------------
def test_the_jobs_run_stars_then_trending_then_digests(ctx):
    names = [job.name for job in scheduled_jobs(ctx)]
    assert names.index("stars") < names.index("trending") < names.index("digests")
    quiet = AppContext(ctx.settings.model_copy(update={"stars_refresh_enabled": False}))
    assert "stars" not in [job.name for job in scheduled_jobs(quiet)] and "trending" in [job.name for job in scheduled_jobs(quiet)]


@pytest.fixture
def github():
    fake = FakeGitHub(clock=Clock(time.time()), rate_limit=2).start()
    yield fake
    fake.stop()


def test_the_star_job_waits_out_a_spent_rate_limit_across_runs(ctx, database, github):
    stars_ctx = AppContext(ctx.settings.model_copy(update={"github_api_url": github.url}))
    stars_ctx.__dict__["database"] = database
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # the fake's rate-limit reset is on the real clock
    for n in range(3):
        github.repositories[f"acme/r{n}"] = FakeRepository(10 * n)
        _papers(database, Paper(id=f"2604.0000{n}", title="T", code_urls=(f"https://github.com/acme/r{n}",), announced=now.date()))

    def client() -> GitHubClient:
        return GitHubClient(api_url=github.url, user_agent="t", backoff_seconds=0.01, max_retries=1, clock=github.clock)

    with client() as first_client:
        first = run_scheduled_stars(stars_ctx, now=now, client=first_client)
    assert "checked 2 of 3" in first and "rate limit spent" in first
    sent = len(github.requests)
    with client() as waiting_client:
        assert run_scheduled_stars(stars_ctx, now=now + timedelta(minutes=5), client=waiting_client) is None
    assert len(github.requests) == sent, "no request while the limit is spent"
    github.clock.now = github.reset_at + 1
    github.remaining = github.rate_limit
    with client() as later_client:
        later = run_scheduled_stars(stars_ctx, now=now + timedelta(minutes=61), client=later_client)
    assert "checked 1 of 1" in later and "rate limit" not in later

"""The GitHub client against a real HTTP server on 127.0.0.1 that behaves like GitHub's REST API."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from paperboard.adapters.sources.github import GitHubClient, RateLimited
from paperboard.errors import SourceUnavailable
from tests.fake_github import FakeGitHub, FakeRepository

REPO = "https://github.com/acme/widgets"


@pytest.fixture
def github():
    fake = FakeGitHub(repositories={"acme/widgets": FakeRepository(1200, "2026-05-10T08:30:00Z")}).start()
    yield fake
    fake.stop()


def _client(fake: FakeGitHub, **overrides) -> GitHubClient:
    options = dict(
        api_url=fake.url, user_agent="paperboard-test/1", backoff_seconds=0.01, max_retries=3, clock=fake.clock
    )
    options.update(overrides)
    return GitHubClient(**options)


def test_a_repository_answers_its_stars_etag_and_creation_date(github):
    with _client(github, token="t0ken") as client:
        check = client.check(REPO)
    assert (check.outcome, check.stars) == ("ok", 1200)
    assert check.etag.startswith('W/"')
    assert check.created_at == datetime(2026, 5, 10, 8, 30)
    sent = github.requests[0]
    assert sent["path"] == "/repos/acme/widgets"
    assert sent["headers"]["User-Agent"] == "paperboard-test/1"
    assert sent["headers"]["Authorization"] == "Bearer t0ken"
    assert "If-None-Match" not in sent["headers"]


def test_without_a_token_no_authorization_header_leaves(github):
    with _client(github) as client:
        client.check(REPO)
    assert "Authorization" not in github.requests[0]["headers"]


def test_a_conditional_request_gets_304_and_costs_no_rate_limit(github):
    with _client(github) as client:
        first = client.check(REPO)
        remaining = client.rate_limit.remaining
        again = client.check(REPO, etag=first.etag)
        assert (again.outcome, again.stars, again.etag) == ("unchanged", None, first.etag)
        assert client.rate_limit.remaining == remaining == github.rate_limit - 1
        github.repositories["acme/widgets"].stars = 1250
        changed = client.check(REPO, etag=first.etag)
    assert (changed.outcome, changed.stars) == ("ok", 1250)
    assert changed.etag != first.etag
    assert github.requests[1]["headers"]["If-None-Match"] == first.etag


def test_deleted_and_blocked_repositories_are_gone(github):
    github.blocked.add("acme/dmca")
    with _client(github) as client:
        assert client.check("https://github.com/acme/deleted").outcome == "gone"
        assert client.check("https://github.com/acme/dmca").outcome == "gone"


def test_a_spent_rate_limit_stops_requests_until_the_reset(github):
    github.rate_limit = github.remaining = 2
    with _client(github) as client:
        client.check(REPO)
        client.check("https://github.com/acme/other-gone")
        sent = len(github.requests)
        with pytest.raises(RateLimited) as raised:
            client.check(REPO)
        assert len(github.requests) == sent, "no request may leave while the limit is spent"
        assert raised.value.resume_at == datetime.fromtimestamp(github.reset_at, timezone.utc)
        assert "PAPERBOARD_GITHUB_TOKEN" in str(raised.value)
        github.clock.now = github.reset_at + 1
        assert client.check(REPO).stars == 1200
    assert len(github.requests) == sent + 1


def test_a_403_at_zero_remaining_is_reported_with_the_reset(github):
    github.remaining = 0  # spent by another process sharing the token
    with _client(github, token="shared") as client:
        with pytest.raises(RateLimited) as raised:
            client.check(REPO)
    assert raised.value.resume_at == datetime.fromtimestamp(github.reset_at, timezone.utc)
    assert len(github.requests) == 1


def test_a_spent_limit_whose_reset_our_clock_thinks_is_past_is_not_hammered(github):
    github.remaining = 0
    github.clock.now = github.reset_at - 1  # the server's clock
    with _client(github, clock=lambda: github.reset_at + 5.0, longest_wait_seconds=10) as client:
        with pytest.raises(RateLimited) as raised:
            client.check(REPO)
    assert raised.value.resume_at == datetime.fromtimestamp(github.reset_at + 65.0, timezone.utc)
    assert len(github.requests) == 1


def test_a_short_secondary_limit_is_waited_out(github):
    github.secondary_limited["/repos/acme/widgets"] = 1
    with _client(github) as client:
        assert client.check(REPO).stars == 1200
    assert github.paths_requested() == ["/repos/acme/widgets"] * 2


def test_a_long_secondary_limit_ends_the_run_with_when_to_resume(github):
    github.secondary_limited["/repos/acme/widgets"] = 1
    github.retry_after = 900
    with _client(github) as client:
        with pytest.raises(RateLimited) as raised:
            client.check(REPO)
    assert raised.value.resume_at == datetime.fromtimestamp(github.clock() + 900, timezone.utc)
    assert len(github.requests) == 1


def test_a_cut_connection_is_retried(github):
    github.cuts["/repos/acme/widgets"] = 2
    with _client(github) as client:
        assert client.check(REPO).stars == 1200
    assert len(github.requests) == 3


def test_a_connection_cut_every_time_gives_up_with_a_clear_error(github):
    github.cuts["/repos/acme/widgets"] = 100
    with _client(github, max_retries=2) as client:
        with pytest.raises(SourceUnavailable, match="gave up on GitHub /repos/acme/widgets after 3 attempts"):
            client.check(REPO)


def test_an_unreachable_server_is_a_clear_error():
    with GitHubClient(api_url="http://127.0.0.1:9", user_agent="t", max_retries=1, backoff_seconds=0.01) as client:
        with pytest.raises(SourceUnavailable, match="connection failed"):
            client.check(REPO)


def test_a_url_that_is_not_a_github_repository_is_refused(github):
    with _client(github) as client:
        with pytest.raises(ValueError, match="not a GitHub repository"):
            client.check("https://gitlab.com/acme/widgets")
    assert github.requests == []

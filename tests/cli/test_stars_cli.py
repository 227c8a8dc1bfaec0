"""``paperboard stars refresh`` in-process through ``main()``, against a local fake GitHub."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from paperboard.adapters.store import papers
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.domain.paper import Paper
from paperboard.settings import get_settings
from tests.fake_github import Clock, FakeGitHub, FakeRepository


@pytest.fixture
def github(paperboard_env, database_url, monkeypatch):
    # The command's client reads the real clock, so the fake's rate-limit reset must use it too.
    fake = FakeGitHub(clock=Clock(time.time()), repositories={"acme/alpha": FakeRepository(42)}).start()
    monkeypatch.setenv("PAPERBOARD_GITHUB_API_URL", fake.url)
    monkeypatch.setenv("PAPERBOARD_HTTP_MAX_RETRIES", "0")
    get_settings.cache_clear()
    database = Database(database_url)
    upgrade(database)
    with database.write() as connection:
        papers.upsert_papers(
            connection,
            [
                Paper("2605.00001", "Alpha", code_urls=("https://github.com/acme/alpha",), announced=date.today()),
                Paper("2605.00002", "Beta", code_urls=("https://github.com/acme/beta",), announced=date.today()),
            ],
        )
    database.dispose()
    yield fake
    fake.stop()
    get_settings.cache_clear()


@pytest.fixture
def paperboard(github, monkeypatch, run_paperboard):

    return run_paperboard


def test_refresh_prints_a_summary_and_a_second_run_has_nothing_due(paperboard):
    code, out, _ = paperboard("stars", "refresh")
    assert code == 0
    assert "Checked 2 of 2 due repositories: 1 with a new star count, 0 unchanged, 1 gone; 2 newly tracked." in _flat(out)
    assert "2 requests to GitHub; 58 left this hour." in _flat(out)
    code, out, _ = paperboard("stars", "refresh")
    assert code == 0
    assert _flat(out) == "No repository is due for a star check (each is checked at most every 12 hours)."


def _flat(text: str) -> str:
    """The text without the line breaks rich adds at the terminal width."""
    return " ".join(text.split())


def test_refresh_json_and_limit(paperboard):
    code, out, _ = paperboard("stars", "refresh", "--limit", "1", "--json")
    summary = json.loads(out)
    assert code == 0
    assert (summary["due"], summary["checked"], summary["requests"], summary["stopped"]) == (1, 1, 1, None)


def test_a_spent_rate_limit_is_a_warning_not_a_failure(paperboard, github):
    github.remaining = 0
    code, out, err = paperboard("stars", "refresh")
    assert code == 0
    assert "Checked 0 of 2" in out
    assert "Stopped early: GitHub rate limit of 60 requests is spent until" in _flat(err)


def test_github_unreachable_is_a_one_line_error_with_nonzero_exit(paperboard, github):
    github.cuts["/repos/acme/alpha"] = github.cuts["/repos/acme/beta"] = 10
    code, _, err = paperboard("stars", "refresh")
    assert code == 3
    assert err.strip().splitlines()[-1].startswith("paperboard: error: gave up on GitHub /repos/acme/")


def test_a_bad_limit_is_refused(paperboard):
    code, _, err = paperboard("stars", "refresh", "--limit", "0")
    assert code == 2 and "--limit" in err

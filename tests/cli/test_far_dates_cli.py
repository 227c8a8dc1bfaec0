"""Every ``--date``/``--from``/``--until`` option refuses a day outside the site's range with one
line and a non-zero exit, before any arithmetic on it can overflow (9999-12-31's week ends in 10000)."""

from __future__ import annotations

import pytest

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade


@pytest.fixture
def paperboard(paperboard_env, database_url, run_paperboard):
    database = Database(database_url)
    upgrade(database)
    database.dispose()
    return run_paperboard


@pytest.mark.parametrize(
    "args",
    [
        ("feature", "2604.00001", "--date", "9999-12-31"),
        ("digest", "send", "--period", "weekly", "--date", "9999-12-31"),
        ("digest", "preview", "someone@example.org", "--period", "weekly", "--date", "9999-12-30"),
        ("ingest", "arxiv", "--until", "9999-12-31"),
        ("ingest", "arxiv", "--from", "0001-01-01"),
        ("ingest", "oai", "--from", "9999-12-31"),
        ("search", "transformer week from:9999-12-31"),
    ],
)
def test_far_days_in_options_are_one_line_errors(paperboard, args):
    code, out, err = paperboard(*args)
    assert code != 0
    assert "outside the days this site knows (1900-01-01 to 2999-12-31)" in err
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1, err

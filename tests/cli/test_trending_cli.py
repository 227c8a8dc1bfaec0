"""``paperboard trending refresh`` in-process through ``main()``, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from paperboard.adapters.store import features, papers
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.adapters.store.schema import trending_scores
from paperboard.domain.paper import DailyFeature, Paper


@pytest.fixture
def paperboard(paperboard_env, database_url, monkeypatch, run_paperboard):

    database = Database(database_url)
    upgrade(database)
    today = datetime.now(timezone.utc).date()
    with database.write() as connection:
        papers.upsert_papers(connection, [Paper("2605.00001", "Alpha", announced=today), Paper("2605.00002", "Beta", announced=today)])
        features.upsert_features(connection, [DailyFeature("2605.00001", today, None, 4, "test"), DailyFeature("2605.00002", today, None, 9, "test")])

    run = run_paperboard

    yield run, database
    database.dispose()


def test_refresh_stores_the_list_and_a_rerun_replaces_it(paperboard):
    run, database = paperboard
    code, out, _ = run("trending", "refresh")
    assert (code, out.strip()) == (0, "Scored 2 trending papers.")
    code, out, _ = run("trending", "refresh", "--json")
    assert code == 0 and json.loads(out)["scored"] == 2
    with database.read() as connection:
        assert connection.execute(select(func.count()).select_from(trending_scores)).scalar_one() == 2

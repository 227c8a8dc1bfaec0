"""``paperboard embed`` in-process through ``main()``, with the hashing embedder for speed."""

from __future__ import annotations

import json

import pytest

from paperboard.adapters.store import papers
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.domain.paper import Paper
from paperboard.settings import get_settings


@pytest.fixture
def paperboard(paperboard_env, database_url, monkeypatch, run_paperboard):

    monkeypatch.setenv("PAPERBOARD_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()
    database = Database(database_url)
    upgrade(database)
    with database.write() as connection:
        papers.upsert_papers(connection, [Paper(id=f"2403.{n:05d}", title=f"Title {n}", abstract="Text.") for n in range(7)])
    database.dispose()

    return run_paperboard


def test_embed_reports_counts_and_a_second_run_has_nothing_to_do(paperboard):
    code, out, _ = paperboard("embed", "--limit", "5", "--batch-size", "2")
    assert code == 0 and "5 papers embedded with hashing-384@1" in out
    code, out, _ = paperboard("embed", "--json")
    assert code == 0
    counts = json.loads(out)
    assert (counts["model"], counts["embedded"], counts["looked_at"]) == ("hashing-384@1", 2, 2)
    code, out, _ = paperboard("embed", "--json")
    assert json.loads(out)["embedded"] == 0


def test_bad_options_and_settings_are_one_line_errors(paperboard, monkeypatch):
    code, _, err = paperboard("embed", "--batch-size", "0")
    assert code == 2 and "--batch-size" in err
    monkeypatch.setenv("PAPERBOARD_EMBEDDING_MODEL", "bert-huge")
    get_settings.cache_clear()
    code, _, err = paperboard("embed")
    assert code == 2 and err.startswith("paperboard: error: invalid settings: PAPERBOARD_EMBEDDING_MODEL")

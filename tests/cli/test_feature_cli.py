"""``paperboard feature`` / ``unfeature`` in-process through ``main()``, on SQLite and PostgreSQL;
an id the site lacks is fetched from a fake arXiv on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date

import pytest

from paperboard.adapters.store import papers
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.domain.paper import Paper
from paperboard.services import feed
from paperboard.services.context import AppContext
from paperboard.settings import get_settings
from tests.fakes_arxiv import ApiCorpus, FakeArxiv, atom_entry


@pytest.fixture
def paperboard(paperboard_env, database_url, monkeypatch, run_paperboard):

    server = FakeArxiv().__enter__()
    server.api = ApiCorpus({"2604.77777": atom_entry("2604.77777", title="Fetched by the CLI")})
    monkeypatch.setenv("PAPERBOARD_ARXIV_API_URL", server.api_url)
    monkeypatch.setenv("PAPERBOARD_ARXIV_DELAY_SECONDS", "0")
    monkeypatch.setenv("PAPERBOARD_HTTP_MAX_RETRIES", "0")
    get_settings.cache_clear()
    database = Database(database_url)
    upgrade(database)
    with database.write() as connection:
        papers.upsert_papers(connection, [Paper("2604.00001", "Alpha", announced=date(2026, 4, 1))])
    database.dispose()

    run = run_paperboard

    yield run
    server.__exit__(None, None, None)
    get_settings.cache_clear()


def _feature_of(paper_id: str):
    ctx = AppContext(get_settings())
    try:
        found = feed.find_paper(ctx, paper_id)
        return found.feature if found else None
    finally:
        ctx.database.dispose()


def test_feature_move_and_unfeature(paperboard):
    code, out, _ = paperboard("feature", "2604.00001", "--date", "2026-04-06")
    assert code == 0 and "Featured 2604.00001 on 2026-04-06." in out
    code, out, _ = paperboard("feature", "arXiv:2604.00001v3", "--date", "2026-04-06")
    assert code == 0 and "already featured on 2026-04-06; nothing changed" in out
    code, out, _ = paperboard("feature", "2604.00001", "--date", "2026-04-08", "--json")
    assert json.loads(out) == {"id": "2604.00001", "featuredOn": "2026-04-08", "changed": True}
    feature = _feature_of("2604.00001")
    assert (feature.featured_on, feature.source) == (date(2026, 4, 8), "admin")
    code, out, _ = paperboard("unfeature", "2604.00001")
    assert code == 0 and "Took 2604.00001 off the daily feed." in out
    code, out, _ = paperboard("unfeature", "2604.00001")
    assert code == 0 and "was not featured; nothing changed" in out
    assert _feature_of("2604.00001") is None


def test_an_unknown_id_is_fetched_first_and_bad_input_is_one_line(paperboard):
    code, out, _ = paperboard("feature", "2604.77777", "--date", "2026-04-06")
    assert code == 0 and "Featured 2604.77777" in out
    assert _feature_of("2604.77777").featured_on == date(2026, 4, 6)
    code, _, err = paperboard("feature", "2604.88888")
    assert code == 2 and err.startswith("paperboard: error: arXiv has no paper 2604.88888")
    code, _, err = paperboard("feature", "not-an-id")
    assert code == 2 and "is not an arXiv id" in err and len(err.strip().splitlines()) == 1
    code, _, err = paperboard("feature", "2604.00001", "--date", "2026-13-01")
    assert code == 2 and "is not a date in the calendar" in err

"""Migration 0013 removes the hostile links stored before links were checked, on both engines."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import current_revision, head_revision, upgrade
from paperboard.adapters.store.schema import papers
from tests.hostile_links import HOSTILE_LINKS

NOW = datetime(2026, 5, 5)
GOOD_CODE = "https://github.com/ok/repo"


def _row(paper_id: str, bad: str, **overrides) -> dict:
    row = {
        "id": paper_id, "title": f"Paper {paper_id}", "abstract": "", "authors": [], "categories": [],
        "source": "old-import", "abs_url": bad, "pdf_url": bad, "project_url": bad,
        "code_urls": [bad, GOOD_CODE], "huggingface_urls": [bad], "created_at": NOW, "modified_at": NOW,
    }
    return {**row, **overrides}


@pytest.fixture
def old_database(empty_database_url):
    db = Database(empty_database_url)
    upgrade(db, "0012_embedding_claims")
    yield db
    db.dispose()


def test_bad_links_stored_before_0013_are_dropped_and_good_ones_kept(old_database):
    arxiv_ids = [f"2605.{90400 + n}" for n in range(len(HOSTILE_LINKS))]
    other_ids = [f"beir:{n}" for n in range(len(HOSTILE_LINKS))]
    good = _row("2401.01234", "https://arxiv.org/abs/2401.01234", pdf_url="https://arxiv.org/pdf/2401.01234",
                project_url="https://project.example/", code_urls=[GOOD_CODE], huggingface_urls=["https://huggingface.co/o/m"])
    with old_database.write() as connection:
        connection.execute(insert(papers), [_row(i, bad) for i, bad in zip(arxiv_ids + other_ids, HOSTILE_LINKS * 2)] + [good])

    assert current_revision(old_database) == "0012_embedding_claims"
    upgrade(old_database)
    assert current_revision(old_database) == head_revision()

    with old_database.read() as connection:
        rows = {r.id: r for r in connection.execute(select(papers))}
    assert len(rows) == 2 * len(HOSTILE_LINKS) + 1  # every record kept
    for paper_id in arxiv_ids:
        row = rows[paper_id]
        assert (row.abs_url, row.pdf_url) == (f"https://arxiv.org/abs/{paper_id}", f"https://arxiv.org/pdf/{paper_id}")
        assert (row.project_url, row.code_urls, row.huggingface_urls) == (None, [GOOD_CODE], [])
        assert row.modified_at > NOW  # the keyword index sees the change
    for paper_id in other_ids:
        row = rows[paper_id]
        assert (row.abs_url, row.pdf_url, row.project_url, row.code_urls, row.huggingface_urls) == (None, None, None, [GOOD_CODE], [])
    kept = rows["2401.01234"]
    assert (kept.abs_url, kept.pdf_url, kept.project_url, kept.code_urls, kept.huggingface_urls, kept.modified_at) == (
        good["abs_url"], good["pdf_url"], good["project_url"], good["code_urls"], good["huggingface_urls"], NOW
    )

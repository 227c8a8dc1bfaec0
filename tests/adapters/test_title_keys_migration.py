"""Migration 0014 files every indexed title under the near-exact key, on both engines."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from paperboard.adapters.search.keyword import keyword_index
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import current_revision, head_revision, upgrade
from paperboard.adapters.store.schema import papers, search_documents
from paperboard.domain.analysis import normalise_title
from paperboard.domain.titles import title_key

NOW = datetime(2026, 5, 5)
TITLES = {
    "2605.00001": "A Survey of Diffusion Models",
    "2605.00002": "Clustering as Reasoning: A $k$-Means Interpretation",
    "2605.00003": "Scale Space Diffusion",
}


@pytest.fixture
def old_database(empty_database_url):
    db = Database(empty_database_url)
    upgrade(db, "0013_clean_links")
    yield db
    db.dispose()


def test_title_keys_are_rewritten_and_near_exact_titles_found(old_database):
    with old_database.write() as connection:
        connection.execute(insert(papers), [
            {"id": paper_id, "title": title, "abstract": "", "authors": [], "categories": [], "source": "test",
             "code_urls": [], "huggingface_urls": [], "created_at": NOW, "modified_at": NOW}
            for paper_id, title in TITLES.items()
        ])
        connection.execute(insert(search_documents), [
            {"doc_id": n, "paper_id": paper_id, "title_key": normalise_title(title), "length": 3, "text_hash": "x",
             "indexed_at": NOW}
            for n, (paper_id, title) in enumerate(TITLES.items(), start=1)
        ])
    upgrade(old_database)
    assert current_revision(old_database) == head_revision()
    with old_database.read() as connection:
        keys = dict(connection.execute(select(search_documents.c.paper_id, search_documents.c.title_key)).all())
        index = keyword_index(old_database)
        assert keys == {paper_id: title_key(title) for paper_id, title in TITLES.items()}
        assert keys["2605.00001"] == "survey diffusion models"
        assert index.title_matches(connection, "Survey of Diffusion Models") == ["2605.00001"]
        assert index.title_matches(connection, "clustering as reasoning: a k-means interpretation") == ["2605.00002"]
        assert index.title_matches(connection, "Scale Space Diffusion.") == ["2605.00003"]
        assert index.title_matches(connection, "Diffusion Models") == []

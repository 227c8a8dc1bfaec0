"""The store against real SQLite and real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import inspect, text

from paperboard.adapters.store import checkpoints, papers
from paperboard.adapters.store.database import Database, ReadTimeout
from paperboard.adapters.store.migrate import current_revision, head_revision, upgrade
from paperboard.adapters.store.schema import metadata
from paperboard.domain.paper import Paper


def _paper(paper_id="2401.01234", **overrides) -> Paper:
    values = dict(id=paper_id, title="A title", abstract="An abstract.", categories=("cs.CL", "cs.AI"))
    values.update(overrides)
    return Paper(**values)


def test_migrations_create_exactly_the_declared_schema(database: Database):
    assert current_revision(database) == head_revision()
    inspector = inspect(database.engine)
    declared = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    actual = {name: {c["name"] for c in inspector.get_columns(name)} for name in declared}
    assert actual == declared


def test_upgrade_from_nothing_then_again_is_a_no_op(empty_database_url):
    database = Database(empty_database_url)
    try:
        assert upgrade(database) == (None, head_revision())
        assert upgrade(database) == (head_revision(), head_revision())
    finally:
        database.dispose()


def test_insert_then_reimport_changes_nothing(database: Database):
    with database.write() as connection:
        first = papers.upsert_papers(connection, [_paper(), _paper("hep-th/9901001")])
    with database.write() as connection:
        second = papers.upsert_papers(connection, [_paper(), _paper("hep-th/9901001")])
    assert (first.inserted, first.updated) == (2, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    with database.read() as connection:
        assert papers.count_papers(connection) == 2
        stored = papers.get_paper(connection, "hep-th/9901001")
    assert stored.categories == ("cs.CL", "cs.AI") and stored.primary_category == "cs.CL"


def test_newer_version_replaces_older_and_older_is_ignored(database: Database):
    with database.write() as connection:
        papers.upsert_papers(connection, [_paper(version=1, title="Old", doi="10.1/x")])
    with database.write() as connection:
        counts = papers.upsert_papers(connection, [_paper(version=2, title="New", categories=("cs.LG",))])
    assert counts.updated == 1
    with database.write() as connection:
        stale = papers.upsert_papers(connection, [_paper(version=1, title="Old")])
    assert stale.unchanged == 1
    with database.read() as connection:
        stored = papers.get_paper(connection, "2401.01234")
        category_rows = connection.execute(
            text("select category from paper_categories where paper_id = '2401.01234'")
        ).scalars().all()
    assert (stored.version, stored.title, stored.doi) == (2, "New", "10.1/x")
    assert category_rows == ["cs.LG"]


def test_a_failed_batch_leaves_nothing_behind(database: Database):
    with database.write() as connection:
        papers.upsert_papers(connection, [_paper("2401.00001")])
    with pytest.raises(RuntimeError):
        with database.write() as connection:
            papers.upsert_papers(connection, [_paper("2401.00002")])
            raise RuntimeError("killed mid-batch")
    with database.read() as connection:
        assert papers.count_papers(connection) == 1


def test_announced_date_is_the_earliest_reported(database: Database):
    with database.write() as connection:
        papers.upsert_papers(connection, [_paper(announced=date(2026, 3, 3))])
        papers.upsert_papers(connection, [_paper(announced=date(2026, 3, 2))])
        papers.upsert_papers(connection, [_paper(announced=date(2026, 3, 9))])
    with database.read() as connection:
        assert papers.get_paper(connection, "2401.01234").announced == date(2026, 3, 2)


def test_checkpoints_round_trip(database: Database):
    with database.write() as connection:
        assert checkpoints.load_checkpoint(connection, "oai:cs") is None
        checkpoints.save_checkpoint(connection, "oai:cs", {"token": "abc", "n": 1})
        checkpoints.save_checkpoint(connection, "oai:cs", {"token": "def", "n": 2})
    with database.read() as connection:
        assert checkpoints.load_checkpoint(connection, "oai:cs") == {"token": "def", "n": 2}


def test_iter_papers_pages_through_everything(database: Database):
    with database.write() as connection:
        papers.upsert_papers(connection, [_paper(f"2401.{n:05d}") for n in range(1, 26)])
    with database.read() as connection:
        ids = [p.id for p in papers.iter_papers(connection, batch_size=7)]
    assert ids == [f"2401.{n:05d}" for n in range(1, 26)]


def test_a_slow_read_is_interrupted(database: Database):
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
    )
    with pytest.raises(ReadTimeout):
        with database.read(timeout_ms=50) as connection:
            connection.execute(text(slow)).scalar()


def test_the_budget_is_per_statement_so_work_between_statements_costs_nothing(database: Database):
    """Like PostgreSQL's statement_timeout: time spent outside SQL (a vector index catching up, a
    page rendering) between two statements of one read does not make the second one fail."""
    with database.read(timeout_ms=200) as connection:
        connection.execute(text("SELECT 1")).scalar()
        time.sleep(0.4)  # twice the budget, outside any statement
        assert connection.execute(text("SELECT count(*) FROM papers")).scalar() == 0
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
    with pytest.raises(ReadTimeout), database.read(timeout_ms=200) as connection:
        connection.execute(text("SELECT 1")).scalar()
        connection.execute(text(slow)).scalar()


def test_concurrent_writers_all_land(database: Database):
    errors = []

    def writer(n: int) -> None:
        try:
            for k in range(5):
                with database.write() as connection:
                    papers.upsert_papers(connection, [_paper(f"2402.{n:02d}{k:03d}")])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with database.read() as connection:
        assert papers.count_papers(connection) == 40

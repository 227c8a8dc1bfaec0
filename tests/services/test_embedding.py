"""embed_missing on real SQLite and PostgreSQL: batches, resumability, model changes."""

from __future__ import annotations

import numpy as np
import pytest

from paperboard.adapters.search.embedder import HashingEmbedder, document_text
from paperboard.adapters.store import embeddings, papers
from paperboard.adapters.store.database import Database
from paperboard.domain.paper import Paper
from paperboard.services.context import AppContext
from paperboard.services.embedding import embed_missing
from paperboard.settings import Settings


@pytest.fixture
def ctx_settings():
    return {"embedding_batch_size": 4}


def _add_papers(database: Database, count: int, start: int = 0) -> list[Paper]:
    batch = [
        Paper(id=f"2402.{n:05d}", title=f"Paper {n} on topic {n % 3}", abstract=f"We study question {n} in depth.")
        for n in range(start, start + count)
    ]
    with database.write() as connection:
        papers.upsert_papers(connection, batch)
    return batch


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering what it was asked to embed."""

    def __init__(self, dimension: int = 384) -> None:
        super().__init__(dimension)
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed_documents(texts)


class CrashingEmbedder(CountingEmbedder):
    """Dies like a killed process on its ``crash_on``-th batch."""

    def __init__(self, crash_on: int) -> None:
        super().__init__()
        self.crash_on = crash_on

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if len(self.calls) + 1 == self.crash_on:
            raise KeyboardInterrupt
        return super().embed_documents(texts)


def _stored(database: Database, model: str) -> tuple[list[str], np.ndarray]:
    with database.read() as connection:
        chunks = list(embeddings.iter_embeddings(connection, model))
    if not chunks:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [i for ids, _ in chunks for i in ids], np.vstack([matrix for _, matrix in chunks])


def test_embeds_every_paper_once_in_batches(ctx: AppContext):
    batch = _add_papers(ctx.database, 10)
    progress: list[tuple[int, int]] = []
    embedder = CountingEmbedder()
    counts = embed_missing(ctx, embedder=embedder, progress=lambda done, total: progress.append((done, total)))
    assert (counts.embedded, counts.looked_at, counts.unchanged) == (10, 10, 0)
    assert counts.model == embedder.model_id == "hashing-384@1"
    assert [len(texts) for texts in embedder.calls] == [4, 4, 2]
    assert progress == [(0, 10), (4, 10), (8, 10), (10, 10)]

    ids, matrix = _stored(ctx.database, embedder.model_id)
    assert ids == [p.id for p in batch]
    expected = HashingEmbedder().embed_documents([document_text(p.title, p.abstract) for p in batch])
    np.testing.assert_array_equal(matrix, expected)

    again = embed_missing(ctx, embedder=embedder)
    assert (again.embedded, again.looked_at) == (0, 0)
    assert len(embedder.calls) == 3


def test_a_killed_run_loses_at_most_one_batch_and_the_next_run_finishes(ctx: AppContext):
    batch = _add_papers(ctx.database, 10)
    crashing = CrashingEmbedder(crash_on=3)
    with pytest.raises(KeyboardInterrupt):
        embed_missing(ctx, embedder=crashing)
    ids, _ = _stored(ctx.database, crashing.model_id)
    assert ids == [p.id for p in batch[:8]]

    resumed = CountingEmbedder()
    counts = embed_missing(ctx, embedder=resumed)
    assert counts.embedded == 2
    assert resumed.calls == [[document_text(p.title, p.abstract) for p in batch[8:]]]
    assert len(_stored(ctx.database, resumed.model_id)[0]) == 10


def test_changing_the_model_re_embeds_without_mixing(ctx: AppContext):
    _add_papers(ctx.database, 6)
    first, second = HashingEmbedder(384), HashingEmbedder(64)
    assert embed_missing(ctx, embedder=first).embedded == 6
    assert embed_missing(ctx, embedder=second).embedded == 6
    assert embed_missing(ctx, embedder=first).embedded == 0
    assert _stored(ctx.database, first.model_id)[1].shape == (6, 384)
    assert _stored(ctx.database, second.model_id)[1].shape == (6, 64)


def test_a_changed_text_re_embeds_and_other_changes_do_not(ctx: AppContext):
    batch = _add_papers(ctx.database, 3)
    embedder = CountingEmbedder()
    embed_missing(ctx, embedder=embedder)
    with ctx.database.write() as connection:
        papers.upsert_papers(
            connection,
            [
                Paper(id=batch[0].id, title=batch[0].title, abstract="A rewritten abstract.", version=2),
                Paper(id=batch[1].id, title=batch[1].title, abstract=batch[1].abstract, doi="10.1/x"),
            ],
        )
    counts = embed_missing(ctx, embedder=embedder)
    assert (counts.looked_at, counts.embedded, counts.unchanged) == (2, 1, 1)
    assert embedder.calls[-1] == [f"{batch[0].title}. A rewritten abstract."]
    ids, matrix = _stored(ctx.database, embedder.model_id)
    np.testing.assert_array_equal(matrix[0], embedder.embed_query(f"{batch[0].title}. A rewritten abstract."))
    assert embed_missing(ctx, embedder=embedder).looked_at == 0


def test_a_paper_changed_while_embedding_is_embedded_again_by_the_second_pass(ctx: AppContext):
    batch = _add_papers(ctx.database, 3)
    database = ctx.database

    class MeddlingEmbedder(CountingEmbedder):
        def embed_documents(self, texts):
            if not self.calls:  # another process edits one paper and deletes another meanwhile
                with database.write() as connection:
                    papers.upsert_papers(connection, [Paper(id=batch[0].id, title="Edited title", version=3)])
                    connection.execute(papers.papers.delete().where(papers.papers.c.id == batch[1].id))
            return super().embed_documents(texts)

    embedder = MeddlingEmbedder()
    counts = embed_missing(ctx, embedder=embedder)
    # The first batch keeps only the untouched paper; the run's second pass embeds the edited text.
    assert (counts.embedded, counts.changed_meanwhile, counts.left) == (2, 2, 0)
    assert embedder.calls[-1] == ["Edited title. We study question 0 in depth."]
    assert _stored(ctx.database, embedder.model_id)[0] == [batch[0].id, batch[2].id]
    assert embed_missing(ctx, embedder=embedder).looked_at == 0


def test_limit_bounds_one_run(ctx: AppContext):
    _add_papers(ctx.database, 10)
    embedder = HashingEmbedder()
    assert embed_missing(ctx, embedder=embedder, limit=5, batch_size=3).embedded == 5
    assert embed_missing(ctx, embedder=embedder, limit=50).embedded == 5


def test_the_settings_choose_the_embedder(ctx: AppContext):
    _add_papers(ctx.database, 2)
    counts = embed_missing(ctx)
    assert counts.model == "hashing-384@1" and counts.embedded == 2


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
def test_the_real_model_fills_the_store(tmp_path, monkeypatch, database: Database, model_cache_dir):
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    context = AppContext(Settings(home=tmp_path / "home", model_cache_dir=model_cache_dir))
    context.database = database
    batch = _add_papers(database, 5)
    counts = embed_missing(context, batch_size=2)
    assert counts.embedded == 5 and counts.model == "all-MiniLM-L6-v2/onnx-int8-pc@1"
    ids, matrix = _stored(database, counts.model)
    assert ids == [p.id for p in batch] and matrix.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    query = context.embedder.embed_query(document_text(batch[3].title, batch[3].abstract))
    assert int(np.argmax(matrix @ query)) == 3

"""Claimed batches: two embedders at once (an import beside a running ``up``) embed every paper
exactly once between them, on SQLite and PostgreSQL; claims of a dead embedder lapse."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from paperboard.adapters.search.embedder import HashingEmbedder
from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import embedding_claims, paper_embeddings
from paperboard.services.context import AppContext
from paperboard.services.embedding import embed_missing
from tests.services.test_embedding import _add_papers, ctx_settings  # noqa: F401 - a fixture


class SlowEmbedder(HashingEmbedder):
    """Takes its time per batch, as a model does, and records what it embedded. Its first batch
    waits until the other embedder holds one too, so the two really run at once."""

    def __init__(self, seen: Counter, lock: threading.Lock, both_started: threading.Barrier) -> None:
        super().__init__()
        self.seen, self.lock, self.both_started = seen, lock, both_started
        self.batches = 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.batches == 1:
            self.both_started.wait(timeout=60)
        time.sleep(0.01)
        with self.lock:
            self.seen.update(texts)
        return super().embed_documents(texts)


def _stored(ctx: AppContext, model: str) -> int:
    with ctx.database.read() as connection:
        return connection.execute(select(func.count()).where(paper_embeddings.c.model == model)).scalar_one()


def _claims(ctx: AppContext) -> int:
    with ctx.database.read() as connection:
        return connection.execute(select(func.count()).select_from(embedding_claims)).scalar_one()


def test_two_embedders_at_once_embed_each_paper_once(ctx: AppContext):
    _add_papers(ctx.database, 120)
    seen, lock, both_started = Counter(), threading.Lock(), threading.Barrier(2)
    results, progress = {}, {}

    def run(name: str) -> None:
        progress[name] = []
        results[name] = embed_missing(ctx, embedder=SlowEmbedder(seen, lock, both_started), batch_size=8,
                                      progress=lambda done, total: progress[name].append((done, total)))

    threads = [threading.Thread(target=run, args=(name,)) for name in ("import", "up")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert set(results) == {"import", "up"}
    assert len(seen) == 120 and max(seen.values()) == 1  # no text embedded twice
    assert results["import"].embedded + results["up"].embedded == 120
    assert results["import"].embedded > 0 and results["up"].embedded > 0  # they shared the work
    for name, counts in results.items():
        # Each one's progress counts the whole job: it ends at 100 %, the other's part included.
        assert progress[name][-1] == (120, 120), name
        assert counts.left == 0 and counts.by_others == 120 - counts.embedded
    assert _stored(ctx, HashingEmbedder().model_id) == 120
    assert _claims(ctx) == 0


def _claim_elsewhere(ctx: AppContext, paper_ids: list[str], *, lapsed: bool) -> None:
    expires = utcnow() + (timedelta(minutes=-1) if lapsed else timedelta(minutes=10))
    with ctx.database.write() as connection:
        connection.execute(insert(embedding_claims), [
            dict(model=HashingEmbedder().model_id, paper_id=p, owner="otherhost:1:abc", expires_at=expires) for p in paper_ids
        ])


def test_papers_claimed_by_a_live_embedder_are_left_to_it_and_the_run_says_so(ctx: AppContext):
    batch = _add_papers(ctx.database, 10)
    _claim_elsewhere(ctx, [p.id for p in batch[:3]], lapsed=False)
    ticks = iter(range(0, 10_000))
    slept: list[float] = []
    counts = embed_missing(ctx, embedder=HashingEmbedder(), clock=lambda: float(next(ticks)), sleep=slept.append)
    assert (counts.embedded, counts.left) == (7, 3)
    assert slept  # it waited for the other embedder before giving up
    assert "3 papers are being embedded by another process" in counts.left_reason


def test_a_lapsed_claim_is_taken_over(ctx: AppContext):
    batch = _add_papers(ctx.database, 10)
    _claim_elsewhere(ctx, [p.id for p in batch[:3]], lapsed=True)
    counts = embed_missing(ctx, embedder=HashingEmbedder())
    assert (counts.embedded, counts.left) == (10, 0)
    assert _claims(ctx) == 0


def test_an_interrupted_run_gives_its_claims_back_at_once(ctx: AppContext):
    _add_papers(ctx.database, 10)

    class Interrupted(HashingEmbedder):
        def embed_documents(self, texts):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_missing(ctx, embedder=Interrupted(), batch_size=4)
    assert _claims(ctx) == 0
    assert embed_missing(ctx, embedder=HashingEmbedder()).embedded == 10

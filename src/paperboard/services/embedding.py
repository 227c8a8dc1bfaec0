"""Embed the papers that have no vector for the current model, or whose text changed since.

Work goes in batches: read candidates, embed them outside any transaction, then write the batch
in one transaction. A killed run loses at most the batch in flight; the next run starts over with
whatever is still missing, so running it twice never embeds a paper twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from paperboard.adapters.search.embedder import Embedder, document_text
from paperboard.adapters.store import embeddings as store
from paperboard.services.context import AppContext

# Finding candidates scans every paper once it is all embedded; a batch job may take its time.
_SCAN_BUDGET_MS = 120_000

Progress = Callable[[int, int], None]  # (papers looked at so far, papers to look at)


@dataclass
class EmbedCounts:
    model: str
    looked_at: int = 0  # candidates: no vector yet, or the paper changed after its vector was made
    embedded: int = 0
    unchanged: int = 0  # changed in fields other than title and abstract: vector kept as it is
    changed_meanwhile: int = 0  # text changed (or paper deleted) while embedding: left for the next run
    seconds: float = 0.0

    @property
    def papers_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "papers_per_second": round(self.papers_per_second, 2)}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_missing(
    ctx: AppContext,
    *,
    embedder: Embedder | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> EmbedCounts:
    """Embed what is missing or stale for ``embedder`` (default: the one the settings choose).

    ``limit`` bounds the papers embedded in this run. ``progress`` is called after each batch.
    """
    embedder = embedder or ctx.embedder
    batch_size = batch_size or ctx.settings.embedding_batch_size
    counts = EmbedCounts(model=embedder.model_id)
    started = time.perf_counter()
    with ctx.database.read(timeout_ms=_SCAN_BUDGET_MS) as connection:
        total = store.count_missing_or_stale(connection, embedder.model_id)
    if limit is not None:
        total = min(total, limit)
    if progress:
        progress(0, total)

    after_id = ""
    while limit is None or counts.embedded < limit:
        with ctx.database.read(timeout_ms=_SCAN_BUDGET_MS) as connection:
            candidates = store.missing_or_stale(connection, embedder.model_id, batch_size, after_id=after_id)
        if not candidates:
            break
        after_id = candidates[-1].paper_id
        counts.looked_at += len(candidates)
        room = None if limit is None else limit - counts.embedded
        _embed_batch(ctx, embedder, candidates, counts, room)
        if progress:
            progress(min(counts.looked_at, total), total)
    counts.seconds = time.perf_counter() - started
    return counts


def _embed_batch(
    ctx: AppContext, embedder: Embedder, candidates: list[store.EmbeddingCandidate], counts: EmbedCounts, room: int | None
) -> None:
    pending: list[tuple[str, str, str]] = []  # (paper id, text, text hash)
    unchanged: list[tuple[str, str]] = []  # (paper id, text hash)
    for candidate in candidates:
        text = document_text(candidate.title, candidate.abstract)
        digest = text_hash(text)
        if digest == candidate.stored_text_hash:
            unchanged.append((candidate.paper_id, digest))
        else:
            pending.append((candidate.paper_id, text, digest))
    pending = pending[:room]
    vectors = embedder.embed_documents([text for _, text, _ in pending])

    with ctx.database.write() as connection:
        # A text may have changed, or its paper gone, while the batch was embedded: such papers
        # are left out and stay candidates for the next run.
        ids = [paper_id for paper_id, _, _ in pending] + [paper_id for paper_id, _ in unchanged]
        current = store.paper_texts(connection, ids, lock=True)

        def still_fits(paper_id: str, digest: str) -> bool:
            return paper_id in current and text_hash(document_text(*current[paper_id])) == digest

        rows = [
            store.EmbeddingRow(paper_id, vector, digest)
            for (paper_id, _, digest), vector in zip(pending, vectors)
            if still_fits(paper_id, digest)
        ]
        store.save_embeddings(connection, embedder.model_id, rows)
        confirmed = [paper_id for paper_id, digest in unchanged if still_fits(paper_id, digest)]
        store.mark_current(connection, embedder.model_id, confirmed)
    counts.embedded += len(rows)
    counts.unchanged += len(confirmed)
    counts.changed_meanwhile += len(pending) - len(rows) + len(unchanged) - len(confirmed)

"""Embed the papers that have no vector for the current model, or whose text changed since.

Work goes in claimed batches: claim a batch of candidates (a lease in ``embedding_claims``), embed
them outside any transaction, then write their vectors and drop the claims in one transaction.
Another embedder at the same time (an import beside a running ``up``, several workers) skips
claimed papers, so no paper is embedded twice; a killed run's claims lapse with their lease, and
the next run starts over with whatever is still missing.

Progress counts the whole job, not only this process's part: papers another embedder finished
meanwhile count as done, so the bar ends at 100 % (or the run says what was left and why).
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from paperboard.adapters.search.embedder import Embedder, document_text
from paperboard.adapters.store import embeddings as store
from paperboard.adapters.store.papers import utcnow
from paperboard.services.context import AppContext

# Finding candidates scans every paper once it is all embedded; a batch job may take its time.
_SCAN_BUDGET_MS = 120_000
# A claim outlives any batch's embedding by far (64 papers take seconds, even on a loaded CPU); a
# killed embedder's papers are free for others after it.
CLAIM_LEASE = timedelta(minutes=10)
# After the first pass, how long to wait for other embedders to finish the batches they hold, so the run can
# say "all done" rather than "N in progress elsewhere".
WAIT_FOR_OTHERS_SECONDS = 60.0
_POLL_SECONDS = 1.0
# Recounting what is missing (for the progress of the whole job) scans the candidates: at most
# this often, and never more than a twentieth of the time.
_RECOUNT_SECONDS = 10.0

Progress = Callable[[int, int], None]  # (papers with a current vector so far, papers to embed in all)


@dataclass
class EmbedCounts:
    model: str
    looked_at: int = 0  # candidates claimed: no vector yet, or the paper changed after its vector was made
    embedded: int = 0
    unchanged: int = 0  # changed in fields other than title and abstract: vector kept as it is
    changed_meanwhile: int = 0  # text changed (or paper deleted) while embedding: left for the next batch
    by_others: int = 0  # candidates another embedder finished while this one ran
    left: int = 0  # still without a current vector when this run ended
    left_reason: str | None = None
    seconds: float = 0.0

    @property
    def papers_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "papers_per_second": round(self.papers_per_second, 2)}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedder_name() -> str:
    """Who holds a claim: host and process, and a random part for two runs in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Tally:
    """The job's progress: what this run did, plus what others did, from a recount now and then."""

    def __init__(self, ctx: AppContext, model: str, counts: EmbedCounts, clock: Callable[[], float]) -> None:
        self.ctx, self.model, self.counts, self.clock = ctx, model, counts, clock
        self.total = self._missing()
        self.others = 0
        self._recounted_at = clock()
        self._recount_cost = 0.0

    def _missing(self) -> int:
        with self.ctx.database.read(timeout_ms=_SCAN_BUDGET_MS) as connection:
            return store.count_missing_or_stale(connection, self.model)

    def mine(self) -> int:
        return self.counts.embedded + self.counts.unchanged

    def done(self) -> int:
        return min(self.total, self.mine() + self.others)

    def recount(self, *, force: bool = False) -> int:
        """Papers still missing now; others' part of the job is what went away without this run."""
        now = self.clock()
        if not force and now - self._recounted_at < max(_RECOUNT_SECONDS, 20 * self._recount_cost):
            return self.total - self.done()
        missing = self._missing()
        self._recount_cost, self._recounted_at = self.clock() - now, self.clock()
        # Papers that arrived meanwhile (a harvest) make the job bigger, never the others' part negative.
        self.total = max(self.total, self.mine() + self.others + missing)
        self.others = max(self.others, self.total - missing - self.mine())
        return missing


def embed_missing(
    ctx: AppContext,
    *,
    embedder: Embedder | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> EmbedCounts:
    """Embed what is missing or stale for ``embedder`` (default: the one the settings choose).

    ``limit`` bounds the papers embedded in this run. ``progress`` is called after each batch.
    """
    embedder = embedder or ctx.embedder
    batch_size = batch_size or ctx.settings.embedding_batch_size
    counts = EmbedCounts(model=embedder.model_id)
    owner = embedder_name()
    started = clock()
    tally = _Tally(ctx, embedder.model_id, counts, clock)
    reported: list[tuple[int, int]] = []

    def report() -> None:
        if progress and (not reported or reported[-1] != (tally.done(), tally.total)):
            reported.append((tally.done(), tally.total))
            progress(*reported[-1])

    report()
    limited = lambda: limit is not None and counts.embedded >= limit  # noqa: E731
    try:
        # Two passes in paper-id order: the second takes what the first could not (papers another
        # embedder held and gave back, papers changed or added meanwhile). Each pass only moves
        # forward, so a paper that keeps changing can't keep a run going.
        for pass_number in (1, 2):
            after_id = ""
            while not limited():
                room = batch_size if limit is None else min(batch_size, limit - counts.embedded)
                now = utcnow()
                with ctx.database.write() as connection:
                    claimed, last_seen = store.claim_candidates(
                        connection, embedder.model_id, owner, room, after_id=after_id, now=now, expires_at=now + CLAIM_LEASE
                    )
                if last_seen is None:
                    break
                after_id = last_seen
                if claimed:
                    counts.looked_at += len(claimed)
                    _embed_batch(ctx, embedder, owner, claimed, counts)
                    tally.recount()
                    report()
            if pass_number == 1 and not limited():
                _wait_for_others(ctx, embedder.model_id, owner, tally, report, clock, sleep)
    finally:
        # Interrupted or failed: what this run still holds is free for others at once, not in ten minutes.
        with ctx.database.write() as connection:
            store.release_claims(connection, embedder.model_id, owner)
    counts.left = tally.recount(force=True)
    counts.by_others = tally.others
    if counts.left:
        counts.left_reason = _why_left(ctx, embedder.model_id, owner, limit if limited() else None)
    report()
    counts.seconds = clock() - started
    return counts


def _wait_for_others(ctx: AppContext, model: str, owner: str, tally: _Tally, report, clock, sleep) -> None:
    """While other embedders hold claims (each a batch of seconds), wait for them, up to a minute:
    the papers they finish count as done, and the second pass takes any they give back."""
    deadline = clock() + WAIT_FOR_OTHERS_SECONDS
    while clock() < deadline:
        with ctx.database.read() as connection:
            held, _ = store.claims_elsewhere(connection, model, owner, utcnow())
        if not held:
            return
        sleep(_POLL_SECONDS)
        tally.recount()
        report()


def _why_left(ctx: AppContext, model: str, owner: str, limit: int | None) -> str:
    if limit is not None:
        return f"this run stopped at its limit of {limit:,} papers; run `paperboard embed` for the rest"
    with ctx.database.read() as connection:
        held, lapses_at = store.claims_elsewhere(connection, model, owner, utcnow())
    if held:
        return (
            f"{held:,} papers are being embedded by another process (`paperboard up`, a worker or another "
            f"command); if it stopped, its claim lapses at {lapses_at:%H:%M} UTC and the next run embeds them"
        )
    return "they arrived or changed while this run embedded; the next run (or the catch-up of `paperboard up`) embeds them"


def _embed_batch(
    ctx: AppContext, embedder: Embedder, owner: str, candidates: list[store.EmbeddingCandidate], counts: EmbedCounts
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
    vectors = embedder.embed_documents([text for _, text, _ in pending])

    with ctx.database.write() as connection:
        # A text may have changed, or its paper gone, while the batch was embedded: such papers
        # are left out and stay candidates (the run's next pass takes them).
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
        store.release_claims(connection, embedder.model_id, owner, [c.paper_id for c in candidates])
    counts.embedded += len(rows)
    counts.unchanged += len(confirmed)
    counts.changed_meanwhile += len(pending) - len(rows) + len(unchanged) - len(confirmed)

"""Keeping the search indexes current: what every ingest ends with, and the scheduled catch-up.

``index_papers`` keyword-indexes every new or changed paper, embeds what has no current vector
(claimed batches, ``services.embedding``), and loads the new vectors into this process's vector
index, saving it and the keyword postings for other processes. The import, the harvests and
``paperboard index`` call it after storing papers (the CLI only draws its progress), the
``search-index`` job of ``up`` and ``worker`` runs it on a schedule, and the on-demand fetch of
the site keyword-indexes what it stored (``index_keywords``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paperboard.adapters.search.keyword import KeywordIndex
from paperboard.adapters.search.postings import TermPostings
from paperboard.adapters.store import papers as paper_store
from paperboard.errors import UserError
from paperboard.services.context import AppContext

# Counting what a catch-up has to do scans every paper; a batch job may take its time.
_CATCH_UP_SCAN_MS = 120_000


@dataclass
class IndexCounts:
    keyword_checked: int = 0  # new or modified papers looked at
    keyword_indexed: int = 0  # of those, the ones whose indexed text changed
    embedded: int = 0
    embed_seconds: float = 0.0
    embedded_elsewhere: int = 0  # by another embedder (a running `up`, a worker) during this catch-up
    embed_left: int = 0  # papers still without a vector at the end
    embed_left_reason: str | None = None
    vectors_loaded: int = 0
    embedding_note: str | None = None  # why nothing was embedded, when the model is missing


IndexProgress = Callable[[str, int, int], None]  # (stage: "keyword" or "embed", done, total)


def index_papers(
    ctx: AppContext,
    *,
    embed: bool = True,
    embed_limit: int | None = None,
    batch_size: int = 1000,
    progress: IndexProgress | None = None,
    postings: bool = True,
) -> IndexCounts:
    """Catch up after imports and harvests: keyword-index every new or changed paper, embed what
    has no current vector (``embed``; at most ``embed_limit`` papers), and load new vectors into
    this process's vector index.

    Keyword indexing always happens; embedding is skipped with ``counts.embedding_note`` saying why
    when the model is not installed. ``postings`` False leaves the in-memory postings to the
    processes that search (their start-up catches up): a bulk import keeps its memory bounded.
    Idempotent and resumable: each batch is one transaction, and a rerun picks up what is left.
    """
    counts = IndexCounts()
    keywords = ctx.keywords
    with ctx.database.read(timeout_ms=_CATCH_UP_SCAN_MS) as connection:
        total = keywords.count_stale(connection)
    if progress:
        progress("keyword", 0, total)
    after = ""
    while True:
        with ctx.database.write() as connection:
            stale = keywords.stale_ids(connection, batch_size, after)
            if not stale:
                break
            counts.keyword_indexed += keywords.index(connection, paper_store.get_papers(connection, stale))
        after = stale[-1]
        counts.keyword_checked += len(stale)
        if progress:
            progress("keyword", counts.keyword_checked, max(total, counts.keyword_checked))
    if postings:
        catch_up_postings(ctx, keywords)
    if not embed:
        return counts
    from paperboard.services.embedding import embed_missing

    try:
        embedder = ctx.embedder
    except UserError as error:  # the model is not installed: the keyword leg is still current
        counts.embedding_note = f"papers not embedded: {error}"
        return counts
    report = (lambda done, total: progress("embed", done, total)) if progress else None
    embedded = embed_missing(ctx, embedder=embedder, limit=embed_limit, progress=report)
    counts.embedded, counts.embed_seconds = embedded.embedded, embedded.seconds
    counts.embedded_elsewhere, counts.embed_left, counts.embed_left_reason = embedded.by_others, embedded.left, embedded.left_reason
    vectors = ctx.vector_index(embedder.model_id)
    with ctx.database.read() as connection:
        counts.vectors_loaded = vectors.sync(connection)
    vectors.save()
    return counts


def catch_up_postings(ctx: AppContext, keywords: KeywordIndex | None = None) -> TermPostings:
    """Load what the keyword index gained into the postings and save them, so searches (in this
    process and, from the files, in others) find them current. Each read loads at most 100,000
    documents, so a first build over a million papers is a series of bounded reads."""
    keywords = keywords or ctx.keywords
    postings = ctx.keyword_postings
    while True:
        before = postings.watermark
        with ctx.database.read(timeout_ms=_CATCH_UP_SCAN_MS) as connection:
            done = keywords.sync_postings(connection, postings, limit=100_000)
        if done or postings.watermark == before:  # complete, or nothing more to read
            break
    if not postings.saved:
        postings.save()
    return postings


def index_keywords(ctx: AppContext) -> int:
    """Keyword-index what is new or changed (the on-demand fetch: searchable at once; its vector
    comes with the next catch-up). Returns how many papers were indexed."""
    return index_papers(ctx, embed=False).keyword_indexed

"""The search-index step every ingest command ends with: keyword index, then embeddings.

``import``, ``ingest arxiv|oai`` and ``index`` store papers first (each batch its own
transaction), then bring the search indexes up to date here, with a progress bar. Killing a run
at any point leaves every committed batch whole; the next ingest (or ``paperboard embed``, or the
scheduled catch-up of ``up`` and ``worker``) picks up whatever is still missing.
"""

from __future__ import annotations

from contextlib import nullcontext

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from paperboard.adapters.search.keyword.statistics import corpus
from paperboard.cli.common import console
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.services.indexing import IndexCounts, index_papers

_STAGES = {"keyword": "keyword index", "embed": "embedding"}
# An import of this many papers leaves the postings to the processes that search, so its memory
# stays bounded: building them for 100,000 Kaggle-format papers peaked at 1.2 GB RSS.
POSTINGS_IN_BULK_FROM = 100_000
LOADING_MODEL = "Loading the embedding model (the first run builds it from the model package: ~20 s)…"


def embed_option() -> bool | None:
    return typer.Option(
        None,
        "--embed/--no-embed",
        help="Embed new papers before finishing, or leave that to `paperboard embed` and the scheduled "
        "catch-up (bulk imports). (default: PAPERBOARD_EMBED_ON_INGEST)",
        show_default=False,
    )


class PapersPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f} papers/s" if speed else "   … papers/s", style="progress.data.speed")


class TimeLeft(ProgressColumn):
    """Time left at the current speed ("eta 12:34"), once there is a speed to go by."""

    def __init__(self) -> None:
        super().__init__()
        self._remaining = TimeRemainingColumn(compact=True)

    def render(self, task) -> Text:
        if task.finished:
            return Text("")
        return Text("eta ", style="progress.remaining") + self._remaining.render(task)


def papers_progress(*, disable: bool = False) -> Progress:
    """Bars of papers done, papers/s, time taken and time left; each task's description names its stage."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        PapersPerSecond(),
        TimeElapsedColumn(),
        TimeLeft(),
        console=console,
        disable=disable,
    )


def index_after_ingest(ctx: AppContext, embed: bool | None, *, quiet: bool = False, indexed: int = 0) -> IndexCounts:
    """Keyword-index and (unless deferred) embed what the ingest stored; notes go to stderr.
    ``indexed`` papers were keyword-indexed by the ingest itself (an import, batch by batch); past
    ``POSTINGS_IN_BULK_FROM`` of them the postings are left to the searching processes."""
    embed = ctx.settings.embed_on_ingest if embed is None else embed
    if embed:
        with nullcontext() if quiet else console.status(LOADING_MODEL):
            try:
                ctx.embedder  # noqa: B018 - loaded before the bars, so they measure embedding alone
            except UserError:
                pass  # index_papers says why, in counts.embedding_note
    with papers_progress(disable=quiet or not console.is_terminal) as bars:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(_STAGES[stage], total=total)
            bars.update(tasks[stage], completed=done, total=total)

        bulk = _postings_left_to_searchers(ctx, indexed)
        counts = index_papers(ctx, embed=embed, progress=on_progress, postings=not bulk)
    counts.keyword_indexed += indexed
    if bulk and not quiet:
        console.print(Text("note: the keyword index answers searches now; the in-memory postings for common words "
                           "are built by `paperboard up`/`web` as they start, or now by `paperboard index`."))
    if not quiet:
        _summary(counts, embed)
    return counts


def _postings_left_to_searchers(ctx: AppContext, indexed: int) -> bool:
    """Whether this ingest leaves the postings to the searching processes: it indexed a bulk of
    papers, or resumes one (a big keyword index whose postings were never saved)."""
    if indexed >= POSTINGS_IN_BULK_FROM:
        return True
    if not indexed:
        return False
    saved = ctx.keyword_postings.directory
    with ctx.database.read() as connection:
        documents, _ = corpus(connection)
    return documents >= POSTINGS_IN_BULK_FROM and (saved is None or not saved.exists())


def _summary(counts: IndexCounts, embed: bool) -> None:
    line = f"search index: {counts.keyword_indexed:,} paper{'s' * (counts.keyword_indexed != 1)} keyword-indexed"
    if counts.embedded:
        rate = counts.embedded / counts.embed_seconds if counts.embed_seconds else 0.0
        line += f", {counts.embedded:,} embedded ({rate:.1f} papers/s)"
    if counts.embedded_elsewhere:
        line += f", {counts.embedded_elsewhere:,} embedded meanwhile by another process"
    console.print(Text(line), style="dim")
    if counts.embed_left:
        console.print(Text(f"note: {counts.embed_left:,} papers not embedded yet: {counts.embed_left_reason}."))
    if counts.embedding_note:
        console.print(Text(f"note: {counts.embedding_note}; search works by words until then."))
    elif not embed:
        console.print(Text("note: embedding deferred; run `paperboard embed` (or leave it to `paperboard up`)."))


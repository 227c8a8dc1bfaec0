"""``paperboard ingest arxiv|oai`` and ``paperboard index ARXIV_ID``: papers from arXiv over the network."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from enum import Enum

import typer
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from paperboard.adapters.sources.oai import OaiError
from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, stdout
from paperboard.cli.indexing import embed_option, index_after_ingest
from paperboard.domain.days import DayOutOfRange, within_range
from paperboard.domain.paper import ImportCounts
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.harvest import HarvestProgress, harvest_arxiv_api, harvest_oai, index_one
from paperboard.services.indexing import IndexCounts

ingest_app = typer.Typer(help="Harvest papers from arXiv: the search API or OAI-PMH.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

_OFFLINE_HINT = "Working offline? Load papers from a file with `paperboard import FILE`."


class MetadataPrefix(str, Enum):
    arXivRaw = "arXivRaw"
    arXiv = "arXiv"


@ingest_app.command("arxiv")
def ingest_arxiv(
    categories: list[str] = typer.Option(
        None, "--category", "-c", help="arXiv category, e.g. cs.CL; repeat for several. (default: PAPERBOARD_HARVEST_CATEGORIES)"
    ),
    date_from: str = typer.Option(
        None, "--from", help="First submission day, YYYY-MM-DD. (default: PAPERBOARD_HARVEST_INITIAL_DAYS ago)"
    ),
    date_until: str = typer.Option(None, "--until", help="Last submission day, YYYY-MM-DD. (default: today)"),
    max_results: int = typer.Option(
        None, "--max", min=1, help="Stop after this many papers, newest first. (default: all in the window)"
    ),
    restart: bool = typer.Option(False, "--restart", help="Start over instead of resuming an interrupted run."),
    embed: bool = embed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Fetch papers submitted in a date window from the arXiv search API (3 s between calls).

    An interrupted run of the same command resumes from its last committed page.
    """
    ctx = context()
    until = _day(date_until, "--until") if date_until else ctx.today()  # arXiv's days are UTC days
    start = _day(date_from, "--from") if date_from else None
    start = start or until - timedelta(days=ctx.settings.harvest_initial_days)
    chosen = categories or ctx.settings.harvest_categories
    label = f"arXiv API {', '.join(chosen)} {start}..{until}"
    with _harvesting(label) as on_page:
        counts = harvest_arxiv_api(ctx, chosen, start, until, max_results, on_page=on_page, restart=restart)
    _report("arxiv-api", counts, index_after_ingest(ctx, embed, quiet=as_json), as_json)


@ingest_app.command("oai")
def ingest_oai(
    set_spec: str = typer.Option(None, "--set", help="OAI-PMH set, e.g. cs or physics:hep-th. (default: all of arXiv)"),
    date_from: str = typer.Option(None, "--from", help="First day a record changed, YYYY-MM-DD."),
    date_until: str = typer.Option(None, "--until", help="Last day a record changed, YYYY-MM-DD."),
    prefix: MetadataPrefix = typer.Option(
        MetadataPrefix.arXivRaw, "--prefix", help="Metadata format: arXivRaw has versions, arXiv has none."
    ),
    restart: bool = typer.Option(False, "--restart", help="Start over instead of resuming an interrupted run."),
    embed: bool = embed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Harvest arXiv's OAI-PMH interface, following resumption tokens to the end.

    An interrupted run of the same command resumes from its last committed page.
    """
    start = _day(date_from, "--from") if date_from else None
    until = _day(date_until, "--until") if date_until else None
    ctx = context()
    window = f" {start or '…'}..{until or '…'}" if start or until else ""
    label = f"OAI-PMH {prefix.value} {set_spec or 'all sets'}{window}"
    try:
        with _harvesting(label) as on_page:
            counts = harvest_oai(ctx, set_spec, start, until, prefix.value, on_page=on_page, restart=restart)
    except OaiError as error:
        if error.code != "badResumptionToken":
            raise
        raise UserError(f"{error}; the saved position of this harvest has expired, run it again with --restart") from None
    _report("arxiv-oai", counts, index_after_ingest(ctx, embed, quiet=as_json), as_json)


@app.command("index")
def index(
    arxiv_id: str = typer.Argument(..., help="An arXiv id or URL: 2401.01234, hep-th/9901001, https://arxiv.org/abs/…"),
    embed: bool = embed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fetch one paper from arXiv now, store its latest version and bring the search indexes up to date."""
    ctx = context()
    with _offline_hint():
        indexed = index_one(ctx, arxiv_id)
    paper, counts = indexed.paper, indexed.counts
    outcome = "new" if counts.inserted else "updated" if counts.updated else "already up to date"
    search_index = index_after_ingest(ctx, embed, quiet=as_json)
    if as_json:
        print_json(
            {"id": paper.id, "version": paper.version, "title": paper.title, "outcome": outcome, **counts.as_dict(),
             "search_index": vars(search_index)}
        )
        return
    version = f"v{paper.version}" if paper.version else ""
    stdout.print(Text(f"{paper.id}{version}: {paper.title} ({outcome})"))


def _day(value: str, option: str) -> date:
    try:
        return within_range(date.fromisoformat(value.strip()))
    except DayOutOfRange as error:
        raise UserError(f"{option}: {error}") from None
    except ValueError:
        raise UserError(f"{option}: not a date (expected YYYY-MM-DD): {value!r}") from None


@contextmanager
def _offline_hint() -> Iterator[None]:
    try:
        yield
    except SourceUnavailable as error:
        raise SourceUnavailable(f"{error}. {_OFFLINE_HINT}") from None


@contextmanager
def _harvesting(label: str) -> Iterator[Callable[[HarvestProgress], None]]:
    """A progress bar fed by the harvest's per-page callback; retries are logged above it."""
    bars = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,  # the summary that follows says what happened
        disable=not console.is_terminal,
    )
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    logger = logging.getLogger("paperboard")
    logger.addHandler(handler)
    task = bars.add_task(Text(label).plain, total=None)
    told_resumed = False

    def on_page(progress: HarvestProgress) -> None:
        nonlocal told_resumed
        if progress.resumed and not told_resumed:
            told_resumed = True
            console.print(Text(f"resumed an interrupted run: records up to {progress.done:,} are in"))
        bars.update(task, completed=progress.done, total=progress.total)

    try:
        with bars, _offline_hint():
            yield on_page
    finally:
        logger.removeHandler(handler)


def _report(source: str, counts: ImportCounts, search_index: IndexCounts, as_json: bool) -> None:
    if as_json:
        print_json({"source": source, **counts.as_dict(), "search_index": vars(search_index)})
        return
    table = Table("read", "inserted", "updated", "unchanged", "skipped", title=f"{source} harvest")
    skipped = sum(counts.skipped.values())
    table.add_row(f"{counts.read:,}", f"{counts.inserted:,}", f"{counts.updated:,}", f"{counts.unchanged:,}", f"{skipped:,}")
    stdout.print(table)
    for reason, n in sorted(counts.skipped.items()):
        # Text: a reason may quote feed content, which must not be read as rich markup.
        stdout.print(Text(f"  skipped {n:,}: {reason}"))

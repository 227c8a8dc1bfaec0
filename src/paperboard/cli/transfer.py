"""``paperboard import FILE...`` and ``paperboard export [OUT]``: moving papers in and out as files."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from paperboard.adapters.sources.formats import FORMATS
from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, stdout
from paperboard.cli.indexing import embed_option, index_after_ingest
from paperboard.errors import UserError
from paperboard.services.imports import (
    DEFAULT_BATCH_SIZE,
    FileImportFailed,
    FileReport,
    export_papers,
    import_files,
)

FileFormat = Enum("FileFormat", {name.replace("-", "_"): name for name in ("auto", *FORMATS)}, type=str)

_IMPORT_HELP = "\n\n".join(
    [
        "Import papers from files: gzip or plain, JSON lines or a JSON array.",
        f"Formats ({', '.join(FORMATS)}) are told from each file's first record unless --format names one. "
        "Importing again changes nothing twice; a newer arXiv version replaces an older one.",
        "Exit status: 0 every record imported (or already there); 1 some records were skipped as bad input, "
        "listed by file and line; 2 a file could not be read on (the batches committed before the error "
        "stay, nothing else is written).",
    ]
)


@app.command("import", help=_IMPORT_HELP)
def import_command(
    files: list[Path] = typer.Argument(..., help="Files to import, in order.", show_default=False),
    file_format: FileFormat = typer.Option(FileFormat.auto, "--format", help="Record format; auto detects it."),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Records per transaction."),
    embed: bool = embed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON instead of a table."),
    workers: int | None = typer.Option(
        None, "--workers", min=0, show_default=False,
        help="Processes that parse and analyze the records; 0 for none (default: one per core, up to 4, "
        "for files over 32 MB).",
    ),
) -> None:
    ctx = context()
    chosen = None if file_format.value == "auto" else file_format.value
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,  # the table that follows says what happened
        disable=not console.is_terminal,  # in a log, bars are noise
    ) as bars:
        tasks: dict[Path, int] = {}

        def on_progress(path: Path, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bars.add_task(path.name, total=total)
            bars.update(tasks[path], completed=done)

        try:
            reports = import_files(ctx, files, chosen, batch_size, on_progress, workers=workers)
        except FileImportFailed as error:
            bars.stop()
            if error.completed:
                console.print(_table(error.completed))
            raise
    rejected = sum(r.rejected for r in reports)
    if not as_json:
        stdout.print(_table(reports))
    search_index = index_after_ingest(ctx, embed, quiet=as_json, indexed=sum(r.keyword_indexed for r in reports))
    if as_json:
        print_json({"files": [r.as_dict() for r in reports], "rejected": rejected, "search_index": vars(search_index)})
    for report in reports:
        for example in report.examples:
            _warn(f"skipped {example}")
        if report.rejected > len(report.examples):
            _warn(f"… and {report.rejected - len(report.examples):,} more skipped records in {report.path}")
    if rejected:
        raise typer.Exit(1)


def _table(reports: list[FileReport]) -> Table:
    with_features = any(r.format in ("hf-daily", "paperboard") for r in reports)
    table = Table("file", "format", "read", "inserted", "updated", "unchanged", "skipped")
    if with_features:
        table.add_column("daily features")
    for r in reports:
        c = r.counts
        reasons = "; ".join(f"{reason}: {n:,}" for reason, n in sorted(c.skipped.items()))
        row = [
            Text(r.path.name),  # Text: neither a file name nor a reason is rich markup
            r.format or "(empty)",
            f"{c.read:,}",
            f"{c.inserted:,}",
            f"{c.updated:,}",
            f"{c.unchanged:,}",
            Text(f"{sum(c.skipped.values()):,}" + (f" ({reasons})" if reasons else "")),
        ]
        if with_features:
            row.append(f"{r.features_inserted:,} new, {r.features_updated:,} updated")
        table.add_row(*row)
    return table


def _warn(message: str) -> None:
    # Plain write, not rich: the message quotes file contents, which must not be read as markup.
    print(f"paperboard: warning: {message}", file=sys.stderr)


@app.command("export")
def export_command(
    out: str = typer.Argument("-", help="File to write (a .gz name compresses it); - for stdout."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON (needs an OUT file)."),
) -> None:
    """Write every paper and its daily feature as JSON lines that `paperboard import` reads back."""
    to_stdout = out == "-"
    if to_stdout and as_json:
        raise UserError("--json prints the counts on stdout, so name an OUT file for the export itself")
    if to_stdout and sys.stdout.isatty():
        raise UserError("refusing to write the export to a terminal; name an OUT file or redirect stdout")
    ctx = context()
    with Progress(
        TextColumn("[bold]export"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bars:
        task = bars.add_task("export", total=None)

        def on_progress(done: int, total: int) -> None:
            bars.update(task, completed=done, total=total)

        try:
            report = export_papers(ctx, sys.stdout.buffer if to_stdout else Path(out), on_progress)
            if to_stdout:
                sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`paperboard export | head`): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
    if as_json:
        print_json(report.as_dict())
        return
    summary = f"Exported {report.papers:,} papers ({report.features:,} with a daily feature) to {out if not to_stdout else 'stdout'}."
    (console if to_stdout else stdout).print(summary, markup=False, highlight=False)

"""``paperboard embed``: give every paper a vector for the configured embedding model."""

from __future__ import annotations

import typer

from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, stdout
from paperboard.cli.indexing import LOADING_MODEL, papers_progress
from paperboard.services.embedding import embed_missing


@app.command()
def embed(
    batch_size: int = typer.Option(
        None, "--batch-size", min=1, help="Papers per transaction (default: PAPERBOARD_EMBEDDING_BATCH_SIZE)."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Embed at most this many papers in this run."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Embed papers that have no vector for the current model, or whose title or abstract changed.

    Safe to interrupt: each batch is committed on its own, and the next run picks up what is missing.
    """
    ctx = context()
    with console.status(LOADING_MODEL):
        embedder = ctx.embedder
    with papers_progress(disable=as_json) as bar:
        task = bar.add_task("embedding", total=None)
        counts = embed_missing(
            ctx,
            embedder=embedder,
            batch_size=batch_size,
            limit=limit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(counts.as_dict())
        return
    stdout.print(
        f"{counts.embedded:,} papers embedded with {counts.model} in {counts.seconds:.1f} s"
        f" ({counts.papers_per_second:.1f} papers/s)."
    )
    if counts.unchanged:
        stdout.print(f"{counts.unchanged:,} changed papers kept their vectors: title and abstract are the same.")
    if counts.by_others:
        stdout.print(f"{counts.by_others:,} papers were embedded meanwhile by another process (never twice).")
    if counts.left:
        stdout.print(f"{counts.left:,} papers are not embedded yet: {counts.left_reason}.")

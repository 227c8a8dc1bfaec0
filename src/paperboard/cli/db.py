"""``paperboard db upgrade`` and ``paperboard stats``."""

from __future__ import annotations

import typer
from rich.table import Table

from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.migrate import head_revision
from paperboard.cli.app import app
from paperboard.cli.common import context, print_json, stdout

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (also done automatically by `paperboard up`)."""
    ctx = context(migrate=False)
    before, after = ctx.migrate()
    if before == after:
        stdout.print(f"Database already at revision {after} ({ctx.database.url.render_as_string()}).")
    else:
        stdout.print(f"Database upgraded from {before or 'empty'} to {after}.")


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """How many papers, from when, in which categories."""
    ctx = context()
    with ctx.database.read() as connection:
        total = paper_store.count_papers(connection)
        first, last = paper_store.announced_range(connection)
        categories = paper_store.category_counts(connection)
    data = {
        "database": ctx.database.url.render_as_string(hide_password=True),
        "schema_revision": head_revision(),
        "papers": total,
        "announced_from": first,
        "announced_to": last,
        "primary_categories": dict(categories),
    }
    if as_json:
        print_json(data)
        return
    stdout.print(f"[bold]{total:,}[/] papers in {data['database']}")
    if first:
        stdout.print(f"announced {first} … {last}")
    table = Table("primary category", "papers")
    for category, n in categories:
        table.add_row(category, f"{n:,}")
    stdout.print(table)

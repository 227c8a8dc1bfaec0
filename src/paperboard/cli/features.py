"""``paperboard feature`` / ``unfeature``: an administrator's hand on the daily feed, from a shell."""

from __future__ import annotations


import typer

from paperboard.cli.app import app
from paperboard.cli.common import context, print_json, stdout
from paperboard.domain.days import parse_day
from paperboard.services import harvest, submissions
from paperboard.services.submissions import UnknownPaper


@app.command("feature")
def feature(
    arxiv_id: str = typer.Argument(..., help="arXiv id or URL of the paper."),
    day: str | None = typer.Option(None, "--date", help="Day to feature it on, YYYY-MM-DD (default: today, UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Put a paper on the daily feed of a day, or move it there if it is featured already.

    A paper this site does not hold yet is fetched from arXiv first. Running it again changes nothing.
    """
    ctx = context()
    featured_on = parse_day(day) if day else ctx.today()
    try:
        change = submissions.feature(ctx, arxiv_id, featured_on)
    except UnknownPaper as unknown:
        harvest.index_one(ctx, unknown.paper_id)  # a UserError (one line, exit 2) when arXiv lacks it
        change = submissions.feature(ctx, arxiv_id, featured_on)
    if as_json:
        print_json({"id": change.paper_id, "featuredOn": change.featured_on, "changed": change.changed})
    elif change.changed:
        stdout.print(f"Featured {change.paper_id} on {featured_on.isoformat()}.")
    else:
        stdout.print(f"{change.paper_id} is already featured on {featured_on.isoformat()}; nothing changed.")


@app.command("unfeature")
def unfeature(
    arxiv_id: str = typer.Argument(..., help="arXiv id or URL of the paper."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Take a paper off the daily feed (whoever featured it). Running it again changes nothing."""
    change = submissions.unfeature(context(), arxiv_id)
    if as_json:
        print_json({"id": change.paper_id, "changed": change.changed})
    elif change.changed:
        stdout.print(f"Took {change.paper_id} off the daily feed.")
    else:
        stdout.print(f"{change.paper_id} was not featured; nothing changed.")

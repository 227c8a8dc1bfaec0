"""``paperboard trending refresh``: recompute and store the trending list now (the scheduled job's work)."""

from __future__ import annotations

import typer

from paperboard.cli.app import app
from paperboard.cli.common import context, print_json, stdout
from paperboard.services.trending import refresh_trending

trending_app = typer.Typer(help="The trending list: scores from upvotes and GitHub stars, stored with their terms.", no_args_is_help=True)
app.add_typer(trending_app, name="trending")


@trending_app.command("refresh")
def refresh(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of text.")) -> None:
    """Score every paper featured inside the trending window and replace the stored list in one
    transaction. Safe to rerun: a second run replaces the list with the same scores."""
    report = refresh_trending(context())
    if as_json:
        print_json({
            "computed_at": report.computed_at.isoformat(),
            "as_of": report.as_of.isoformat(),
            "scored": report.scored,
            "anchored_on": report.anchored_on.isoformat() if report.anchored_on else None,
        })
    else:
        stdout.print(report.summary().capitalize() + ".")

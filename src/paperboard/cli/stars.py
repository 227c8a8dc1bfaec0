"""``paperboard stars refresh``: bring GitHub star counts of papers' repositories up to date."""

from __future__ import annotations

import typer

from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, progress, stdout
from paperboard.errors import SourceUnavailable
from paperboard.services.stars import RefreshSummary, refresh_stars

stars_app = typer.Typer(help="GitHub stars of papers' code repositories (a trending signal).", no_args_is_help=True)
app.add_typer(stars_app, name="stars")


@stars_app.command("refresh")
def refresh(
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Most repositories to check (default: PAPERBOARD_STARS_REFRESH_LIMIT)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of text."),
) -> None:
    """Check the repositories that are due: recent papers' first, then the least recently checked.

    Safe to interrupt and to run from cron: every batch is stored as it completes, and a spent
    GitHub rate limit ends the run with the time it resets.
    """
    ctx = context()
    if as_json:
        summary = refresh_stars(ctx, limit)
        print_json(summary.as_dict())
    else:
        with progress() as bar:
            task = bar.add_task("Checking GitHub stars", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = refresh_stars(ctx, limit, on_progress=advance)
        _print_summary(summary, ctx.settings.stars_recheck_hours)
    if summary.failed:
        raise SourceUnavailable(f"{summary.stopped}; the {summary.checked} checks before it are stored")


def _print_summary(summary: RefreshSummary, recheck_hours: float) -> None:
    if summary.due == 0:
        stdout.print(
            f"No repository is due for a star check (each is checked at most every {recheck_hours:g} hours)."
            + (f" Now tracking {summary.newly_tracked} new ones." if summary.newly_tracked else "")
        )
        return
    stdout.print(
        f"Checked {summary.checked:,} of {summary.due:,} due repositories: {summary.changed:,} with a new star "
        f"count, {summary.unchanged:,} unchanged, {summary.gone:,} gone; {summary.newly_tracked:,} newly tracked."
    )
    left = "" if summary.rate_limit_remaining is None else f"; {summary.rate_limit_remaining:,} left this hour"
    stdout.print(f"{summary.requests:,} requests to GitHub{left}.")
    if summary.stopped and not summary.failed:
        console.print(
            f"[yellow]Stopped early:[/] {summary.stopped}. The remaining {summary.due - summary.checked:,} "
            "will be checked by the next run after that."
        )

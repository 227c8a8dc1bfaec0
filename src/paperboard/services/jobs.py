"""The periodic jobs of ``paperboard up`` and ``paperboard worker``, built from settings.

Each job returns a one-line summary (or None when it had nothing to do) and raises only for the
scheduler to report. The harvest window starts where the last successful harvest ended (kept as a
checkpoint), or ``harvest_initial_days`` back on the first run.
"""

from __future__ import annotations

from datetime import date, timedelta

from paperboard.adapters.store.checkpoints import load_checkpoint, save_checkpoint
from paperboard.errors import SourceUnavailable
from paperboard.services.context import AppContext
from paperboard.services.scheduler import Job

HARVEST_STATE_KEY = "scheduler:arxiv-harvest"
# Digests become due at an hour; checking every few minutes is cheap (one count per frequency).
DIGEST_CHECK_SECONDS = 300
# Confirmation mails normally leave right after the web request; the sweep catches what a crash left.
CONFIRMATION_SWEEP_SECONDS = 60


def harvest_window(last_until: date | None, today: date, initial_days: int) -> tuple[date, date]:
    """Dates to ask arXiv for: one day of overlap with the last run, since late listings exist."""
    start = today - timedelta(days=initial_days) if last_until is None else last_until - timedelta(days=1)
    return start, today


def run_scheduled_harvest(ctx: AppContext, today: date | None = None) -> str:
    from paperboard.services.harvest import harvest_arxiv_api

    settings = ctx.settings
    today = today or date.today()
    with ctx.database.read() as connection:
        state = load_checkpoint(connection, HARVEST_STATE_KEY) or {}
    last_until = date.fromisoformat(state["until"]) if state.get("until") else None
    start, end = harvest_window(last_until, today, settings.harvest_initial_days)
    try:
        counts = harvest_arxiv_api(
            ctx, settings.harvest_categories, start, end, max_results=settings.harvest_max_per_run
        )
    except SourceUnavailable as error:
        raise SourceUnavailable(
            f"arXiv unreachable ({error}); still serving. Load papers offline with `paperboard import FILE`."
        ) from error
    with ctx.database.write() as connection:
        save_checkpoint(connection, HARVEST_STATE_KEY, {"until": end.isoformat()})
    return (
        f"harvested {start}..{end} for {', '.join(settings.harvest_categories)}: "
        f"{counts.inserted} new, {counts.updated} updated, {counts.unchanged} unchanged"
    )


def scheduled_jobs(ctx: AppContext) -> list[Job]:
    settings = ctx.settings
    jobs: list[Job] = []
    if settings.harvest_enabled:
        jobs.append(Job("harvest", settings.harvest_interval_minutes * 60, lambda: run_scheduled_harvest(ctx)))
    if settings.digest_enabled:
        jobs.append(Job("digests", DIGEST_CHECK_SECONDS, lambda: _run_digests(ctx)))
    jobs.append(Job("confirmations", CONFIRMATION_SWEEP_SECONDS, lambda: _send_confirmations(ctx)))
    return jobs


def _run_digests(ctx: AppContext) -> str | None:
    from paperboard.services.digest import run_scheduled_digests

    return run_scheduled_digests(ctx)


def _send_confirmations(ctx: AppContext) -> str | None:
    from paperboard.services.subscriptions import send_owed_confirmations

    return send_owed_confirmations(ctx)

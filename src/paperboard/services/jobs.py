"""The periodic jobs of ``paperboard up`` and ``paperboard worker``, built from settings.

Each job returns a one-line summary (or None when it had nothing to do) and raises only for the
scheduler to report. The harvest window starts where the last successful harvest ended (kept as a
checkpoint), or ``harvest_initial_days`` back on the first run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from paperboard.adapters.store.checkpoints import load_checkpoint, save_checkpoint
from paperboard.errors import SourceUnavailable
from paperboard.services.context import AppContext
from paperboard.services.scheduler import Job

HARVEST_STATE_KEY = "scheduler:arxiv-harvest"
# When GitHub's rate limit is spent, until when (kept in the database: restarts and workers wait too).
STARS_STATE_KEY = "scheduler:github-stars"
# Digests become due at an hour; checking every few minutes is cheap (one count per frequency).
DIGEST_CHECK_SECONDS = 300
# Confirmation mails normally leave right after the web request; the sweep catches what a crash left.
CONFIRMATION_SWEEP_SECONDS = 60
# Ended rate-limit windows and long-expired mail tokens are dropped hourly; nothing waits on it.
ACCOUNT_SWEEP_SECONDS = 3600
# One catch-up embeds at most this many papers (about a minute on 2 cores), so the jobs after it in
# the same loop wait no longer than that; a bigger backlog drains in turns that follow at once
# (``Job.again_soon``), with the other jobs' turns in between.
CATCH_UP_EMBED_LIMIT = 2000


def harvest_window(last_until: date | None, today: date, initial_days: int) -> tuple[date, date]:
    """Dates to ask arXiv for: one day of overlap with the last run, since late listings exist."""
    start = today - timedelta(days=initial_days) if last_until is None else last_until - timedelta(days=1)
    return start, today


def run_scheduled_harvest(ctx: AppContext, today: date | None = None) -> str:
    from paperboard.services.harvest import harvest_arxiv_api

    settings = ctx.settings
    today = today or ctx.today()
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


class SearchIndexCatchUp:
    """Keyword-index and embed whatever ingest left behind: papers fetched on demand by the site,
    imports run with embedding deferred or interrupted, runs that were killed. A backlog drains turn
    after turn, each line saying what is left and about how long it takes. Says that the model is
    missing once, not on every turn."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._told_note: str | None = None
        self.again_soon = False  # the last turn stopped at its limit: the scheduler runs it again at once

    def __call__(self) -> str | None:
        from paperboard.services.indexing import index_papers

        counts = index_papers(self.ctx, embed_limit=CATCH_UP_EMBED_LIMIT)
        self.again_soon = counts.embedded >= CATCH_UP_EMBED_LIMIT and counts.embed_left > 0
        parts = []
        if counts.keyword_indexed:
            parts.append(f"{counts.keyword_indexed:,} paper{'s' * (counts.keyword_indexed != 1)} keyword-indexed")
        if counts.embedded:
            rate = counts.embedded / counts.embed_seconds if counts.embed_seconds else 0.0
            parts.append(f"{counts.embedded:,} embedded ({rate:.1f}/s)")
            if self.again_soon and rate:
                parts.append(f"{counts.embed_left:,} left, about {_duration(counts.embed_left / rate)}")
        if counts.embedding_note and counts.embedding_note != self._told_note:
            self._told_note = counts.embedding_note
            parts.append(f"{counts.embedding_note}; words-only search until it is installed")
        return "; ".join(parts) or None


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes >= 1 else "a minute"


def run_scheduled_stars(ctx: AppContext, *, now: datetime | None = None, client=None) -> str | None:
    """Refresh the due star counts, unless GitHub's rate limit is still spent from an earlier run.

    ``services.stars`` stops a run at a spent limit with the reset time GitHub announced; that
    time is saved, and until it passes the job sends no request at all.
    """
    from paperboard.services.stars import refresh_stars

    now = now or ctx.now()
    with ctx.database.read() as connection:
        state = load_checkpoint(connection, STARS_STATE_KEY) or {}
    if state.get("resume_at") and now < datetime.fromisoformat(state["resume_at"]):
        return None
    summary = refresh_stars(ctx, now=now, client=client)
    resume_at = summary.resume_at.isoformat() if summary.resume_at else None
    with ctx.database.write() as connection:
        save_checkpoint(connection, STARS_STATE_KEY, {"resume_at": resume_at, "last_run": now.isoformat()})
    if summary.failed:
        raise SourceUnavailable(f"{summary.stopped}; the {summary.checked} checks before it are stored")
    if summary.due == 0:
        return None
    line = f"checked {summary.checked} of {summary.due} repositories ({summary.changed} new counts)"
    return line + (f"; rate limit spent, next run after {resume_at} UTC" if resume_at else "")


def _refresh_trending(ctx: AppContext) -> str:
    from paperboard.services.trending import refresh_trending

    return refresh_trending(ctx).summary()


def scheduled_jobs(ctx: AppContext) -> list[Job]:
    settings = ctx.settings
    jobs: list[Job] = []
    if settings.harvest_enabled:
        jobs.append(Job("harvest", settings.harvest_interval_minutes * 60, lambda: run_scheduled_harvest(ctx)))
    # After the harvest in the list: on each start, what it fetched is indexed in the same pass.
    jobs.append(Job("search-index", settings.index_interval_minutes * 60, SearchIndexCatchUp(ctx)))
    # Stars, then trending, then digests: on each start the scores use fresh counts and the
    # digests the fresh scores.
    if settings.stars_refresh_enabled:
        jobs.append(Job("stars", settings.stars_refresh_interval_minutes * 60, lambda: run_scheduled_stars(ctx)))
    jobs.append(Job("trending", settings.trending_interval_minutes * 60, lambda: _refresh_trending(ctx)))
    if settings.digest_enabled:
        jobs.append(Job("digests", DIGEST_CHECK_SECONDS, lambda: _run_digests(ctx)))
    jobs.append(Job("confirmations", CONFIRMATION_SWEEP_SECONDS, lambda: _send_confirmations(ctx)))
    jobs.append(Job("account-sweep", ACCOUNT_SWEEP_SECONDS, lambda: _sweep_accounts(ctx)))
    return jobs


def _sweep_accounts(ctx: AppContext) -> str | None:
    from paperboard.services.account_mail import prune_expired_tokens
    from paperboard.services.ratelimit import prune

    return "; ".join(line for line in (prune(ctx), prune_expired_tokens(ctx)) if line) or None


def _run_digests(ctx: AppContext) -> str | None:
    from paperboard.services.digest import run_scheduled_digests

    return run_scheduled_digests(ctx)


def _send_confirmations(ctx: AppContext) -> str | None:
    from paperboard.services.subscriptions import send_owed_confirmations

    return send_owed_confirmations(ctx)

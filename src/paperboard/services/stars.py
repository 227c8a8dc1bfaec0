"""Keep GitHub star counts of papers' repositories fresh, and say how fast each paper's stars grow.

``refresh_stars`` checks repositories in this order: those of papers featured or announced within
the trending window (featured ones first), then the least recently checked of all others. Each
batch of checks is written in one transaction, after its requests, so the database is never
locked while GitHub answers, and a killed run resumes with the repositories it had not reached.
A spent rate limit ends the run early with the time it resets; nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from paperboard.adapters.sources.github import GitHubClient, RateLimited, RepositoryCheck
from paperboard.adapters.store import repo_stars as store
from paperboard.domain.star_history import NO_GROWTH, StarGrowth, paper_repository, star_growth
from paperboard.errors import SourceUnavailable
from paperboard.services.context import AppContext

BATCH_SIZE = 50
# A repository found gone is asked about again this rarely: it may come back (made public again).
GONE_RECHECK_DAYS = 30


@dataclass
class RefreshSummary:
    due: int = 0
    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    newly_tracked: int = 0
    requests: int = 0
    rate_limit_remaining: int | None = None
    stopped: str | None = None
    resume_at: datetime | None = None
    failed: bool = False

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def refresh_stars(
    ctx: AppContext,
    limit: int | None = None,
    *,
    now: datetime | None = None,
    client: GitHubClient | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> RefreshSummary:
    """Check up to ``limit`` due repositories on GitHub (see the module text for the order).

    ``on_progress(done, total)`` is called after each check. Returns what happened; when GitHub
    stops answering or the rate limit is spent, ``stopped`` says why (``failed`` when it is not
    just a limit to wait out), after the checks made so far are stored.
    """
    settings = ctx.settings
    limit = settings.stars_refresh_limit if limit is None else limit
    if limit < 1:
        raise ValueError("limit must be at least 1")
    now = now or ctx.now()
    summary = RefreshSummary()
    recent_since = now.date() - timedelta(days=settings.trending_window_days)
    with ctx.database.write() as connection:
        links = store.recent_paper_links(connection, recent_since)
        recent = list(dict.fromkeys(url for _, urls in links if (url := paper_repository(urls))))
        summary.newly_tracked = store.track_repositories(connection, recent, now)
    with ctx.database.read() as connection:
        due = store.repositories_due(
            connection,
            recent,
            checked_before=now - timedelta(hours=settings.stars_recheck_hours),
            gone_checked_before=now - timedelta(days=GONE_RECHECK_DAYS),
            limit=limit,
        )
    summary.due = len(due)
    own_client = client is None
    client = client or ctx.github_client()
    try:
        for start in range(0, len(due), batch_size):
            batch = due[start : start + batch_size]
            checks = _check_batch(client, batch, summary, on_progress, len(due))
            _store_batch(ctx, checks, now, summary)
            if summary.stopped:
                break
    finally:
        summary.requests = client.requests_sent
        summary.rate_limit_remaining = client.rate_limit.remaining if client.rate_limit else None
        if own_client:
            client.close()
    return summary


def _check_batch(
    client: GitHubClient,
    batch: Sequence[store.TrackedRepository],
    summary: RefreshSummary,
    on_progress: Callable[[int, int], None] | None,
    total: int,
) -> list[RepositoryCheck]:
    checks: list[RepositoryCheck] = []
    for repository in batch:
        try:
            checks.append(client.check(repository.url, etag=repository.etag))
        except RateLimited as error:
            summary.stopped, summary.resume_at = str(error), error.resume_at.replace(tzinfo=None)
            break
        except SourceUnavailable as error:
            summary.stopped, summary.failed = str(error), True
            break
        if on_progress:
            on_progress(summary.checked + len(checks), total)
    return checks


def _store_batch(ctx: AppContext, checks: list[RepositoryCheck], now: datetime, summary: RefreshSummary) -> None:
    with ctx.database.write() as connection:
        for check in checks:
            if check.outcome == "gone":
                store.record_check(connection, check.url, checked_at=now, status=store.GONE)
                summary.gone += 1
                continue
            changed = store.record_check(
                connection,
                check.url,
                checked_at=now,
                status=store.OK,
                stars=check.stars,
                etag=check.etag,
                created_on_github=check.created_at,
            )
            if changed:
                summary.changed += 1
            else:
                summary.unchanged += 1
    summary.checked += len(checks)


@dataclass(frozen=True)
class PaperStars:
    """The star term's input for one paper: its repository, the count we know, and its growth."""

    repository: str
    stars: int | None
    growth: StarGrowth


def star_growth_for_papers(
    connection: Connection, paper_ids: Sequence[str], as_of: datetime, window_days: int
) -> dict[str, PaperStars]:
    """The star growth of each paper among ``paper_ids`` that links a GitHub repository.

    Its ``growth.gained`` is the ``github_stars`` signal of ``domain.trending``; a repository
    never checked, or gone, has no growth.
    """
    repository_of = {
        paper_id: url for paper_id, links in store.paper_links(connection, paper_ids).items()
        if (url := paper_repository(links))
    }
    histories = store.star_histories(connection, list(repository_of.values()))
    found: dict[str, PaperStars] = {}
    for paper_id, url in repository_of.items():
        tracked, history = histories.get(url, (None, []))
        if tracked is None or tracked.status == store.GONE:
            found[paper_id] = PaperStars(url, None, NO_GROWTH)
            continue
        growth = star_growth(history, as_of, window_days, tracked.created_on_github, tracked.last_checked_at)
        found[paper_id] = PaperStars(url, tracked.stars, growth)
    return found

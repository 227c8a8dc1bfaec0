"""GitHub repositories of papers and their star history: which to check next, what a check found.

A check's outcome is written with the batch it belongs to, so a killed refresh resumes with the
repositories it had not reached (they are still the least recently checked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, insert, or_, select, update

from paperboard.adapters.store.schema import daily_features, papers, repo_stars, repositories
from paperboard.domain.star_history import StarObservation

_CHUNK = 500  # stays below SQLite's bound-parameter limit

NEW, OK, GONE = "new", "ok", "gone"


@dataclass(frozen=True)
class TrackedRepository:
    url: str
    status: str
    stars: int | None
    etag: str | None
    created_on_github: datetime | None
    last_checked_at: datetime | None


def _tracked(row) -> TrackedRepository:
    return TrackedRepository(
        row.url, row.status, row.stars, row.etag, row.created_on_github, row.last_checked_at
    )


def recent_paper_links(connection: Connection, since: date) -> list[tuple[str, list[str]]]:
    """(paper id, code URLs) of papers featured or announced on or after ``since``, newest first.

    Featured papers come first: they are the ones trending ranks.
    """
    featured = connection.execute(
        select(papers.c.id, papers.c.code_urls)
        .join(daily_features, daily_features.c.paper_id == papers.c.id)
        .where(daily_features.c.featured_on >= since)
        .order_by(daily_features.c.featured_on.desc(), papers.c.id)
    ).all()
    announced = connection.execute(
        select(papers.c.id, papers.c.code_urls)
        .where(papers.c.announced >= since)
        .order_by(papers.c.announced.desc(), papers.c.id)
    ).all()
    seen: set[str] = set()
    found = []
    for row in [*featured, *announced]:
        if row.id not in seen:
            seen.add(row.id)
            found.append((row.id, list(row.code_urls or ())))
    return found


def paper_links(connection: Connection, paper_ids: Sequence[str]) -> dict[str, list[str]]:
    """Code URLs of each of ``paper_ids`` that exists."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(paper_ids), _CHUNK):
        chunk = list(paper_ids[start : start + _CHUNK])
        for row in connection.execute(select(papers.c.id, papers.c.code_urls).where(papers.c.id.in_(chunk))):
            found[row.id] = list(row.code_urls or ())
    return found


def track_repositories(connection: Connection, urls: Iterable[str], now: datetime) -> int:
    """Start tracking the repositories not tracked yet; returns how many were new."""
    wanted = list(dict.fromkeys(urls))
    added = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        known = set(connection.execute(select(repositories.c.url).where(repositories.c.url.in_(chunk))).scalars())
        rows = [{"url": url, "status": NEW, "first_seen_at": now} for url in chunk if url not in known]
        if rows:
            connection.execute(insert(repositories), rows)
            added += len(rows)
    return added


def repositories_due(
    connection: Connection,
    first: Sequence[str],
    checked_before: datetime,
    gone_checked_before: datetime,
    limit: int,
) -> list[TrackedRepository]:
    """Up to ``limit`` repositories whose count is older than ``checked_before``.

    Those in ``first`` come first, in that order; then the least recently checked of the rest,
    never-checked ones before any. A repository found gone waits until ``gone_checked_before``.
    """
    due = or_(
        repositories.c.last_checked_at.is_(None),
        and_(repositories.c.status != GONE, repositories.c.last_checked_at < checked_before),
        and_(repositories.c.status == GONE, repositories.c.last_checked_at < gone_checked_before),
    )
    chosen: dict[str, TrackedRepository] = {}
    for start in range(0, len(first), _CHUNK):
        if len(chosen) >= limit:
            break
        chunk = list(first[start : start + _CHUNK])
        query = select(repositories).where(repositories.c.url.in_(chunk), due)
        rows = {r.url: _tracked(r) for r in connection.execute(query)}
        for url in chunk:
            if url in rows and len(chosen) < limit:
                chosen[url] = rows[url]
    if len(chosen) < limit:
        # ``limit`` rows suffice: at most ``len(chosen)`` of them are already chosen.
        rest = connection.execute(
            select(repositories)
            .where(due)
            .order_by(repositories.c.last_checked_at.asc().nulls_first(), repositories.c.url)
            .limit(limit)
        )
        for row in rest:
            if len(chosen) >= limit:
                break
            chosen.setdefault(row.url, _tracked(row))
    return list(chosen.values())


def record_check(
    connection: Connection,
    url: str,
    *,
    checked_at: datetime,
    status: str,
    stars: int | None = None,
    etag: str | None = None,
    created_on_github: datetime | None = None,
) -> bool:
    """Store what one check found; returns True when the star count changed (a history row).

    ``stars`` None means "unchanged" (a 304) or "gone": the count and history stay as they were.
    """
    current = connection.execute(
        select(repositories.c.stars, repositories.c.etag, repositories.c.created_on_github).where(
            repositories.c.url == url
        )
    ).first()
    if current is None:
        raise LookupError(f"repository {url} is not tracked")
    changes: dict = {"status": status, "last_checked_at": checked_at}
    if etag is not None:
        changes["etag"] = etag
    if created_on_github is not None:
        changes["created_on_github"] = created_on_github
    changed = stars is not None and stars != current.stars
    if changed:
        changes["stars"] = stars
        already = connection.execute(
            select(repo_stars.c.stars).where(repo_stars.c.repo_url == url, repo_stars.c.observed_at == checked_at)
        ).first()
        if already is None:
            connection.execute(insert(repo_stars).values(repo_url=url, observed_at=checked_at, stars=stars))
        else:
            connection.execute(
                update(repo_stars)
                .where(repo_stars.c.repo_url == url, repo_stars.c.observed_at == checked_at)
                .values(stars=stars)
            )
    connection.execute(update(repositories).where(repositories.c.url == url).values(**changes))
    return changed


def star_histories(
    connection: Connection, urls: Sequence[str]
) -> dict[str, tuple[TrackedRepository, list[StarObservation]]]:
    """Each tracked repository among ``urls`` with its star history, oldest observation first."""
    found: dict[str, tuple[TrackedRepository, list[StarObservation]]] = {}
    wanted = list(dict.fromkeys(urls))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for row in connection.execute(select(repositories).where(repositories.c.url.in_(chunk))):
            found[row.url] = (_tracked(row), [])
        history = connection.execute(
            select(repo_stars)
            .where(repo_stars.c.repo_url.in_(chunk))
            .order_by(repo_stars.c.repo_url, repo_stars.c.observed_at)
        )
        for row in history:
            found[row.repo_url][1].append(StarObservation(row.observed_at, row.stars))
    return found

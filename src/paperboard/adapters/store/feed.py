"""Queries behind the daily feed, week/month views and trending: features joined with their papers.

Read-only; the writes of ``daily_features`` live in ``features.py``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, or_, select

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import daily_features, papers, submissions, upvotes, users
from paperboard.domain.paper import DailyFeature, Paper

_ID_CHUNK = 500  # stays below SQLite's bound-parameter limit
ORDER_UPVOTES = "upvotes"
ORDER_NEWEST = "newest"

_FEATURE_COLUMNS = (
    daily_features.c.featured_on,
    daily_features.c.submitter,
    daily_features.c.imported_upvotes,
    daily_features.c.source.label("feature_source"),
    users.c.username.label("member"),
)
# A member's submission credits the member's *current* username (and nobody once the account is gone).
_WITH_MEMBERS = daily_features.outerjoin(submissions, submissions.c.paper_id == daily_features.c.paper_id).outerjoin(
    users, users.c.id == submissions.c.user_id
)


def _feature(row) -> DailyFeature:
    m = row._mapping
    return DailyFeature(m["id"], m["featured_on"], m["submitter"], m["imported_upvotes"], m["feature_source"], m["member"])


def _features(where):
    """Features alone (no paper columns), each with the member who submitted it."""
    return select(daily_features.c.paper_id.label("id"), *_FEATURE_COLUMNS).select_from(_WITH_MEMBERS).where(where)


def _featured_query(start: date, end: date, submitter: str | None):
    query = (
        select(papers, *_FEATURE_COLUMNS)
        .select_from(papers.join(_WITH_MEMBERS, daily_features.c.paper_id == papers.c.id))
        .where(daily_features.c.featured_on >= start, daily_features.c.featured_on <= end)
    )
    if submitter is not None:
        query = query.where(or_(daily_features.c.submitter == submitter, users.c.username == submitter))
    return query


def featured_between(
    connection: Connection,
    start: date,
    end: date,
    *,
    submitter: str | None = None,
    order: str = ORDER_UPVOTES,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[tuple[Paper, DailyFeature]], int]:
    """Papers featured from ``start`` to ``end`` (inclusive) with their features, and how many in all."""
    query = _featured_query(start, end, submitter)
    if order == ORDER_NEWEST:
        ordering = (daily_features.c.featured_on.desc(), daily_features.c.created_at.desc(), papers.c.id.desc())
    else:
        # Members' upvotes count beside the imported ones: one indexed count per featured paper.
        member_votes = select(func.count()).where(upvotes.c.paper_id == papers.c.id).scalar_subquery()
        ordering = ((daily_features.c.imported_upvotes + member_votes).desc(), daily_features.c.featured_on.desc(), papers.c.id.desc())
    rows = connection.execute(query.order_by(*ordering).offset(offset).limit(limit)).all()
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return [(row_to_paper(r), _feature(r)) for r in rows], total


def announced_between(
    connection: Connection, start: date, end: date, *, offset: int = 0, limit: int = 50
) -> tuple[list[Paper], int]:
    """Papers first announced from ``start`` to ``end`` (inclusive), newest first."""
    where = (papers.c.announced >= start, papers.c.announced <= end)
    rows = connection.execute(
        select(papers).where(*where).order_by(papers.c.announced.desc(), papers.c.id.desc()).offset(offset).limit(limit)
    ).all()
    total = connection.execute(select(func.count()).select_from(papers).where(*where)).scalar_one()
    return [row_to_paper(r) for r in rows], total


def latest_featured_on(connection: Connection, on_or_before: date | None = None) -> date | None:
    query = select(func.max(daily_features.c.featured_on))
    if on_or_before is not None:
        query = query.where(daily_features.c.featured_on <= on_or_before)
    return connection.execute(query).scalar_one()


def latest_announced_on(connection: Connection, on_or_before: date | None = None) -> date | None:
    query = select(func.max(papers.c.announced))
    if on_or_before is not None:
        query = query.where(papers.c.announced <= on_or_before)
    return connection.execute(query).scalar_one()


def featured_day_before(connection: Connection, day: date) -> date | None:
    return connection.execute(select(func.max(daily_features.c.featured_on)).where(daily_features.c.featured_on < day)).scalar_one()


def featured_day_after(connection: Connection, day: date) -> date | None:
    return connection.execute(select(func.min(daily_features.c.featured_on)).where(daily_features.c.featured_on > day)).scalar_one()


def announced_day_before(connection: Connection, day: date) -> date | None:
    return connection.execute(select(func.max(papers.c.announced)).where(papers.c.announced < day)).scalar_one()


def announced_day_after(connection: Connection, day: date) -> date | None:
    return connection.execute(select(func.min(papers.c.announced)).where(papers.c.announced > day)).scalar_one()


def features_between(connection: Connection, start: date, end: date) -> list[DailyFeature]:
    """Every feature from ``start`` to ``end``: the candidates of the trending list."""
    rows = connection.execute(_features((daily_features.c.featured_on >= start) & (daily_features.c.featured_on <= end)))
    return [_feature(r) for r in rows]


def feature_of(connection: Connection, paper_id: str) -> DailyFeature | None:
    row = connection.execute(_features(daily_features.c.paper_id == paper_id)).first()
    return _feature(row) if row else None


def features_of(connection: Connection, paper_ids: list[str]) -> dict[str, DailyFeature]:
    found: dict[str, DailyFeature] = {}
    for start in range(0, len(paper_ids), _ID_CHUNK):
        chunk = paper_ids[start : start + _ID_CHUNK]
        for r in connection.execute(_features(daily_features.c.paper_id.in_(chunk))):
            found[r.id] = _feature(r)
    return found


def ping(connection: Connection) -> int:
    """How many papers there are: proves the database answers a real query."""
    return connection.execute(select(func.count()).select_from(papers)).scalar_one()

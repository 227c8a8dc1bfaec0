"""Comments, their reports, and what the moderation page lists. Policy lives in ``services.comments``.

A report is one row per (comment, member): reporting twice is ``ON CONFLICT DO NOTHING``. A
moderator's decision (hide, dismiss) sets ``resolved_at`` on the open reports, so the comment
leaves the queue until someone who has not reported it yet reports it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.schema import comment_reports, comments, papers, users
from paperboard.domain.comments import Comment

_COLUMNS = (
    comments.c.id, comments.c.paper_id, comments.c.user_id, users.c.username, comments.c.parent_id, comments.c.body,
    comments.c.created_at, comments.c.edited_at, comments.c.deleted_at, comments.c.hidden_at,
)
_WITH_AUTHORS = comments.join(users, users.c.id == comments.c.user_id)


@dataclass(frozen=True)
class ReportedComment:
    comment: Comment
    paper_title: str
    reports: int
    reasons: list[str]
    first_reported_at: datetime


def _comment(row) -> Comment:
    return Comment(**row._mapping)


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def add_comment(connection: Connection, *, paper_id: str, user_id: int, parent_id: int | None, body: str, now: datetime) -> int:
    statement = comments.insert().values(paper_id=paper_id, user_id=user_id, parent_id=parent_id, body=body, created_at=now)
    return connection.execute(statement.returning(comments.c.id)).scalar_one()


def get_comment(connection: Connection, comment_id: int) -> Comment | None:
    row = connection.execute(select(*_COLUMNS).select_from(_WITH_AUTHORS).where(comments.c.id == comment_id)).first()
    return _comment(row) if row is not None else None


def comments_on(connection: Connection, paper_id: str, *, limit: int) -> list[Comment]:
    """The paper's comments in the order they were written (hidden and deleted ones included)."""
    query = (
        select(*_COLUMNS).select_from(_WITH_AUTHORS).where(comments.c.paper_id == paper_id)
        .order_by(comments.c.created_at, comments.c.id).limit(limit)
    )
    return [_comment(r) for r in connection.execute(query)]


def edit_comment(connection: Connection, comment_id: int, body: str, now: datetime) -> None:
    connection.execute(update(comments).where(comments.c.id == comment_id).values(body=body, edited_at=now))


def delete_comment(connection: Connection, comment_id: int, now: datetime) -> bool:
    """Empty the body and mark it deleted; False when it already was."""
    statement = update(comments).where(comments.c.id == comment_id, comments.c.deleted_at.is_(None)).values(body="", deleted_at=now)
    return connection.execute(statement).rowcount == 1


def set_hidden(connection: Connection, comment_id: int, moderator_id: int | None, now: datetime | None) -> None:
    """Hide (``now`` given) or unhide (``now`` None) a comment."""
    values = {"hidden_at": now, "hidden_by": moderator_id if now is not None else None}
    connection.execute(update(comments).where(comments.c.id == comment_id).values(**values))


def add_report(connection: Connection, comment_id: int, user_id: int, reason: str, now: datetime) -> bool:
    """Report; False when this member had reported this comment before (the first report stands)."""
    statement = _insert(connection)(comment_reports).values(comment_id=comment_id, user_id=user_id, reason=reason, created_at=now)
    return connection.execute(statement.on_conflict_do_nothing().returning(comment_reports.c.comment_id)).first() is not None


def resolve_reports(connection: Connection, comment_id: int, now: datetime) -> int:
    statement = update(comment_reports).where(comment_reports.c.comment_id == comment_id, comment_reports.c.resolved_at.is_(None))
    return connection.execute(statement.values(resolved_at=now)).rowcount


def reported_by(connection: Connection, user_id: int, comment_ids: list[int]) -> set[int]:
    if not comment_ids:
        return set()
    query = select(comment_reports.c.comment_id).where(comment_reports.c.user_id == user_id, comment_reports.c.comment_id.in_(comment_ids))
    return set(connection.execute(query).scalars())


def open_reports(connection: Connection, *, limit: int = 200) -> list[ReportedComment]:
    """Comments with reports no moderator has decided on, the longest waiting first."""
    open_ = comment_reports.c.resolved_at.is_(None)
    waiting = (
        select(comment_reports.c.comment_id, func.count().label("reports"), func.min(comment_reports.c.created_at).label("since"))
        .where(open_).group_by(comment_reports.c.comment_id).subquery()
    )
    rows = connection.execute(
        select(*_COLUMNS, papers.c.title, waiting.c.reports, waiting.c.since)
        .select_from(_WITH_AUTHORS.join(waiting, waiting.c.comment_id == comments.c.id).join(papers, papers.c.id == comments.c.paper_id))
        .order_by(waiting.c.since, comments.c.id).limit(limit)
    ).all()
    ids = [r.id for r in rows]
    reasons: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for comment_id, reason in connection.execute(
            select(comment_reports.c.comment_id, comment_reports.c.reason)
            .where(open_, comment_reports.c.comment_id.in_(ids)).order_by(comment_reports.c.created_at)
        ):
            reasons[comment_id].append(reason)
    found = []
    for r in rows:
        m = r._mapping
        comment = Comment(**{c.name: m[c.name] for c in _COLUMNS})
        found.append(ReportedComment(comment, m["title"], m["reports"], reasons[r.id], m["since"]))
    return found

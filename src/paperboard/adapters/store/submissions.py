"""Members' submissions to the daily feed, and features an administrator sets or removes by hand.

A submission is two rows written together: the ``daily_features`` row (source "community") that
puts the paper on the feed, and the ``submissions`` row that says which member did it. Both are
keyed by paper, so a paper is featured and credited once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.feed import feature_of
from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import daily_features, papers, submissions, users
from paperboard.domain.paper import COMMUNITY, DailyFeature, Paper


@dataclass(frozen=True)
class Submitted:
    """A feature with the id of the member credited for it (None: imported, or the account is gone)."""

    feature: DailyFeature
    member_id: int | None


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def lock_member(connection: Connection, user_id: int) -> None:
    """Serialise one member's submissions, so two at once cannot both pass the daily quota.

    SQLite has one writer at a time already; PostgreSQL takes the member's row lock until commit.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


def submitted(connection: Connection, paper_id: str) -> Submitted | None:
    feature = feature_of(connection, paper_id)
    if feature is None:
        return None
    member_id = connection.execute(select(submissions.c.user_id).where(submissions.c.paper_id == paper_id)).scalar()
    return Submitted(feature, member_id)


def count_submitted_on(connection: Connection, user_id: int, day: date) -> int:
    """How many community submissions the member made on ``day`` (what the daily quota counts)."""
    return connection.execute(
        select(func.count())
        .select_from(submissions.join(daily_features, daily_features.c.paper_id == submissions.c.paper_id))
        .where(submissions.c.user_id == user_id, submissions.c.submitted_on == day, daily_features.c.source == COMMUNITY)
    ).scalar_one()


def add_feature(
    connection: Connection, *, paper_id: str, featured_on: date, source: str, user_id: int | None, now: datetime
) -> bool:
    """Feature the paper and credit ``user_id``; False (nothing written) when it is featured already.

    ``ON CONFLICT DO NOTHING`` makes two concurrent submissions of one paper insert one row;
    RETURNING tells whether this one did (psycopg's rowcount is -1 for such an insert).
    """
    inserted = connection.execute(
        _insert(connection)(daily_features)
        .values(paper_id=paper_id, featured_on=featured_on, submitter=None, imported_upvotes=0, source=source, created_at=now)
        .on_conflict_do_nothing()
        .returning(daily_features.c.paper_id)
    ).scalar()
    if inserted is None:
        return False
    if user_id is not None:
        connection.execute(
            _insert(connection)(submissions)
            .values(paper_id=paper_id, user_id=user_id, submitted_on=now.date(), created_at=now)
            .on_conflict_do_nothing()
        )
    return True


def move_feature(connection: Connection, paper_id: str, featured_on: date, now: datetime) -> bool:
    """Put an existing feature on another day; ``created_at`` changes so page caches notice."""
    return (
        connection.execute(
            update(daily_features)
            .where(daily_features.c.paper_id == paper_id)
            .values(featured_on=featured_on, created_at=now)
        ).rowcount
        > 0
    )


def remove_feature(connection: Connection, paper_id: str) -> bool:
    """Take the paper off the feed, with the submission that credited it; False when it was not featured."""
    connection.execute(delete(submissions).where(submissions.c.paper_id == paper_id))
    return connection.execute(delete(daily_features).where(daily_features.c.paper_id == paper_id)).rowcount > 0


def submissions_by(connection: Connection, user_id: int, *, limit: int = 100) -> list[tuple[Paper, date]]:
    """The papers a member submitted that are still featured, newest feature first, with their day."""
    rows = connection.execute(
        select(papers, daily_features.c.featured_on.label("featured_day"))
        .select_from(
            submissions.join(papers, papers.c.id == submissions.c.paper_id).join(
                daily_features, daily_features.c.paper_id == submissions.c.paper_id
            )
        )
        .where(submissions.c.user_id == user_id)
        .order_by(daily_features.c.featured_on.desc(), papers.c.id)
        .limit(limit)
    ).all()
    return [(row_to_paper(r), r.featured_day) for r in rows]

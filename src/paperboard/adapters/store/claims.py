"""Authorship claims: a member's claim to an author slot of a paper, and a moderator's decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import author_claims, papers, users
from paperboard.domain.authorship import APPROVED, PENDING
from paperboard.domain.paper import Paper


@dataclass(frozen=True)
class Claim:
    id: int
    user_id: int
    username: str
    paper_id: str
    paper_title: str
    author_position: int
    author_name: str
    status: str
    created_at: datetime
    decided_at: datetime | None


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def _select():
    return select(
        author_claims.c.id,
        author_claims.c.user_id,
        users.c.username,
        author_claims.c.paper_id,
        papers.c.title.label("paper_title"),
        author_claims.c.author_position,
        author_claims.c.author_name,
        author_claims.c.status,
        author_claims.c.created_at,
        author_claims.c.decided_at,
    ).select_from(
        author_claims.join(users, users.c.id == author_claims.c.user_id).join(papers, papers.c.id == author_claims.c.paper_id)
    )


def _claims(connection: Connection, query) -> list[Claim]:
    return [Claim(**r._mapping) for r in connection.execute(query)]


def add(connection: Connection, *, user_id: int, paper_id: str, position: int, author_name: str, now: datetime) -> bool:
    """True when the claim was recorded; False when the member has a claim on this paper already."""
    inserted = connection.execute(
        _insert(connection)(author_claims)
        .values(user_id=user_id, paper_id=paper_id, author_position=position, author_name=author_name, status=PENDING, created_at=now)
        .on_conflict_do_nothing()
        .returning(author_claims.c.id)
    ).scalar()
    return inserted is not None


def get(connection: Connection, claim_id: int) -> Claim | None:
    found = _claims(connection, _select().where(author_claims.c.id == claim_id))
    return found[0] if found else None


def of_member_for(connection: Connection, user_id: int, paper_id: str) -> Claim | None:
    found = _claims(connection, _select().where(author_claims.c.user_id == user_id, author_claims.c.paper_id == paper_id))
    return found[0] if found else None


def lock_paper(connection: Connection, paper_id: str) -> None:
    """Serialise decisions on one paper's claims (PostgreSQL; SQLite has one writer already),
    so two moderators cannot approve two claims to the same slot at once."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(papers.c.id).where(papers.c.id == paper_id).with_for_update())


def slot_holder(connection: Connection, paper_id: str, position: int) -> int | None:
    """The id of the approved claim to this slot, if there is one."""
    return connection.execute(
        select(author_claims.c.id).where(
            author_claims.c.paper_id == paper_id,
            author_claims.c.author_position == position,
            author_claims.c.status == APPROVED,
        )
    ).scalar()


def decide(connection: Connection, claim_id: int, *, status: str, moderator_id: int | None, now: datetime) -> None:
    connection.execute(
        update(author_claims).where(author_claims.c.id == claim_id).values(status=status, decided_at=now, decided_by=moderator_id)
    )


def pending(connection: Connection, *, limit: int = 200) -> list[Claim]:
    """Claims waiting for a moderator, oldest first."""
    return _claims(
        connection,
        _select().where(author_claims.c.status == PENDING).order_by(author_claims.c.created_at, author_claims.c.id).limit(limit),
    )


def approved_on(connection: Connection, paper_id: str) -> dict[int, str]:
    """Author position → the username of the member whose claim to it was approved."""
    rows = connection.execute(
        select(author_claims.c.author_position, users.c.username)
        .join(users, users.c.id == author_claims.c.user_id)
        .where(author_claims.c.paper_id == paper_id, author_claims.c.status == APPROVED)
    )
    return {r.author_position: r.username for r in rows}


def papers_claimed_by(connection: Connection, user_id: int, *, limit: int = 200) -> list[tuple[Paper, str]]:
    """The papers whose authorship the member was approved for, newest first, with the name claimed."""
    rows = connection.execute(
        select(papers, author_claims.c.author_name)
        .join(author_claims, author_claims.c.paper_id == papers.c.id)
        .where(author_claims.c.user_id == user_id, author_claims.c.status == APPROVED)
        .order_by(papers.c.published.desc(), papers.c.id)
        .limit(limit)
    ).all()
    return [(row_to_paper(r), r.author_name) for r in rows]

"""Collections: a member's named lists of papers, public or private."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import collection_items, collections, papers, users
from paperboard.domain.paper import Paper


@dataclass(frozen=True)
class Collection:
    id: int
    owner_id: int
    owner: str  # the owner's username
    slug: str
    title: str
    description: str
    is_public: bool
    created_at: datetime
    updated_at: datetime
    size: int = 0


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


_SIZE = (
    select(func.count())
    .where(collection_items.c.collection_id == collections.c.id)
    .correlate(collections)
    .scalar_subquery()
    .label("size")
)
_COLUMNS = (
    collections.c.id,
    collections.c.user_id.label("owner_id"),
    users.c.username.label("owner"),
    collections.c.slug,
    collections.c.title,
    collections.c.description,
    collections.c.is_public,
    collections.c.created_at,
    collections.c.updated_at,
    _SIZE,
)


def _select():
    return select(*_COLUMNS).select_from(collections.join(users, users.c.id == collections.c.user_id))


def _collection(row) -> Collection:
    return Collection(**row._mapping)


def slugs_of(connection: Connection, user_id: int) -> set[str]:
    return set(connection.execute(select(collections.c.slug).where(collections.c.user_id == user_id)).scalars())


def create(
    connection: Connection, *, user_id: int, slug: str, title: str, description: str, is_public: bool, now: datetime
) -> int | None:
    """The new collection's id, or None when the member already has this slug (nothing written)."""
    return connection.execute(
        _insert(connection)(collections)
        .values(user_id=user_id, slug=slug, title=title, description=description, is_public=is_public, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(collections.c.id)
    ).scalar()


def find(connection: Connection, username: str, slug: str) -> Collection | None:
    row = connection.execute(_select().where(users.c.username == username, collections.c.slug == slug)).first()
    return _collection(row) if row else None


def get(connection: Connection, collection_id: int) -> Collection | None:
    row = connection.execute(_select().where(collections.c.id == collection_id)).first()
    return _collection(row) if row else None


def of_member(connection: Connection, user_id: int, *, public_only: bool) -> list[Collection]:
    query = _select().where(collections.c.user_id == user_id)
    if public_only:
        query = query.where(collections.c.is_public.is_(True))
    return [_collection(r) for r in connection.execute(query.order_by(collections.c.updated_at.desc(), collections.c.id))]


def edit(connection: Connection, collection_id: int, *, title: str, description: str, is_public: bool, now: datetime) -> None:
    connection.execute(
        update(collections)
        .where(collections.c.id == collection_id)
        .values(title=title, description=description, is_public=is_public, updated_at=now)
    )


def remove(connection: Connection, collection_id: int) -> bool:
    return connection.execute(delete(collections).where(collections.c.id == collection_id)).rowcount > 0


def add_paper(connection: Connection, collection_id: int, paper_id: str, now: datetime) -> bool:
    """True when the paper was added, False when it was in the collection already."""
    added = connection.execute(
        _insert(connection)(collection_items)
        .values(collection_id=collection_id, paper_id=paper_id, added_at=now)
        .on_conflict_do_nothing()
        .returning(collection_items.c.paper_id)
    ).scalar()
    if added is None:
        return False
    connection.execute(update(collections).where(collections.c.id == collection_id).values(updated_at=now))
    return True


def remove_paper(connection: Connection, collection_id: int, paper_id: str, now: datetime) -> bool:
    removed = connection.execute(
        delete(collection_items).where(collection_items.c.collection_id == collection_id, collection_items.c.paper_id == paper_id)
    ).rowcount
    if removed:
        connection.execute(update(collections).where(collections.c.id == collection_id).values(updated_at=now))
    return removed > 0


def papers_in(connection: Connection, collection_id: int, *, limit: int = 500) -> list[tuple[Paper, datetime]]:
    """The collection's papers, most recently added first, each with when it was added."""
    rows = connection.execute(
        select(papers, collection_items.c.added_at)
        .join(collection_items, collection_items.c.paper_id == papers.c.id)
        .where(collection_items.c.collection_id == collection_id)
        .order_by(collection_items.c.added_at.desc(), papers.c.id)
        .limit(limit)
    ).all()
    return [(row_to_paper(r), r.added_at) for r in rows]


def holding(connection: Connection, user_id: int, paper_id: str) -> set[int]:
    """Ids of the member's collections that hold the paper (the paper page marks them)."""
    return set(
        connection.execute(
            select(collection_items.c.collection_id)
            .join(collections, collections.c.id == collection_items.c.collection_id)
            .where(collections.c.user_id == user_id, collection_items.c.paper_id == paper_id)
        ).scalars()
    )

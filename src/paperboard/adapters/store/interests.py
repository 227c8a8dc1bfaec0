"""What a member has shown interest in: the papers they upvoted or put in one of their collections."""

from __future__ import annotations

from sqlalchemy import Connection, select, union_all

from paperboard.adapters.store.schema import collection_items, collections, upvotes


def member_paper_ids(connection: Connection, user_id: int, limit: int) -> list[str]:
    """Up to ``limit`` papers the member upvoted or collected (private collections too: the
    result only ever serves the member), most recently added first."""
    marked = union_all(
        select(upvotes.c.paper_id, upvotes.c.created_at.label("at")).where(upvotes.c.user_id == user_id),
        select(collection_items.c.paper_id, collection_items.c.added_at.label("at"))
        .join(collections, collections.c.id == collection_items.c.collection_id)
        .where(collections.c.user_id == user_id),
    ).subquery()
    rows = connection.execute(select(marked.c.paper_id, marked.c.at).order_by(marked.c.at.desc(), marked.c.paper_id))
    found: list[str] = []
    for paper_id, _ in rows:
        if paper_id not in found:
            found.append(paper_id)
            if len(found) == limit:
                break
    return found

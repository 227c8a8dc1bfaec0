"""What a member's public profile lists beside claims, submissions and collections: their upvotes."""

from __future__ import annotations

from sqlalchemy import Connection, select

from paperboard.adapters.store.papers import row_to_paper
from paperboard.adapters.store.schema import papers, upvotes
from paperboard.domain.paper import Paper


def papers_upvoted_by(connection: Connection, user_id: int, *, limit: int = 100) -> list[Paper]:
    """The papers the member upvoted, most recent upvote first."""
    rows = connection.execute(
        select(papers)
        .join(upvotes, upvotes.c.paper_id == papers.c.id)
        .where(upvotes.c.user_id == user_id)
        .order_by(upvotes.c.created_at.desc(), papers.c.id)
        .limit(limit)
    ).all()
    return [row_to_paper(r) for r in rows]

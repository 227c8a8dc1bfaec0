"""A member's profile page: who they are, papers they authored (approved claims), submitted and
upvoted, and their collections (public ones for visitors, all of them for the member)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from paperboard.adapters.store import claims as claim_store
from paperboard.adapters.store import collections as collection_store
from paperboard.adapters.store import submissions as submission_store
from paperboard.adapters.store.collections import Collection
from paperboard.adapters.store.profiles import papers_upvoted_by
from paperboard.adapters.store.users import find_by_username
from paperboard.domain.paper import Paper
from paperboard.services.context import AppContext

LIST_LIMIT = 100


@dataclass(frozen=True)
class Profile:
    member_id: int
    username: str
    display_name: str | None
    role: str
    joined: datetime
    authored: list[tuple[Paper, str]]  # the paper and the author name claimed
    submitted: list[tuple[Paper, date]]  # the paper and the day it is featured
    upvoted: list[Paper]
    collections: list[Collection]
    is_self: bool


def profile(ctx: AppContext, username: str, viewer_id: int | None) -> Profile | None:
    """The profile of ``username`` as ``viewer_id`` (None: a visitor) may see it; None if no such member."""
    with ctx.database.read() as connection:
        user = find_by_username(connection, (username or "").strip().lower())
        if user is None:
            return None
        is_self = user.id == viewer_id
        return Profile(
            member_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            joined=user.created_at,
            authored=claim_store.papers_claimed_by(connection, user.id, limit=LIST_LIMIT),
            submitted=submission_store.submissions_by(connection, user.id, limit=LIST_LIMIT),
            upvoted=papers_upvoted_by(connection, user.id, limit=LIST_LIMIT),
            collections=collection_store.of_member(connection, user.id, public_only=not is_self),
            is_self=is_self,
        )

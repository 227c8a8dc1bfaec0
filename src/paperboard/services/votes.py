"""Upvoting a paper and taking the upvote back: one per member per paper, idempotent.

The count a page shows is the members' upvotes plus the upvotes imported with the paper's daily
feature (``FeedItem.upvotes``); this module answers with both after each change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from paperboard.adapters.store import votes as store
from paperboard.adapters.store.feed import feature_of
from paperboard.adapters.store.papers import get_paper
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.errors import UserError
from paperboard.services.context import AppContext

MAX_ID_CHARS = 64  # papers.id


class PaperNotFound(UserError):
    """The id names no paper on this site (the web answers 404)."""

    status = 404

    def __init__(self, text: str) -> None:
        super().__init__(f"This site has no paper {text[:100]!r}.")


@dataclass(frozen=True)
class VoteState:
    paper_id: str
    voted: bool  # the member's upvote is there now
    changed: bool  # this call added or removed it (False: it already was as asked)
    member_upvotes: int
    imported_upvotes: int

    @property
    def upvotes(self) -> int:
        return self.member_upvotes + self.imported_upvotes



def paper_key(text: str) -> str:
    """The stored id for what a URL or a script gave: any arXiv id form, or a ``namespace:id``."""
    text = (text or "").strip()
    try:
        return parse_arxiv_id(text).base
    except InvalidArxivId:
        if ":" in text and 0 < len(text) <= MAX_ID_CHARS and text.isprintable() and " " not in text:
            return text
        raise PaperNotFound(text) from None


def require_paper(connection, text: str) -> str:
    paper_id = paper_key(text)
    if get_paper(connection, paper_id) is None:
        raise PaperNotFound(text)
    return paper_id


def set_upvote(ctx: AppContext, member_id: int, paper: str, voted: bool, *, now: datetime | None = None) -> VoteState:
    """Upvote (``voted``) or take the upvote back; doing what is already done changes nothing."""
    with ctx.database.write() as connection:
        paper_id = require_paper(connection, paper)
        if voted:
            changed = store.add_upvote(connection, member_id, paper_id, now or ctx.now())
        else:
            changed = store.remove_upvote(connection, member_id, paper_id)
        count = store.upvote_count(connection, paper_id)
        feature = feature_of(connection, paper_id)
    return VoteState(paper_id, voted, changed, count, feature.upvotes if feature else 0)


def upvoted_among(ctx: AppContext, member_id: int, paper_ids: list[str] | None = None) -> set[str]:
    """Which of ``paper_ids`` (None: any) the member has upvoted."""
    with ctx.database.read() as connection:
        return store.upvoted_by(connection, member_id, paper_ids)

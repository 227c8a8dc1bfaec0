"""Commenting on a paper, editing and deleting one's own comments, reporting, and moderating.

Who may do what: anyone reads the visible comments; a member posts, replies, edits and deletes
their own (a deleted comment keeps its place with its body gone), and reports others' once each;
moderators see hidden comments, hide and unhide them, and dismiss reports. The body's rules and
its rendering live in ``domain.comments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from paperboard.adapters.store import comments as store
from paperboard.domain.comments import Comment, CommentRefused, ThreadEntry, build_threads, clean_body, thread_parent
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.services.votes import require_paper

REASON_MAX_CHARS = 500
_LARGEST_ID = 2**63 - 1  # a larger number in a URL names no comment (and would overflow the column)


class CommentNotFound(UserError):
    status = 404

    def __init__(self, comment_id: int) -> None:
        super().__init__(f"There is no comment {comment_id}.")


class NotYourComment(UserError):
    status = 403

    def __init__(self) -> None:
        super().__init__("Only its author can change or delete a comment.")


class Refused(UserError):
    """The request is well formed but the rules say no (a bad body, a reply to a hidden comment)."""

    status = 400


class Gone(UserError):
    status = 409


@dataclass
class Discussion:
    """A paper's comments as one viewer sees them."""

    paper_id: str
    threads: list[ThreadEntry]
    visible: int  # comments neither deleted nor hidden: the count cards show
    reported: set[int] = field(default_factory=set)  # comments this viewer has reported



def _body(ctx: AppContext, body: str | None) -> str:
    try:
        return clean_body(body, ctx.settings.comment_max_chars)
    except CommentRefused as error:
        raise Refused(str(error)) from None


def _find(connection, comment_id: int) -> Comment:
    comment = store.get_comment(connection, comment_id) if 0 < comment_id <= _LARGEST_ID else None
    if comment is None:
        raise CommentNotFound(comment_id)
    return comment


def post(ctx: AppContext, member_id: int, paper: str, body: str | None, *, parent_id: int | None = None,
         now: datetime | None = None) -> Comment:
    """A new comment, or a reply (to a reply: attached to its top-level comment)."""
    text = _body(ctx, body)
    with ctx.database.write() as connection:
        paper_id = require_paper(connection, paper)
        attach_to = None
        if parent_id is not None:
            parent = store.get_comment(connection, parent_id) if 0 < parent_id <= _LARGEST_ID else None
            if parent is None or parent.paper_id != paper_id:
                raise Refused(f"Comment {parent_id} is not on this paper, so there is nothing to reply to.")
            if parent.hidden:
                raise Refused("That comment was hidden by a moderator; it takes no replies.")
            attach_to = thread_parent(parent.id, parent.parent_id)
        new_id = store.add_comment(connection, paper_id=paper_id, user_id=member_id, parent_id=attach_to, body=text, now=now or ctx.now())
        return store.get_comment(connection, new_id)


def _own(connection, member_id: int, comment_id: int) -> Comment:
    comment = _find(connection, comment_id)
    if comment.user_id != member_id:
        raise NotYourComment()
    return comment


def edit(ctx: AppContext, member_id: int, comment_id: int, body: str | None, *, now: datetime | None = None) -> Comment:
    """Replace the body of one's own comment; the same text again changes nothing."""
    text = _body(ctx, body)
    with ctx.database.write() as connection:
        comment = _own(connection, member_id, comment_id)
        if comment.deleted:
            raise Gone("This comment was deleted; it cannot be edited.")
        if comment.body != text:
            store.edit_comment(connection, comment_id, text, now or ctx.now())
        return store.get_comment(connection, comment_id)


def delete(ctx: AppContext, member_id: int, comment_id: int, *, now: datetime | None = None) -> Comment:
    """Delete one's own comment: it keeps its place in the thread, its body is gone. Idempotent."""
    with ctx.database.write() as connection:
        _own(connection, member_id, comment_id)
        store.delete_comment(connection, comment_id, now or ctx.now())
        return store.get_comment(connection, comment_id)


def report(ctx: AppContext, member_id: int, comment_id: int, reason: str | None, *, now: datetime | None = None) -> Comment:
    """Report someone else's comment to the moderators; a second report by the same member changes
    nothing (the first one stands)."""
    reason = " ".join((reason or "").split())[:REASON_MAX_CHARS]
    with ctx.database.write() as connection:
        comment = _find(connection, comment_id)
        if comment.user_id == member_id:
            raise Refused("You cannot report your own comment; edit or delete it instead.")
        if comment.deleted:
            raise Gone("This comment was deleted by its author; there is nothing left to report.")
        store.add_report(connection, comment_id, member_id, reason, now or ctx.now())
        return comment


def discussion(ctx: AppContext, paper: str, *, viewer_id: int | None = None, moderator: bool = False) -> Discussion:
    """The paper's threads for one viewer: hidden comments only for moderators. An unknown paper is
    PaperNotFound, not an empty list that would hide a mistyped id."""
    with ctx.database.read() as connection:
        paper_id = require_paper(connection, paper)
        found = store.comments_on(connection, paper_id, limit=ctx.settings.comments_shown_per_paper)
        reported = store.reported_by(connection, viewer_id, [c.id for c in found]) if viewer_id is not None else set()
    threads = build_threads(found, sees_hidden=moderator)
    return Discussion(paper_id, threads, sum(1 for c in found if c.visible), reported)


# -- moderators -----------------------------------------------------------------------------------
def reported(ctx: AppContext) -> list[store.ReportedComment]:
    with ctx.database.read() as connection:
        return store.open_reports(connection)


def moderate(ctx: AppContext, moderator_id: int, comment_id: int, decision: str, *, now: datetime | None = None) -> Comment:
    """``hide`` (and close its reports), ``unhide``, or ``dismiss`` the reports leaving it shown."""
    now = now or ctx.now()
    with ctx.database.write() as connection:
        comment = _find(connection, comment_id)
        if decision == "hide":
            if not comment.hidden:
                store.set_hidden(connection, comment_id, moderator_id, now)
            store.resolve_reports(connection, comment_id, now)
        elif decision == "unhide":
            if comment.hidden:
                store.set_hidden(connection, comment_id, None, None)
        elif decision == "dismiss":
            store.resolve_reports(connection, comment_id, now)
        else:
            raise ValueError(f"unknown moderation decision {decision!r}")
        return store.get_comment(connection, comment_id)

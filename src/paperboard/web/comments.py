"""Comments: the paper page's forms (post, reply, edit, delete, report), the moderators' decisions,
and the JSON API (``GET``/``POST /api/papers/{id}/comments``, ``PATCH``/``DELETE /api/comments/{id}``).

Writing needs a verified email address (others read what is written). Forms answer with a redirect
back to the comment; refusals keep the status that fits (400 bad body, 403 not yours, 404 unknown,
409 deleted). Every change empties this process's page cache; other processes follow through the
data version (``services.feed.data_version``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from paperboard.domain.comments import Comment, render_markdown
from paperboard.errors import UserError
from paperboard.services import comments, ratelimit
from paperboard.services.votes import PaperNotFound
from paperboard.web.api import ErrorJson, hf_time
from paperboard.web.auth import Member, api_member, current_member, require_role, require_verified
from paperboard.web.errors import error_response
from paperboard.web.rendering import CACHE_HEADER, paper_path
from paperboard.web.submissions import require_verified as require_verified_member
from paperboard.web.votes import safe_next

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)

_BODY_FIELD = {"max_length": 100_000}  # the real limit (comment_max_chars) is checked with a clear message


# -- JSON shapes --------------------------------------------------------------------------------
class CommentAuthorJson(BaseModel):
    user: str


class CommentJson(BaseModel):
    id: int
    paperId: str
    parentId: int | None = Field(None, description="The top-level comment this replies to (threads are one level deep).")
    author: CommentAuthorJson | None = Field(None, description="None once the comment is deleted.")
    body: str = Field(description="The markdown as written; empty once deleted.")
    html: str = Field(description="The body rendered as sanitised HTML.")
    createdAt: str
    editedAt: str | None = None
    deleted: bool = False
    hidden: bool = Field(False, description="Hidden by a moderator (only moderators see hidden comments).")
    replies: list["CommentJson"] = []


class DiscussionJson(BaseModel):
    paperId: str
    count: int = Field(description="Comments neither deleted nor hidden.")
    comments: list[CommentJson]


class NewCommentJson(BaseModel):
    body: str = Field(..., description="Markdown (links, emphasis, code, lists, quotes; no HTML or images).", **_BODY_FIELD)
    parentId: int | None = Field(None, ge=1, le=2**63 - 1, description="Reply to this comment (a reply to a reply attaches to its thread).")


class CommentEditJson(BaseModel):
    body: str = Field(..., **_BODY_FIELD)


def comment_json(comment: Comment, replies: list[Comment] = (), *, placeholder: bool = False) -> dict:
    gone = comment.deleted or placeholder
    return {
        "id": comment.id,
        "paperId": comment.paper_id,
        "parentId": comment.parent_id,
        "author": None if gone else {"user": comment.username},
        "body": "" if gone else comment.body,
        "html": "" if gone else render_markdown(comment.body),
        "createdAt": hf_time(comment.created_at),
        "editedAt": hf_time(comment.edited_at),
        "deleted": comment.deleted,
        "hidden": comment.hidden,
        "replies": [comment_json(r) for r in replies],
    }


# -- helpers -------------------------------------------------------------------------------------
def _ctx(request: Request):
    return request.app.state.ctx


def _back_to(comment: Comment) -> RedirectResponse:
    return RedirectResponse(paper_path(comment.paper_id) + f"#comment-{comment.id}", status_code=303)


async def _attempt(request: Request, work, *, heading: str = "That did not work", limiter: str | None = None, member: Member | None = None):
    """Run one change (after counting it against ``limiter``): the comment it returns, or the
    refusal as a page or JSON (``error_response`` picks by path) with the status that fits.
    Over a limit is the site's 429 with ``Retry-After``."""
    ctx = _ctx(request)
    try:
        if limiter is not None:
            await run_in_threadpool(ratelimit.check, ctx, limiter, str(member.id))
        comment = await run_in_threadpool(work, ctx)
    except ratelimit.RateLimited:
        raise
    except UserError as error:
        return error_response(request, getattr(error, "status", 400), str(error), heading=heading)
    request.app.state.cache.invalidate()  # visitors' cached pages show the change at once
    return comment


def _answer(result, respond):
    """``respond(comment)`` when the change went through, else the refusal as it is."""
    return respond(result) if isinstance(result, Comment) else result


def _as_json(status: int = 200):
    return lambda comment: JSONResponse(comment_json(comment), status_code=status)


def _new_comment(member: Member, arxiv_id: str, body: str, parent_id: int | None):
    return lambda ctx: comments.post(ctx, member.id, arxiv_id, body, parent_id=parent_id)


def _edit(member: Member, comment_id: int, body: str):
    return lambda ctx: comments.edit(ctx, member.id, comment_id, body)


def _delete(member: Member, comment_id: int):
    return lambda ctx: comments.delete(ctx, member.id, comment_id)


def _verified(member: Member, work):
    def run(ctx):
        require_verified_member(member)
        return work(ctx)

    return run


# -- forms on the paper page ---------------------------------------------------------------------
@router.post("/papers/{arxiv_id:path}/comments", summary="Comment on a paper, or reply to a comment (form)")
async def post_form(
    request: Request,
    arxiv_id: str,
    member: Member = Depends(require_verified),
    body: str = Form("", **_BODY_FIELD),
    parent_id: int | None = Form(None, ge=1, le=2**63 - 1),
):
    work = _new_comment(member, arxiv_id, body, parent_id)
    return _answer(await _attempt(request, work, heading="Your comment was not posted", limiter="comment", member=member), _back_to)


@router.post("/comments/{comment_id:int}/edit", summary="Edit your comment (form)")
async def edit_form(request: Request, comment_id: int, member: Member = Depends(require_verified), body: str = Form("", **_BODY_FIELD)):
    work = _edit(member, comment_id, body)
    return _answer(await _attempt(request, work, heading="Your change was not saved", limiter="comment", member=member), _back_to)


@router.post("/comments/{comment_id:int}/delete", summary="Delete your comment (form)")
async def delete_form(request: Request, comment_id: int, member: Member = Depends(require_verified)):
    return _answer(await _attempt(request, _delete(member, comment_id)), _back_to)


@router.post("/comments/{comment_id:int}/report", summary="Report a comment to the moderators (form)")
async def report_form(request: Request, comment_id: int, member: Member = Depends(require_verified), reason: str = Form("", max_length=2000)):
    def work(ctx):
        return comments.report(ctx, member.id, comment_id, reason)

    return _answer(await _attempt(request, work, heading="The report was not taken", limiter="report", member=member), _back_to)


@router.post("/moderation/comments/{comment_id:int}/{decision}", summary="Hide, unhide or dismiss reports of a comment (moderators)")
async def moderate_form(
    request: Request,
    comment_id: int,
    decision: Literal["hide", "unhide", "dismiss"],
    member: Member = Depends(require_role("moderator")),
    next_path: str | None = Form(None, alias="next", max_length=2000),
):
    def work(ctx):
        return comments.moderate(ctx, member.id, comment_id, decision)

    back = RedirectResponse(safe_next(next_path, "/moderation#comments"), status_code=303)
    return _answer(await _attempt(request, work), lambda _: back)


# -- JSON API ------------------------------------------------------------------------------------
_API_ERRORS = {
    400: {"model": ErrorJson}, 401: {"model": ErrorJson}, 403: {"model": ErrorJson},
    404: {"model": ErrorJson}, 409: {"model": ErrorJson}, 429: {"model": ErrorJson},
}


@router.get("/api/papers/{arxiv_id:path}/comments", response_model=DiscussionJson, responses=_API_ERRORS,
            summary="A paper's comments, threaded one level")
async def list_api(request: Request, arxiv_id: str, member: Member | None = Depends(current_member)):
    moderator = bool(member and member.has_role("moderator"))
    try:
        found = await run_in_threadpool(
            lambda: comments.discussion(_ctx(request), arxiv_id, viewer_id=member.id if member else None, moderator=moderator)
        )
    except PaperNotFound as error:
        return error_response(request, 404, str(error))
    body = {
        "paperId": found.paper_id,
        "count": found.visible,
        "comments": [comment_json(t.comment, t.replies, placeholder=t.placeholder) for t in found.threads],
    }
    response = JSONResponse(body)
    response.headers[CACHE_HEADER] = "1"
    return response


@router.post("/api/papers/{arxiv_id:path}/comments", response_model=CommentJson, status_code=201, responses=_API_ERRORS,
             summary="Comment on a paper (personal API token)")
async def post_api(request: Request, arxiv_id: str, new: NewCommentJson = Body(...), member: Member = Depends(api_member)):
    work = _verified(member, _new_comment(member, arxiv_id, new.body, new.parentId))
    return _answer(await _attempt(request, work, limiter="comment", member=member), _as_json(201))


@router.patch("/api/comments/{comment_id:int}", response_model=CommentJson, responses=_API_ERRORS,
              summary="Edit your comment (personal API token)")
async def edit_api(request: Request, comment_id: int, change: CommentEditJson = Body(...), member: Member = Depends(api_member)):
    work = _verified(member, _edit(member, comment_id, change.body))
    return _answer(await _attempt(request, work, limiter="comment", member=member), _as_json())


@router.delete("/api/comments/{comment_id:int}", response_model=CommentJson, responses=_API_ERRORS,
               summary="Delete your comment (personal API token); it keeps its place, its body is gone")
async def delete_api(request: Request, comment_id: int, member: Member = Depends(api_member)):
    return _answer(await _attempt(request, _delete(member, comment_id)), _as_json())

"""Upvoting from a card or a paper page (a form: POST, then back where the member was) and from
scripts (``POST`` / ``DELETE /api/papers/{id}/upvote`` with a personal API token).

Both are idempotent: upvoting twice or removing an upvote that is not there changes nothing and
says so (``changed``). The rate limiter "vote" counts every attempt per member.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from paperboard.services import ratelimit, votes
from paperboard.services.votes import VoteState
from paperboard.web.api import ErrorJson
from paperboard.web.auth import Member, api_member, require_member
from paperboard.web.errors import error_response
from paperboard.web.rendering import paper_path

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)


class VoteJson(BaseModel):
    id: str
    upvoted: bool = Field(description="Whether your upvote is there now.")
    changed: bool = Field(description="False when it already was as asked (nothing changed).")
    upvotes: int = Field(description="Members' upvotes plus the upvotes imported with the daily feature.")
    memberUpvotes: int
    importedUpvotes: int


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to go back to after a form; anything else (another host, ``//host``) is ignored."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) <= 2000:
        return target
    return fallback


async def _vote(request: Request, member: Member, arxiv_id: str, voted: bool) -> VoteState:
    ctx = request.app.state.ctx
    await run_in_threadpool(ratelimit.check, ctx, "vote", str(member.id))
    state = await run_in_threadpool(votes.set_upvote, ctx, member.id, arxiv_id, voted)
    if state.changed:
        request.app.state.cache.invalidate()  # visitors' cached cards show the new count at once
    return state


@router.post("/papers/{arxiv_id:path}/upvote", summary="Upvote a paper or take the upvote back (form)")
async def upvote_form(
    request: Request,
    arxiv_id: str,
    member: Member = Depends(require_member),
    action: Literal["add", "remove"] = Form("add"),
    next_path: str | None = Form(None, alias="next", max_length=2000),
):
    try:
        state = await _vote(request, member, arxiv_id, action == "add")
    except votes.PaperNotFound as error:
        return error_response(request, 404, str(error), heading="Paper not found")
    return RedirectResponse(safe_next(next_path, paper_path(state.paper_id)), status_code=303)


def _vote_json(request: Request, state: VoteState) -> JSONResponse:
    return JSONResponse(VoteJson(
        id=state.paper_id, upvoted=state.voted, changed=state.changed, upvotes=state.upvotes,
        memberUpvotes=state.member_upvotes, importedUpvotes=state.imported_upvotes,
    ).model_dump())


_API_ERRORS = {401: {"model": ErrorJson}, 403: {"model": ErrorJson}, 404: {"model": ErrorJson}, 429: {"model": ErrorJson}}


@router.post("/api/papers/{arxiv_id:path}/upvote", response_model=VoteJson, responses=_API_ERRORS,
             summary="Upvote a paper (personal API token); idempotent")
@router.delete("/api/papers/{arxiv_id:path}/upvote", response_model=VoteJson, responses=_API_ERRORS,
               summary="Take your upvote of a paper back (personal API token); idempotent")
async def upvote_api(request: Request, arxiv_id: str, member: Member = Depends(api_member)):
    try:
        return _vote_json(request, await _vote(request, member, arxiv_id, request.method == "POST"))
    except votes.PaperNotFound as error:
        return error_response(request, 404, str(error))

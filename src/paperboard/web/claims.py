"""Claiming authorship from a paper page, and the moderators' decisions on claims.

A claim is a form on the paper page (pick one of the paper's authors); it waits in
``/moderation`` until a moderator approves or rejects it. Approved claims link the author's name
on the paper page to the member's profile.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from paperboard.services import claims, ratelimit
from paperboard.services.claims import ClaimNotFound
from paperboard.web.auth import Member, require_member, require_role
from paperboard.web.errors import error_response
from paperboard.web.rendering import paper_path
from paperboard.web.submissions import require_verified

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)

_DECISIONS = {"approve": "approved", "reject": "rejected"}


def _ctx(request: Request):
    return request.app.state.ctx


@router.post("/claims", summary="Claim to be one of a paper's authors")
def claim_authorship(
    request: Request,
    member: Member = Depends(require_member),
    paper_id: str = Form(..., max_length=200),
    author_position: int = Form(..., ge=0, le=100_000),
):
    require_verified(member)
    ratelimit.check(_ctx(request), "claim", str(member.id))
    claims.claim(_ctx(request), member.id, paper_id, author_position)
    return RedirectResponse(paper_path(paper_id) + "#authorship", status_code=303)


@router.post("/moderation/claims/{claim_id:int}/{decision}", summary="Approve or reject an authorship claim (moderators)")
def decide_claim(request: Request, claim_id: int, decision: str, member: Member = Depends(require_role("moderator"))):
    if decision not in _DECISIONS:
        return error_response(request, 404, f"There is no page at {request.url.path}.", heading="Not found")
    try:
        claims.decide(_ctx(request), member.id, claim_id, _DECISIONS[decision])
    except ClaimNotFound as error:
        return error_response(request, 404, str(error), heading="Claim not found")
    # The paper page (cached for visitors) shows approved claims.
    request.app.state.cache.invalidate()
    return RedirectResponse("/moderation#claims", status_code=303)

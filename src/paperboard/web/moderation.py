"""``/moderation``: what waits for a moderator. Each kind of item is a section of its own
(``moderation.html`` includes one template per section); authorship claims are one of them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from paperboard.services import claims, comments
from paperboard.web.auth import Member, require_role
from paperboard.web.rendering import page

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)


@router.get("/moderation", summary="Items waiting for a moderator")
def moderation_page(request: Request, member: Member = Depends(require_role("moderator"))):
    ctx = request.app.state.ctx
    response = page(
        request, "moderation.html", title="Moderation", canonical="/moderation", cache=False,
        pending_claims=claims.pending(ctx),
        reported_comments=comments.reported(ctx),
    )
    response.headers["x-robots-tag"] = "noindex"
    return response

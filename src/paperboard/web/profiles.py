"""``/u/{username}``: a member's profile, as the member or a visitor may see it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from paperboard.services import feed, profiles
from paperboard.web.auth import Member, current_member
from paperboard.web.errors import error_response
from paperboard.web.rendering import page

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)


@router.get("/u/{username}", summary="A member's profile: authored, submitted and upvoted papers, collections")
def profile_page(request: Request, username: str, member: Member | None = Depends(current_member)):
    ctx = request.app.state.ctx
    found = profiles.profile(ctx, username[:100], member.id if member else None)
    if found is None:
        return error_response(request, 404, "There is no member with this name.", heading="Member not found")
    return page(
        request, "profile.html", title=found.display_name or found.username, canonical=f"/u/{found.username}",
        description=f"Papers {found.username} wrote, submitted and upvoted on this site.", og_type="profile", cache=False,
        profile=found,
        authored=list(zip(feed.cards(ctx, [paper for paper, _ in found.authored]), [name for _, name in found.authored])),
        submitted=list(zip(feed.cards(ctx, [paper for paper, _ in found.submitted]), [day for _, day in found.submitted])),
        upvoted=feed.cards(ctx, found.upvoted),
    )

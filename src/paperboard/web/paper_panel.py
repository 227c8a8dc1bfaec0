"""The community part of a paper page: claimed authors for everyone; for a member, their
collections and their authorship claim; for an administrator, feature and unfeature controls.

A visitor's paper page is cached and shared, so it carries only what every visitor sees (approved
claims); a member's page is never cached (``web.cache`` bypasses requests with a session).
"""

from __future__ import annotations

from paperboard.domain.paper import Paper
from paperboard.services import claims, collections, comments
from paperboard.services.context import AppContext
from paperboard.web.auth import Member


def for_paper(ctx: AppContext, member: Member | None, paper: Paper) -> dict:
    panel = {"claimed": claims.approved_on(ctx, paper.id), "my_claim": None, "collection_choices": [], "can_feature": False}
    panel["discussion"] = comments.discussion(
        ctx, paper.id, viewer_id=member.id if member else None, moderator=bool(member and member.has_role("moderator"))
    )
    if member is not None:
        panel["my_claim"] = claims.member_claim(ctx, member.id, paper.id)
        panel["collection_choices"] = collections.choices_for(ctx, member.id, paper.id)
        panel["can_feature"] = member.has_role("admin")
    return panel

"""Account pages and the account's JSON: who am I (``GET /api/me``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse

from paperboard.web.auth import Member, api_member

router = APIRouter(tags=["accounts"], default_response_class=HTMLResponse)


def member_json(member: Member) -> dict:
    return {
        "id": member.id,
        "username": member.username,
        "displayName": member.display_name,
        "role": member.role,
        "emailVerified": member.email_verified,
    }


@router.get("/api/me", response_class=JSONResponse, summary="The member a personal API token (or session) belongs to")
async def me(member: Member = Depends(api_member)) -> dict:
    return member_json(member)

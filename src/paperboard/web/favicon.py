"""The site's icon at ``/favicon.svg``; ``/favicon.ico``, which browsers and crawlers ask for
whatever a page names, sends them there instead of filling the logs with 404s."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

# Not part of the API, so not in its OpenAPI description either.
router = APIRouter(include_in_schema=False)

_ICON = Path(__file__).parent / "static" / "favicon.svg"
# A day: a changed icon shows within one, and browsers don't ask again on every page.
_CACHEABLE = {"cache-control": "public, max-age=86400"}


@router.get("/favicon.svg")
async def favicon_svg() -> FileResponse:
    return FileResponse(_ICON, media_type="image/svg+xml", headers=_CACHEABLE)


@router.get("/favicon.ico")
async def favicon_ico() -> RedirectResponse:
    return RedirectResponse("/favicon.svg", status_code=301, headers=_CACHEABLE)

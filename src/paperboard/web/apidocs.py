"""The interactive API docs (/docs: Swagger UI) served from this site alone; /redoc points there.

FastAPI's defaults load the JavaScript and CSS from a CDN (and ReDoc's fonts from Google), so on a
self-hosted box without internet /docs stays blank. The same assets come here from the
``fastapi-offline`` package (installed from PyPI with paperboard; nothing is copied into this repo)
and are served under /static/api-docs/ like the site's own files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from paperboard.web.headers import docs_policy

ASSETS_URL = "/static/api-docs"
_PACKAGE = "fastapi_offline"


def assets_directory() -> Path | None:
    """The asset folder inside the installed package, found without importing it."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def install_api_docs(app: FastAPI) -> None:
    """Add /docs (and /redoc, a redirect to it), and mount the assets. Call before mounting /static itself: the
    first matching mount wins, so /static/api-docs must come first."""
    folder = assets_directory()
    if folder is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=str(folder)), name="api-docs-assets")
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        if folder is None:
            return _missing()
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=None,
            # null: no "valid" badge fetched from swagger.io's online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
        # The site's policy allows no inline script; this page's start-up script is let in by hash.
        page.headers["content-security-policy"] = docs_policy(page.body.decode())
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> RedirectResponse:
        # ReDoc's bundle fetches its logo from cdn.redoc.ly whatever it is told (a request to a third
        # party from every visitor), so the one docs page is Swagger UI's.
        return RedirectResponse("/docs", status_code=301)


def _missing() -> PlainTextResponse:
    return PlainTextResponse(
        "The API docs need the fastapi-offline package (pip install fastapi-offline); "
        "the API itself is described at /openapi.json.",
        status_code=503,
    )

"""/docs works on a box without internet: every asset it names is served by the site.

In-process: the page references same-origin URLs only, and each of them answers. In Chromium: the
Swagger UI renders the API from /openapi.json, and the browser asks nothing of any other origin.
/redoc (whose bundle fetches a logo from its vendor's CDN) sends visitors to /docs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from paperboard.web.app import create_app
from tests.web.conftest import LiveServer, make_ctx
from tests.web.test_browser import ARTIFACTS, browser  # noqa: F401 - the Chromium fixture


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # URLs handed to the UI's script as strings ("url: '/openapi.json'", spec-url="...").
    return parser.urls + re.findall(r"""(?:url|spec-url)["']?\s*[:=]\s*["']([^"']+)["']""", html)


def test_api_docs_name_only_same_origin_urls_and_each_is_served(site):
    page = site.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.I), "a URL of another host"
    urls = _references(page.text)
    assert "/openapi.json" in urls
    assets = {url.rsplit("/", 1)[-1] for url in urls if url.startswith("/static/api-docs/")}
    assert assets == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert site.get(url).status_code == 200, url


def test_redoc_sends_visitors_to_the_docs(site):
    moved = site.get("/redoc")
    assert (moved.status_code, moved.headers["location"]) == (301, "/docs")


def test_the_site_own_static_files_are_still_served(site):
    assert site.get("/static/site.css").status_code == 200
    assert site.get("/static/api-docs/no-such-file.js").status_code == 404


@pytest.mark.browser
def test_swagger_ui_renders_with_nothing_from_other_origins(browser, seeded_sqlite, fake_arxiv):  # noqa: F811
    ctx = make_ctx(seeded_sqlite, fake_arxiv)
    with LiveServer(create_app(ctx)) as server:
        page = browser.new_page()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(server.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
        assert "paperboard" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock-summary-path", has_text="/api/daily_papers").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        page.close()
    ctx.database.dispose()
    # blob: URLs are the page's own (Swagger UI makes one for the spec download link).
    elsewhere = [url for url in asked if not url.startswith((server.url + "/", "blob:" + server.url + "/"))]
    assert asked and elsewhere == []

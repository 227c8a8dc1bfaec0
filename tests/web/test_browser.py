"""A visitor in real Chromium (Debian's, through playwright): daily page → paper → search → similar.

Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paperboard.web.app import create_app
from tests.web.conftest import FEATURED_DAYS, LiveServer, make_ctx

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/install-test-system.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def server(seeded_sqlite, fake_arxiv):
    ctx = make_ctx(seeded_sqlite, fake_arxiv)
    with LiveServer(create_app(ctx)) as live:
        yield live
    ctx.database.dispose()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_visitor_reads_the_daily_page_a_paper_searches_and_follows_a_similar_paper(browser, server, viewport):
    ARTIFACTS.mkdir(exist_ok=True)
    name = "desktop" if viewport["width"] > 600 else "phone"
    page = browser.new_page(viewport=viewport, java_script_enabled=False)
    page.goto(server.url + "/")
    assert "April 13, 2026" in page.locator("h1").inner_text()
    assert page.get_by_text("Get trending papers in your email inbox").is_visible()
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(ARTIFACTS / f"daily-{name}.png"), full_page=False)

    page.locator("a[rel=prev]").first.click()
    assert "April 8, 2026" in page.locator("h1").inner_text()

    first = page.locator("article.paper h3 a").first
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == title
    assert page.get_by_role("link", name="PDF").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"paper-{name}.png"), full_page=True)

    page.fill("form.search input[name=q]", "vision language model")
    page.locator("form.search button").click()
    assert re.search(r"/papers\?q=vision\+language\+model", page.url)
    assert page.locator("article.paper").count() > 0
    assert page.locator("mark").count() > 0
    page.screenshot(path=str(ARTIFACTS / f"search-{name}.png"), full_page=False)

    page.locator("article.paper h3 a").first.click()
    similar = page.locator("section.similar article.paper h3 a")
    assert similar.count() > 0, "the paper page shows similar papers"
    other = similar.first.inner_text()
    similar.first.click()
    assert page.locator("h1").inner_text() == other
    page.close()


def test_subscribing_from_the_banner_in_a_real_browser(browser, server):
    page = browser.new_page()
    page.goto(server.url + f"/papers?date={FEATURED_DAYS[0].isoformat()}")
    page.fill("#subscribe-email", "browser-reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    assert "browser-reader@example.org is on the list" in page.content()
    page.close()

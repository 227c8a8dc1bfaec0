"""The account pages in real Chromium without JavaScript, on a phone's width: sign up, the account
page, a token, log out, a wrong then a right login. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paperboard.web.app import create_app
from tests.factories import PASSWORD, make_ctx
from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(sqlite_database, tmp_path):
    ctx = make_ctx(sqlite_database, tmp_path / "home")
    with LiveServer(create_app(ctx)) as live:
        yield live
    ctx.database.dispose()


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/install-test-system.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium.new_page(viewport=PHONE, java_script_enabled=False)
        chromium.close()


def _fits(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"account-{name}-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} overflows sideways"


def test_account_pages_work_without_javascript_on_a_phone(server, page):
    page.goto(server.url + "/")
    page.locator("header .who").get_by_role("link", name="Sign up").click()
    _fits(page, "signup")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=display_name]", "Ada <Lovelace>")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    assert "Check your mail" in page.locator("main").inner_text()  # no session before logging in
    _fits(page, "signup-sent")
    page.locator("header .who").get_by_role("link", name="Log in").click()
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(server.url + "/account")
    assert "Ada <Lovelace>" in page.locator("main").inner_text()
    assert page.locator("header .who a").first.inner_text() == "ada"

    page.fill("input[name=name]", "my laptop script")
    page.get_by_role("button", name="Create a token").click()
    assert re.fullmatch(r"pb_[A-Za-z0-9_\-]+", page.locator("code.secret").inner_text())
    _fits(page, "account")

    page.get_by_role("button", name="Log out", exact=True).click()
    assert "Log in" in page.locator("header .who").inner_text()
    page.locator("header .who").get_by_role("link", name="Log in").click()
    _fits(page, "login")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", "not my password")
    page.get_by_role("button", name="Log in", exact=True).click()
    assert "Wrong email, username or password" in page.locator("main").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    assert urlsplit(page.url).path == "/papers"
    assert page.locator("header .who a").first.inner_text() == "ada"

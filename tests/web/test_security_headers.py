"""Security headers on every kind of response, and a strict CSP that real pages live with.

In-process: pages, JSON, feeds, static files, the favicon, 404/405/500 pages, /docs and the pages
behind mailed links each carry the headers (their own where they need more). In Chromium: pages
render with no CSP violation reported (a control proves a violation would be seen), Swagger UI
works under its policy, and the development mail viewer still shows a mail's inline styles.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from paperboard.adapters.mail.compose import MailTemplates
from paperboard.services import subscriptions
from paperboard.services.mailbox import dev_mailbox
from paperboard.web.app import create_app
from paperboard.web.headers import CONTENT_SECURITY_POLICY
from tests.web.conftest import FEATURED_DAYS, XSS_ID, LiveServer, make_ctx
from tests.web.test_browser import browser  # noqa: F401 - the Chromium fixture

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "paperboard" / "web" / "templates"
COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


@pytest.fixture
def site_with_a_fault(seeded_sqlite, fake_arxiv):
    """The site, plus one route that fails as a bug would (routes added after create_app serve)."""
    ctx = make_ctx(seeded_sqlite, fake_arxiv)
    app = create_app(ctx)

    @app.get("/boom", include_in_schema=False)
    def boom():
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
    ctx.database.dispose()


def _assert_secured(response, *, csp: str = CONTENT_SECURITY_POLICY, referrer: str = "strict-origin-when-cross-origin") -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert response.headers.get("content-security-policy") == csp, response.request.url
    assert response.headers.get("referrer-policy") == referrer, response.request.url
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # BASE_URL is http here


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", f"/papers?date={FEATURED_DAYS[0].isoformat()}", 200),
        ("GET", f"/papers/{XSS_ID}", 200),
        ("GET", f"/papers/{XSS_ID}.md", 200),
        ("GET", "/papers?q=attention", 200),
        ("GET", "/papers/trending", 200),
        ("GET", "/api/daily_papers", 200),
        ("GET", f"/api/papers/{XSS_ID}", 200),
        ("GET", "/papers/feed.rss?date=nope", 400),
        ("GET", "/papers/feed.rss", 200),
        ("GET", "/papers/trending/feed.atom", 200),
        ("GET", "/static/site.css", 200),
        ("GET", "/favicon.svg", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/healthz", 200),
        ("GET", "/redoc", 301),
        ("GET", "/no/such/page", 404),
        ("GET", "/api/no-such-thing", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("PUT", "/papers", 405),
        ("POST", "/subscribe", 403),  # no CSRF token
        ("GET", "/boom", 500),
    ],
)
def test_every_kind_of_response_carries_the_headers(site_with_a_fault, method, path, status):
    response = site_with_a_fault.request(method, path)
    assert response.status_code == status, path
    _assert_secured(response)


def test_the_500_page_is_the_sites_own_with_the_headers(site_with_a_fault):
    response = site_with_a_fault.get("/boom")
    assert response.status_code == 500 and "Something went wrong on our side" in response.text


def test_docs_has_its_own_policy_letting_in_only_its_start_up_script(site_with_a_fault):
    response = site_with_a_fault.get("/docs")
    policy = response.headers["content-security-policy"]
    hashes = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", policy)
    assert len(hashes) == 1 and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and response.headers["x-frame-options"] == "DENY"


def test_account_pages_and_those_behind_mailed_links_keep_no_referrer(site_with_a_fault):
    for path in ("/login", "/password/reset?token=not-a-real-token", "/unsubscribe/not-a-real-token"):
        response = site_with_a_fault.get(path)
        _assert_secured(response, referrer="no-referrer")


def test_hsts_only_when_the_site_is_https(seeded_sqlite, fake_arxiv):
    for base_url, expected in (("https://papers.example.org", "max-age=31536000"), ("http://papers.example.org", None)):
        ctx = make_ctx(seeded_sqlite, fake_arxiv, base_url=base_url)
        with TestClient(create_app(ctx)) as client:
            for path in ("/", "/api/daily_papers", "/static/site.css", "/no/such/page"):
                assert client.get(path).headers.get("strict-transport-security") == expected, (base_url, path)
        ctx.database.dispose()


def test_templates_have_nothing_inline_the_policy_would_block():
    found = []
    for template in TEMPLATES.glob("*.html"):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", line, re.IGNORECASE):
                found.append(f"{template.name}:{number}: {line.strip()[:80]}")
    assert found == []


# -- in Chromium ----------------------------------------------------------------------------------
_RECORD_VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture
def live(seeded_sqlite, fake_arxiv, tmp_path):
    ctx = make_ctx(seeded_sqlite, fake_arxiv, mail_dev_view=True, environment="dev", home=tmp_path / "home")
    with LiveServer(create_app(ctx)) as server:
        yield server, ctx
    ctx.database.dispose()


def _visit(browser, url: str, status: int = 200):  # noqa: F811
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(_RECORD_VIOLATIONS)  # runs before the page's own content, outside its CSP
    response = page.goto(url)
    assert response.status == status, url
    return page, console


def _violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__violations") + [m for m in console if "Content Security Policy" in m]


@pytest.mark.browser
def test_pages_render_with_no_csp_violation(browser, live):  # noqa: F811
    server, ctx = live
    subscriptions.subscribe(ctx, "ada@example.org")
    preferences = urlsplit(subscriptions.link(ctx.settings, subscriptions.MANAGE, "ada@example.org")).path
    paths = ["/", f"/papers/{XSS_ID}", "/papers/trending", "/papers?q=attention", "/login", "/signup", "/about/trending",
             preferences, "/no/such/page"]
    for path in paths:
        page, console = _visit(browser, server.url + path, 404 if path == "/no/such/page" else 200)
        # The stylesheet applied (a blocked one would leave the browser's default white header).
        assert page.locator("header.site").evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid", path
        assert _violations(page, console) == [], path
        page.close()
    # The control: markup with an inline style, as an injection would bring, is refused and seen.
    page, console = _visit(browser, server.url + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=injected style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    assert page.locator("#injected").evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    assert any("style-src" in v for v in _violations(page, console))
    page.close()


@pytest.mark.browser
def test_swagger_ui_works_under_its_policy(browser, live):  # noqa: F811
    server, _ = live
    page, console = _visit(browser, server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    page.locator(".opblock-summary", has_text="/healthz").first.click()
    page.get_by_text("Try it out").first.click()
    page.get_by_text("Execute").first.click()
    page.wait_for_selector(".responses-wrapper .live-responses-table", timeout=20_000)
    assert _violations(page, console) == []
    page.close()


@pytest.mark.browser
def test_the_dev_mail_viewer_shows_a_mails_inline_styles(browser, live):  # noqa: F811
    server, ctx = live
    rendered = MailTemplates().render("confirm", {
        "site_name": "paperboard", "base_url": server.url, "email": "ada@example.org", "confirm_url": server.url + "/c",
        "manage_url": server.url + "/m", "unsubscribe_url": server.url + "/u", "valid_hours": 48,
    })
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = rendered.subject, "paperboard@example.org", "ada@example.org"
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    stored = dev_mailbox(ctx.settings).store(mail.as_bytes(), ["ada@example.org"])
    page, console = _visit(browser, f"{server.url}/dev/mail/{stored.name}")
    button = page.frame_locator("iframe.mail-html").get_by_text("Confirm my address")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 92, 173)"  # #0b5cad, inline
    assert _violations(page, console) == []
    page.close()

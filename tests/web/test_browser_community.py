"""A newcomer in real Chromium (Debian's, through playwright): signs up, confirms the address from
the mail the local SMTP sink received, upvotes and comments on a featured paper, submits another
and finds it on the daily feed credited to them. Screenshots go to test-artifacts/ (git-ignored)
for a person to look at.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from paperboard.adapters.mail.sink import MailFolder, start_sink
from paperboard.web.app import create_app
from tests.factories import add_feature, add_paper, make_ctx, today
from tests.web.conftest import LiveServer, free_port
from tests.web.test_browser import ARTIFACTS, browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def mailbox(tmp_path):
    port = free_port()
    controller = start_sink(tmp_path / "sink", "127.0.0.1", port)
    yield port, MailFolder(tmp_path / "sink")
    controller.stop()


@pytest.fixture
def site(sqlite_database, tmp_path, mailbox):
    port, _ = mailbox
    ctx = make_ctx(
        sqlite_database, tmp_path / "home",
        base_url="http://paperboard.test",  # links in mail; the test opens their path on the live server
        mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=port, submission_weekend_policy="allow",
    )
    add_paper(ctx, "2611.01111", title="Retrieval that reads the whole library", announced=today() - timedelta(days=1))
    add_feature(ctx, "2611.01111", today() - timedelta(days=1), 3, submitted_by="ak")
    add_paper(ctx, "2611.04242", title="Sparse attention for long documents", authors=("Grace Hopper", "Alan Turing"))
    with LiveServer(create_app(ctx)) as server:
        yield server, ctx


def _mail_link(folder: MailFolder, to: str, timeout: float = 20) -> str:
    """The token link in the text part of the newest mail to ``to``, once it has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(folder.messages()):
            if to in (message["To"] or ""):
                text = message.get_body(("plain",)).get_content()
                return re.search(r"https?://\S+\?token=\S+", text).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} arrived")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"community-{name}.png"), full_page=True)


def test_newcomer_signs_up_confirms_by_mail_upvotes_comments_submits_and_sees_it_on_the_daily_feed(browser, site, mailbox):
    server, _ = site
    _, folder = mailbox
    page = browser.new_page(viewport=VIEWPORT)

    page.goto(server.url + "/signup")
    page.fill("input[name=email]", "grace@example.org")
    page.fill("input[name=username]", "grace")
    page.fill("input[name=password]", "a long enough passphrase")
    page.locator("form[action='/signup'] button[type=submit]").click()
    assert "Check your mail" in page.locator("main").inner_text()  # no session until the address is proven
    _shot(page, "1-signed-up")

    link = urlsplit(_mail_link(folder, "grace@example.org"))
    page.goto(f"{server.url}{link.path}?{link.query}")
    page.locator("form[action='/verify'] button[type=submit]").click()
    assert "is verified" in page.locator("main").inner_text()
    _shot(page, "2-verified")
    page.locator("main a", has_text="Log in").click()
    page.fill("input[name=login]", "grace")
    page.fill("input[name=password]", "a long enough passphrase")
    page.locator("form[action='/login'] button[type=submit]").click()

    page.goto(server.url + "/papers")
    featured = page.locator("article.paper", has_text="Retrieval that reads the whole library")
    assert featured.locator(".votes .count").inner_text() == "3"  # imported with the feature
    featured.locator("button.upvote").click()
    featured = page.locator("article.paper", has_text="Retrieval that reads the whole library")
    assert featured.locator(".votes .count").inner_text() == "4"
    assert featured.locator("button.upvote").get_attribute("aria-pressed") == "true"
    _shot(page, "3-upvoted")

    featured.locator("h3 a").click()
    page.fill("form.comment-form textarea[name=body]", "Does it **scale** past a million documents? <script>alert(1)</script>")
    page.locator("form.comment-form button[type=submit]").click()
    comment = page.locator("article.comment", has_text="past a million documents")
    assert comment.locator("strong").inner_text() == "scale"
    assert "<script>alert(1)</script>" in comment.locator(".comment-body").inner_text()  # shown as text, never run
    assert comment.locator("header a").first.inner_text() == "grace"
    _shot(page, "4-commented")

    page.goto(server.url + "/papers")
    page.fill("form.submit-paper input[name=arxiv_id]", "https://arxiv.org/abs/2611.04242v1")
    page.locator("form.submit-paper button[type=submit]").click()
    assert urlsplit(page.url).query == f"date={today().isoformat()}"
    card = page.locator("article.paper", has_text="Sparse attention for long documents")
    assert card.count() == 1
    assert card.locator(".submitter a").inner_text() == "grace"
    _shot(page, "5-submitted")

    # The daily feed's front page is today's now, for every visitor.
    visitor = browser.new_page(viewport=VIEWPORT, java_script_enabled=False)
    visitor.goto(server.url + "/")
    assert visitor.locator("article.paper h3 a").first.inner_text() == "Sparse attention for long documents"
    visitor.locator(".submitter a").first.click()
    assert urlsplit(visitor.url).path == "/u/grace"
    assert "Sparse attention for long documents" in visitor.locator("#submitted").inner_text()
    upvoted = visitor.locator("#upvoted").inner_text()
    assert "Retrieval that reads the whole library" in upvoted
    _shot(visitor, "6-profile")
    visitor.close()
    page.close()

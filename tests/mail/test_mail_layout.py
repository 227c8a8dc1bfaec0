"""Every kind of mail leaves through ``services.mail.send_mail``: each one the site sends, read back
from the real SMTP sink, has the one layout and the configured site name; so do the pages."""

from __future__ import annotations

import re
from xml.etree import ElementTree
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.adapters.mail.compose import TEMPLATES
from paperboard.services import account_mail, subscriptions
from paperboard.services.context import AppContext
from paperboard.services.digest import send_digests
from paperboard.web.app import create_app
from tests.mail.conftest import BASE_URL, DAY, add_subscribers, parts, seed_papers, settings_for

SITE = "Lesezirkel Ü & Co"  # non-ASCII for the headers, an ampersand for the escaping
SRC = Path(__file__).resolve().parents[2] / "src" / "paperboard"
MAIL_NAMES = sorted(p.name.removesuffix(".subject.txt") for p in TEMPLATES.glob("*.subject.txt"))


@pytest.fixture
def ctx(tmp_path, database_url, sink):
    context = AppContext(settings_for(tmp_path / "home", database_url, sink, site_name=SITE, mail_from="Reading <list@papers.example.org>"))
    context.migrate()
    seed_papers(context.database)
    yield context
    context.database.dispose()


@pytest.mark.parametrize("name", MAIL_NAMES)
def test_every_mail_template_extends_the_one_layout(name):
    for suffix, layout in ((".html", "_layout.html"), (".txt", "_layout.txt")):
        first = (TEMPLATES / f"{name}{suffix}").read_text().splitlines()[0]
        assert first == f'{{% extends "{layout}" %}}', f"{name}{suffix} does not extend {layout}"


def test_no_mail_is_composed_or_sent_around_send_mail():
    allowed = {SRC / "services" / "mail.py"}
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path not in allowed and "adapters/mail" not in path.as_posix()
        and re.search(r"\bcompose\(|MailTemplates\(|mail_templates\(\)\.render\(|\.connect\(\)\.send\(", path.read_text())
    ]
    assert offenders == []


def _header(message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


def test_each_kind_of_mail_has_the_layout_and_the_site_name(ctx, sink):
    # Sign-up (verification), sign-up again with the same address (the notice to its owner),
    # a password reset, a digest subscription (confirmation), and a digest.
    owed = [account_mail.sign_up(ctx, email="ada@example.org", username="ada", password="correct horse battery", ip="10.0.0.1")]
    owed.append(account_mail.sign_up(ctx, email="ada@example.org", username="ada2", password="correct horse battery", ip="10.0.0.1"))
    owed.append(account_mail.request_password_reset(ctx, "ada@example.org", ip="10.0.0.1"))
    assert all(account_mail.send_account_mail(ctx, o) for o in owed)
    subscriptions.subscribe(ctx, "reader@example.org")
    assert subscriptions.send_confirmation(ctx, "reader@example.org")
    add_subscribers(ctx, ["digest@example.org"], categories=["cs.CL"])
    assert send_digests(ctx, "daily", day=DAY).sent == 1

    messages = sink.messages()
    kinds = sorted(m["Message-ID"].strip("<").split(".")[0] for m in messages)
    assert kinds == ["confirm", "digest", "password_reset", "signup_notice", "verify_email"]
    assert set(kinds) == set(MAIL_NAMES)
    for message in messages:
        text, html = parts(message)
        brand = f'<a href="{BASE_URL}" style="color:#57606a;text-decoration:none;font-weight:bold;">Lesezirkel Ü &amp; Co</a>'
        assert brand in html, message["Message-ID"]
        assert html.startswith("<!doctype html>") and html.count("<table") >= 2  # the layout's frame
        assert text.startswith(f"{SITE} · "), text.splitlines()[0]
        assert "paperboard" not in text + html
    subjects = {m["Message-ID"].strip("<").split(".")[0]: _header(m, "Subject") for m in messages}
    assert subjects["confirm"] == f"Confirm your subscription to {SITE}"
    assert subjects["password_reset"] == f"Reset your {SITE} password"
    (digest,) = sink.to("digest@example.org")
    assert _header(digest, "List-Id") == f"{SITE} daily digest <daily.digest.papers.example.org>"
    assert "Unsubscribe" in parts(digest)[1] and "one-off mail" in parts(sink.to("ada@example.org")[0])[1]


def test_the_pages_feeds_and_api_docs_show_the_site_name(ctx):
    with TestClient(create_app(ctx), base_url=BASE_URL) as site:
        page = site.get("/papers").text
        feed = site.get("/papers/feed.rss").text
        api = site.get("/openapi.json").json()
    assert "· Lesezirkel Ü &amp; Co</title>" in page and 'class="brand" href="/">Lesezirkel Ü &amp; Co</a>' in page
    assert '<meta property="og:site_name" content="Lesezirkel Ü &amp; Co">' in page
    assert ElementTree.fromstring(feed).findtext("channel/title").startswith(f"{SITE} daily papers")
    assert api["info"]["title"] == SITE

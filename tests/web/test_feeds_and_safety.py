"""RSS/Atom feeds, the subscribe form with CSRF, and third-party HTML staying inert everywhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from paperboard.adapters.store.schema import subscriptions
from paperboard.web.app import create_app
from tests.web.conftest import FEATURED_DAYS, PER_DAY, XSS, XSS_ID, make_ctx

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("path", ["/papers/feed.rss", "/papers/trending/feed.rss"])
def test_rss_feeds_parse_and_list_papers(site, path):
    response = site.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert len(items) == PER_DAY + 1 if path == "/papers/feed.rss" else len(items) == 3 * PER_DAY + 1
    assert all(i.findtext("link").startswith("http://testserver/papers/") for i in items)


def test_atom_feed_of_a_day_and_of_a_week(site, seeded):
    day = FEATURED_DAYS[0]
    response = site.get(f"/papers/feed.atom?date={day.isoformat()}")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == PER_DAY
    assert {e.findtext(f"{ATOM}id").rsplit("/", 1)[1] for e in entries} == {p for p, _ in seeded["featured"][day]}
    week = ET.fromstring(site.get("/papers/feed.atom?week=2026-W15").content)
    assert len(week.findall(f"{ATOM}entry")) == 2 * PER_DAY


def test_feed_with_bad_format_or_parameters_is_400(site):
    assert site.get("/papers/feed.json").status_code == 400
    assert site.get("/papers/feed.rss?date=nope").status_code == 400


def test_subscribe_needs_the_csrf_token_and_stores_the_address_once(site, seeded):
    front = site.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', front.text).group(1)
    assert site.cookies.get("pb_csrf") == token
    assert "<pb-csrf-token/>" not in front.text

    without = site.post("/subscribe", data={"email": "reader@example.org"})
    assert without.status_code == 403 and "Reload the page" in without.text
    forged = site.post("/subscribe", data={"email": "reader@example.org", "csrf_token": "abc.def"})
    assert forged.status_code == 403

    for _ in range(2):
        ok = site.post("/subscribe", data={"email": " Reader@Example.org ", "csrf_token": token})
        assert ok.status_code == 200 and "reader@example.org is on the list" in ok.text
    ctx = site.app.state.ctx
    with ctx.database.read() as connection:
        rows = connection.execute(select(subscriptions).where(subscriptions.c.email == "reader@example.org")).all()
    assert len(rows) == 1 and rows[0].status == "pending"


@pytest.mark.parametrize(
    "email, reason",
    [
        ("not-an-address", "@"),
        ("victim@example.org\r\nBcc: everyone@example.org", "line breaks"),
        ("a@b", "period"),
        ("x" * 300 + "@example.org", "at most 254"),
    ],
)
def test_subscribe_refuses_bad_addresses(site, email, reason):
    site.get("/")
    token = site.cookies.get("pb_csrf")
    response = site.post("/subscribe", data={"email": email, "csrf_token": token})
    assert response.status_code == 400
    assert reason in response.text


def test_cached_pages_carry_each_visitors_own_token(seeded, fake_arxiv):
    app = create_app(make_ctx(seeded, fake_arxiv))
    with TestClient(app) as one, TestClient(app) as two:
        first, second = one.get("/papers/trending"), two.get("/papers/trending")
        assert app.state.cache.hits >= 1  # the second visitor got the cached page
        token_one = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
        token_two = re.search(r'name="csrf_token" value="([^"]+)"', second.text).group(1)
        assert token_one != token_two
        assert one.cookies.get("pb_csrf") == token_one and two.cookies.get("pb_csrf") == token_two


def _assert_inert(text: str) -> None:
    lowered = text.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<b>bold" not in lowered


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/papers?date={FEATURED_DAYS[-1].isoformat()}",
        "/papers?month=2026-04",
        "/papers/trending",
        f"/papers/{XSS_ID}",
        f"/api/papers/{XSS_ID}",
        "/api/daily_papers",
    ],
)
def test_third_party_html_is_escaped_on_pages_and_api(site, path):
    response = site.get(path)
    assert response.status_code == 200
    if path.startswith("/api"):
        assert '<script>alert(\\"x\\")</script>' in response.text  # JSON carries the text as text
        assert response.headers["content-type"].startswith("application/json")
        return
    _assert_inert(response.text)
    assert "&lt;script&gt;" in response.text


def test_latex_stays_readable(site):
    assert "$O(n^2)$" in site.get(f"/papers/{XSS_ID}").text


@pytest.mark.parametrize("path", ["/papers/feed.rss", "/papers/trending/feed.rss", "/papers/feed.atom", "/papers/trending/feed.atom"])
def test_third_party_html_is_inert_in_feeds(site, path):
    response = site.get(path)
    _assert_inert(response.text)
    root = ET.fromstring(response.content)
    if path.endswith(".rss"):
        item = next(i for i in root.iter("item") if i.findtext("link").endswith(XSS_ID))
        # Readers render <description> as HTML: once XML is decoded it must still be escaped HTML.
        _assert_inert(item.findtext("description"))
        # A title is plain text: once XML is decoded it is the title itself, never markup in the XML.
        assert item.findtext("title") == f'Attention {XSS} is all you need'
        assert "&#x3C;script&#x3E;" in response.text
    else:
        entry = next(e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id").endswith(XSS_ID))
        for tag in ("title", "summary"):
            element = entry.find(f"{ATOM}{tag}")
            assert element.get("type", "text") == "text"  # shown as text, never parsed as HTML
            assert "<script>" in element.text


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_search_feeds_title_is_the_query_as_text_like_the_items(site, fmt):
    query = '<b>attention</b> & "x" &amp;'
    response = site.get(f"/papers/feed.{fmt}", params={"q": query})
    assert response.status_code == 200
    assert "<b>" not in response.text  # never markup in the document
    root = ET.fromstring(response.content)
    title = root.findtext("channel/title") if fmt == "rss" else root.findtext(f"{ATOM}title")
    assert title == f"paperboard search: {query}"  # decoded once: the literal text, as the items' titles
    if fmt == "rss":
        assert "paperboard search: &#x3C;b&#x3E;attention&#x3C;/b&#x3E; &#x26; \"x\" &#x26;amp;" in response.text


def test_markdown_is_served_as_markdown_not_html(site):
    response = site.get(f"/papers/{XSS_ID}.md")
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.headers["x-content-type-options"] == "nosniff"

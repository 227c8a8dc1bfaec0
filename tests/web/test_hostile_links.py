"""Stored XSS through paper links: hostile URLs from a listings import, an export import and a faked
arXiv answer reach no ``href`` on any page, feed, markdown copy or API answer, and the papers that
carried them are kept.

Links are checked where they come in (the store keeps none of the hostile ones) and where they leave:
rows written straight into the table, as a database from before migration 0013 may hold them, are
inserted too, and those must not come out either.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import insert, select

from paperboard.adapters.mail.compose import MailTemplates
from paperboard.adapters.store.migrate import upgrade
from paperboard.adapters.store.schema import papers
from paperboard.domain.links import safe_link
from paperboard.services.context import AppContext
from paperboard.services.imports import import_files
from paperboard.services.indexing import index_papers
from paperboard.settings import Settings
from paperboard.web.app import create_app
from tests.fakes_arxiv import ApiCorpus, FakeArxiv, atom_entry
from tests.hostile_links import HOSTILE_LINKS

DAY = date(2026, 5, 4)
NOW = datetime(2026, 5, 5)
LISTED = [f"2605.{90100 + n}" for n in range(len(HOSTILE_LINKS))]
EXPORTED = [f"2605.{90200 + n}" for n in range(len(HOSTILE_LINKS))]
LEGACY = [f"2605.{90300 + n}" for n in range(len(HOSTILE_LINKS))]
FETCHED = "2605.90007"
FETCHED_ABS = "javascript:alert(document.domain)//2605.90007"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with FakeArxiv() as arxiv:
        arxiv.api = ApiCorpus({FETCHED: atom_entry(FETCHED, title="Fetched with a hostile link", abs_link=FETCHED_ABS,
                                                   pdf_link="data:text/html,<script>alert(1)</script>")})
        ctx = AppContext(Settings(
            home=folder / "home", database_url=f"sqlite:///{folder / 'paperboard.db'}", embedding_model="hashing",
            base_url="http://testserver", secret_key="t" * 40, arxiv_api_url=arxiv.api_url,
            arxiv_delay_seconds=0, http_max_retries=0,
        ))
        upgrade(ctx.database)
        listings = folder / "listings.jsonl"
        listings.write_text("".join(
            json.dumps({"id": pid, "title": f"Listed paper {n}", "abstract": "About attention.", "authors": ["A. Author"],
                        "categories": ["cs.CL"], "listing_date": DAY.isoformat(), "abs_url": bad}) + "\n"
            for n, (pid, bad) in enumerate(zip(LISTED, HOSTILE_LINKS))
        ))
        export = folder / "export.jsonl"
        export.write_text(json.dumps({"format": "paperboard/1", "exported_at": "2026-05-05T00:00:00", "papers": len(EXPORTED)}) + "\n" + "".join(
            json.dumps({"id": pid, "title": f"Exported paper {n}", "abstract": "About attention.", "categories": ["cs.CL"],
                        "announced": DAY.isoformat(), "abs_url": bad, "pdf_url": bad, "project_url": bad,
                        "code_urls": [bad, "https://github.com/ok/repo"], "huggingface_urls": [bad],
                        "feature": {"featured_on": DAY.isoformat(), "upvotes": 3}}) + "\n"
            for n, (pid, bad) in enumerate(zip(EXPORTED, HOSTILE_LINKS))
        ))
        import_files(ctx, [listings, export])
        with ctx.database.write() as connection:  # as a database from before the rule may hold them
            connection.execute(insert(papers), [
                {"id": pid, "title": f"Legacy paper {n}", "abstract": "About attention.", "authors": [], "categories": ["cs.CL"],
                 "announced": DAY, "source": "legacy", "abs_url": bad, "pdf_url": bad, "project_url": bad,
                 "code_urls": [bad], "huggingface_urls": [bad], "created_at": NOW, "modified_at": NOW}
                for n, (pid, bad) in enumerate(zip(LEGACY, HOSTILE_LINKS))
            ])
        index_papers(ctx)
        with TestClient(create_app(ctx), follow_redirects=False) as client:
            assert client.get(f"/papers/{FETCHED}").status_code == 200  # fetched on demand from the fake arXiv
            yield client, ctx
        ctx.database.dispose()


def test_hostile_links_are_not_stored_and_their_papers_are_kept(hostile_site):
    _, ctx = hostile_site
    with ctx.database.read() as connection:
        rows = {r.id: r for r in connection.execute(select(papers).where(papers.c.source != "legacy"))}
    assert set(LISTED + EXPORTED + [FETCHED]) <= set(rows)
    for row in rows.values():
        for url in (row.abs_url, row.pdf_url, row.project_url, *row.code_urls, *row.huggingface_urls):
            assert url is None or safe_link(url) == url, (row.id, url)
    # arXiv's own pages stand in for a dropped abs or PDF link; the good code link stays.
    assert rows[FETCHED].abs_url == f"https://arxiv.org/abs/{FETCHED}"
    assert rows[FETCHED].pdf_url == f"https://arxiv.org/pdf/{FETCHED}"
    assert all(rows[pid].code_urls == ["https://github.com/ok/repo"] for pid in EXPORTED)
    assert all(rows[pid].project_url is None and rows[pid].huggingface_urls == [] for pid in EXPORTED)


def _pages() -> list[str]:
    ids = LISTED + EXPORTED + LEGACY + [FETCHED]
    return [
        *(f"/papers/{pid}" for pid in ids),
        *(f"/papers/{pid}.md" for pid in ids),
        f"/papers?date={DAY.isoformat()}",
        "/papers?q=attention",
        "/papers/trending",
        "/",
    ]


def _hrefs(text: str) -> list[str]:
    document = lxml_html.document_fromstring(text)
    return [el.get(name) for el in document.iter() for name in ("href", "src", "action") if el.get(name) is not None]


def _assert_harmless(href: str, where: str) -> None:
    if href.startswith(("/", "#", "?")):
        assert not href.startswith("//"), (where, href)
        return
    assert safe_link(href) == href, (where, href)


def test_no_hostile_link_reaches_an_href_on_any_page(hostile_site):
    client, _ = hostile_site
    for path in _pages():
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".md"):
            # Markdown renderers turn [x](url) and bare URLs into links: only safe ones may be there.
            urls = re.findall(r"\]\((.*?)\)", response.text)
            urls += re.findall(r"^- (?:PDF|Code|Project page|Hugging Face|Page): (.*)$", response.text, re.MULTILINE)
            assert urls, path
            for url in urls:
                _assert_harmless(url, path)
            _assert_no_payload(response.text, path)
            continue
        for href in _hrefs(response.text):
            _assert_harmless(href, path)
        _assert_no_payload(response.text, path)


def _assert_no_payload(text: str, where: str) -> None:
    lowered = text.lower()
    for mark in ("javascript", "vbscript", "data:text", "evil.example"):
        assert mark not in lowered, (where, mark)


@pytest.mark.parametrize(
    "path",
    [f"/papers/feed.rss?date={DAY}", f"/papers/feed.atom?date={DAY}", "/papers/feed.rss?q=attention", "/papers/feed.atom?q=attention",
     "/papers/trending/feed.rss"],
)
def test_no_hostile_link_in_feeds(hostile_site, path):
    client, _ = hostile_site
    response = client.get(path)
    assert response.status_code == 200
    links = re.findall(rb'(?:href="|<link>|<guid[^>]*>|<id>)([^"<]+)', response.content)
    assert len(links) > 3
    assert all(link.startswith(b"http://testserver/") for link in links), links
    _assert_no_payload(response.text, path)


def test_no_hostile_link_in_the_api(hostile_site):
    client, _ = hostile_site
    answers = [client.get(f"/api/papers/{pid}").json() for pid in LISTED + EXPORTED + LEGACY + [FETCHED]]
    answers += client.get("/api/daily_papers", params={"date": DAY.isoformat()}).json()
    assert len(answers) > 3 * len(HOSTILE_LINKS)
    for answer in answers:
        paper = answer.get("paper", answer)
        for name in ("arxivUrl", "pdfUrl", "projectPage", "githubRepo"):
            value = paper.get(name)
            assert value is None or safe_link(value) == value, (paper["id"], name, value)
        assert "evil.example" not in json.dumps(answer) and "javascript" not in json.dumps(answer).lower()


@pytest.mark.parametrize("bad", HOSTILE_LINKS)
def test_a_digest_mail_never_links_a_hostile_code_url(bad):
    entry = {"title": "T", "url": "http://testserver/papers/1", "authors": "", "summary": "", "code_url": bad,
             "stars": 5, "upvotes": 1}
    text, html = MailTemplates().fragment("_digest_section", {"section": {"title": "S", "entries": [entry]}})
    assert all(safe_link(href) == href for href in _hrefs(f"<html><body>{html}</body></html>"))
    assert "code" not in text and bad.strip() not in html

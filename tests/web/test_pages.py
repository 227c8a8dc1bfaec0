"""The HTML pages, in process, on the seeded database (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from html import unescape
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.web.app import create_app
from tests.fakes_arxiv import ApiCorpus, atom_entry
from tests.web.conftest import FEATURED_DAYS, OLD_ID, PER_DAY, XSS_ID, make_ctx


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h3><a href="/papers/[^"]+">(.*?)</a></h3>', html)]


def _head(html: str, prop: str) -> str | None:
    match = re.search(rf'<meta property="{prop}" content="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def test_front_page_is_the_latest_featured_day(site, seeded):
    response = site.get("/")
    assert response.status_code == 200
    latest = FEATURED_DAYS[-1]
    assert f"April {latest.day}, 2026" in response.text
    titles = _titles(response.text)
    assert len(titles) == PER_DAY + 1  # the day's features plus the XSS paper featured that day
    assert "Get trending papers in your email inbox" in response.text
    assert '<meta name="viewport"' in response.text
    assert re.search(r'<link rel="canonical" href="http://testserver/papers\?date=2026-04-13">', response.text)
    assert _head(response.text, "og:title").startswith("Papers for")


def test_daily_page_orders_by_upvotes_and_navigation_skips_empty_days(site, seeded):
    day = FEATURED_DAYS[1]  # 2026-04-08; the 7th has no features
    response = site.get(f"/papers?date={day.isoformat()}")
    assert response.status_code == 200
    by_id = {r["id"]: r["title"] for r in seeded["records"]}
    expected = [by_id[pid] for pid, _ in sorted(seeded["featured"][day], key=lambda f: -f[1])]
    assert _titles(response.text) == [" ".join(t.split()) for t in expected]
    assert 'href="/papers?date=2026-04-06"' in response.text  # previous skips the empty 7th
    assert 'href="/papers?date=2026-04-13"' in response.text


def test_day_without_features_falls_back_to_announced_papers_and_says_so(site, seeded):
    response = site.get("/papers?date=2026-04-07")
    assert response.status_code == 200
    assert "No papers were featured on this day" in response.text
    announced = [r for r in seeded["records"] if r["listing_date"] == "2026-04-07"]
    assert len(_titles(response.text)) == min(len(announced), 50)
    assert 'href="/papers?date=2026-04-06"' in response.text and 'href="/papers?date=2026-04-08"' in response.text


def test_week_and_month_views(site, seeded):
    week = site.get("/papers?week=2026-W15")  # Monday 6 April to Sunday 12 April
    assert week.status_code == 200
    assert len(_titles(week.text)) == 2 * PER_DAY
    assert "Week 15 of 2026" in week.text
    assert 'href="/papers?week=2026-W16"' in week.text
    month = site.get("/papers?month=2026-04")
    assert month.status_code == 200
    assert len(_titles(month.text)) == 3 * PER_DAY + 1
    assert "April 2026" in month.text


def test_week_without_features_says_so(site):
    response = site.get("/papers?week=2026-W20")
    assert response.status_code == 200
    assert "Nothing was featured or announced on arXiv in this week" in response.text


@pytest.mark.parametrize(
    "query, message",
    [
        ("date=2026-02-30", "not a date in the calendar"),
        ("date=yesterday", "YYYY-MM-DD"),
        ("week=2026-W60", "not a week in the calendar"),
        ("month=2026-13", "YYYY-MM"),
        ("date=2026-04-08&week=2026-W15", "give only one of date, week and month"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1000000000", "page"),
    ],
)
def test_bad_feed_parameters_are_a_400_page_with_the_reason(site, query, message):
    response = site.get(f"/papers?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in unescape(response.text)


def test_page_past_the_end_is_empty_not_an_error(site):
    response = site.get(f"/papers?date={FEATURED_DAYS[0].isoformat()}&page=50")
    assert response.status_code == 200
    assert _titles(response.text) == []


def test_trending_lists_recent_features_with_why(site):
    response = site.get("/papers/trending")
    assert response.status_code == 200
    titles = _titles(response.text)
    assert len(titles) == 3 * PER_DAY + 1
    assert "Why trending:" in response.text and "imported upvotes" in response.text
    # Seeded long ago relative to today: the page says which date it is computed for.
    assert "this is the trending list as of 2026-04-13" in response.text


def test_paper_page_shows_the_paper(site, seeded):
    record = seeded["featured"][FEATURED_DAYS[0]][0][0]
    paper = next(r for r in seeded["records"] if r["id"] == record)
    response = site.get(f"/papers/{record}")
    assert response.status_code == 200
    html = unescape(response.text)
    assert " ".join(paper["title"].split()) in html
    assert paper["authors"][0] in html
    assert f"https://arxiv.org/abs/{record}" in html and f"https://arxiv.org/pdf/{record}" in html
    assert "Featured" in html and "Similar papers" in html and 'id="comments"' in html
    assert _head(response.text, "og:type") == "article"
    assert f'<link rel="canonical" href="http://testserver/papers/{record}">' in response.text


def test_old_style_ids_have_pages(site):
    response = site.get(f"/papers/{OLD_ID}")
    assert response.status_code == 200
    assert "An old-style string theory paper" in response.text
    assert site.get(f"/papers/{OLD_ID}.md").text.startswith("# An old-style string theory paper")


def test_versioned_or_prefixed_ids_redirect_to_the_paper(site):
    response = site.get(f"/papers/{XSS_ID}v3")
    assert response.status_code == 301
    assert response.headers["location"] == f"/papers/{XSS_ID}"


def test_malformed_id_is_a_404_that_says_why(site):
    response = site.get("/papers/not-a-paper")
    assert response.status_code == 404
    assert "is not an arXiv id" in unescape(response.text)


def test_searching_an_id_this_site_lacks_links_to_the_page_that_fetches_it(site):
    response = site.get("/papers", params={"q": "arXiv:2605.12345"})
    assert response.status_code == 200
    text = unescape(response.text)
    assert "does not have arXiv:2605.12345 yet" in text
    assert '<a href="/papers/2605.12345">Open its page here</a>' in text


def test_unknown_well_formed_id_says_why_it_is_missing(site, fake_arxiv):
    response = site.get("/papers/2604.00001")
    assert response.status_code == 404
    text = unescape(response.text)
    assert "does not have arXiv:2604.00001 yet" in text and "arXiv has no paper 2604.00001" in text
    assert "https://arxiv.org/abs/2604.00001" in text
    asked = len(fake_arxiv.requests)
    assert site.get("/papers/2604.00001").status_code == 404
    assert len(fake_arxiv.requests) == asked  # a failed id is not fetched again right away


def test_unknown_id_is_indexed_on_demand(tmp_path, fake_arxiv):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(Database(url))
    fake_arxiv.api = ApiCorpus({"hep-th/9901002": atom_entry("hep-th/9901002", title="Fetched on demand")})
    try:
        ctx = make_ctx({"home": tmp_path / "home", "url": url}, fake_arxiv)
        with TestClient(create_app(ctx)) as client:
            assert client.get("/papers").status_code == 200  # a page cached before the paper existed
            response = client.get("/papers/hep-th/9901002")
            assert response.status_code == 200 and "Fetched on demand" in response.text
            assert "Fetched on demand" in client.get("/papers").text  # the cache was emptied
            found = client.get("/api/papers/search", params={"q": "fetched on demand"}).json()
            assert [paper["paper"]["id"] for paper in found][:1] == ["hep-th/9901002"]  # searchable at once
    finally:
        fake_arxiv.api = ApiCorpus({})


def test_links_never_follow_the_request_host_header(seeded, fake_arxiv):
    """With BASE_URL empty, links name the configured address: a forged Host would otherwise be
    cached and served to every visitor."""
    ctx = make_ctx(seeded, fake_arxiv, base_url=None, host="127.0.0.1", port=8101)
    with TestClient(create_app(ctx)) as client:
        forged = client.get("/papers/trending", headers={"host": "attacker.invalid"})
        plain = client.get("/papers/trending")
    for response in (forged, plain):
        assert '<link rel="canonical" href="http://127.0.0.1:8101/papers/trending">' in response.text
        assert "attacker" not in response.text


def test_favicon_ico_sends_browsers_to_the_svg_every_page_names(site):
    moved = site.get("/favicon.ico")
    assert (moved.status_code, moved.headers["location"]) == (301, "/favicon.svg")
    icon = site.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert ElementTree.fromstring(icon.content).tag == "{http://www.w3.org/2000/svg}svg"
    for response in (moved, icon):
        assert response.headers["cache-control"] == "public, max-age=86400"
    for path in ("/", "/papers/trending", "/no/such/page"):
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in site.get(path).text, path
    assert not {"/favicon.ico", "/favicon.svg"} & set(site.get("/openapi.json").json()["paths"])


def test_markdown_by_suffix_and_by_accept_header(site, seeded):
    paper_id = seeded["featured"][FEATURED_DAYS[0]][0][0]
    by_suffix = site.get(f"/papers/{paper_id}.md")
    by_accept = site.get(f"/papers/{paper_id}", headers={"accept": "text/markdown"})
    for response in (by_suffix, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/markdown")
        assert response.text.startswith("# ")
        assert "## Abstract" in response.text and f"https://arxiv.org/abs/{paper_id}" in response.text
    assert site.get(f"/papers/{paper_id}").headers["content-type"].startswith("text/html")


def test_unknown_paths_and_methods_are_clear_4xx_pages(site):
    missing = site.get("/no/such/page")
    assert missing.status_code == 404 and "There is no page at /no/such/page" in missing.text
    wrong_method = site.delete("/papers")
    assert wrong_method.status_code in (403, 405)


def test_pages_work_without_javascript(site, seeded):
    for path in ("/", "/papers/trending", f"/papers/{XSS_ID}"):
        assert "<script" not in site.get(path).text.lower()


def test_search_results_mark_matched_words_and_paginate(site):
    response = site.get("/papers?q=language+models")
    assert response.status_code == 200
    assert "<mark>" in response.text and len(_search_titles(response.text)) == 20
    second = site.get("/papers?q=language+models&page=2")
    assert second.status_code == 200 and set(_search_titles(second.text)).isdisjoint(_search_titles(response.text))
    assert '<link rel="canonical" href="http://testserver/papers?q=language+models&amp;page=2">' in second.text


def test_search_filters_narrow_the_results(site, seeded):
    by_id = {r["id"]: r for r in seeded["records"]}
    response = site.get("/papers?q=language+models&category=cs.CV&has_code=1")
    assert response.status_code == 200
    ids = re.findall(r'<h3><a href="/papers/([^"]+)">', response.text)
    assert ids and all("cs.CV" in by_id[i]["categories"] for i in ids if i in by_id)
    dated = site.get("/papers?q=language+models&from=2026-04-10&until=2026-04-10")
    assert all(by_id[i]["listing_date"] == "2026-04-10" for i in re.findall(r'<h3><a href="/papers/([^"]+)">', dated.text) if i in by_id)


def test_search_without_results_says_so_and_what_to_change(site):
    response = site.get("/papers?q=%22zqxwv+plokmij%22&category=cs.CV")
    assert response.status_code == 200
    text = unescape(response.text)
    assert "No papers match" in text and "drop the quotes" in text and "clear them to see more" in text


@pytest.mark.parametrize(
    "query, message",
    [("category=%3Cscript%3E", "category must look like"), ("from=2026-05-01&until=2026-04-01", "date range is empty"),
     ("sort=sideways", "sort must be one of"), ("from=soon", "YYYY-MM-DD")],
)
def test_bad_search_filters_are_a_400_with_the_reason(site, query, message):
    response = site.get(f"/papers?q=models&{query}")
    assert response.status_code == 400 and message in unescape(response.text)


def test_the_form_takes_the_query_languages_sort_words_and_links_the_canonical_one(site):
    """One rule for sort: what sort:newest means in the text, sort=newest means in the form."""
    newest = site.get("/papers?q=models&sort=newest")
    assert newest.status_code == 200
    assert re.search(r'rel="canonical" href="[^"]*\?q=models&amp;sort=date"', newest.text)
    assert _search_titles(newest.text) == _search_titles(site.get("/papers?q=models&sort=date").text)


def _search_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/papers/([^"]+)">', html)

"""Every match of a search can be reached from the site, the API and the feeds (both engines)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from paperboard.services.search import search

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_api_pages_through_every_match_with_total_and_links(site, seeded):
    expected = search(seeded["ctx"], "learning", per_page=100).total
    seen, page = [], 0
    while True:
        response = site.get(f"/api/papers/search?q=learning&limit=7&p={page}")
        assert response.status_code == 200 and response.headers["x-total-count"] == str(expected)
        items = response.json()
        if not items:
            assert 'rel="next"' not in response.headers.get("link", "")
            break
        seen += [item["paper"]["id"] for item in items]
        if len(seen) < expected:
            assert f"p={page + 1}" in response.headers["link"] and 'rel="next"' in response.headers["link"]
        page += 1
    assert expected > 7 and len(seen) == len(set(seen)) == expected
    assert site.get("/api/papers/search?q=learning&p=100000").status_code in (400, 422)


def test_the_search_page_counts_every_match_and_says_when_a_page_is_past_the_end(site, seeded):
    total = search(seeded["ctx"], "learning").total
    first = site.get("/papers?q=learning")
    assert f"{total:,} results" in first.text and 'rel="next"' in first.text
    last_page = -(-total // 20)
    last = site.get(f"/papers?q=learning&page={last_page}")
    assert last.status_code == 200 and 'rel="next"' not in last.text and 'class="paper' in last.text
    past = site.get(f"/papers?q=learning&page={last_page + 1}")
    assert past.status_code == 200 and "past the last one" in past.text
    assert site.get("/papers?q=learning&page=100001").status_code in (400, 422)


def test_search_feeds_page_with_rfc5005_links(site, seeded):
    total = search(seeded["ctx"], "learning").total
    first = ET.fromstring(site.get("/papers/feed.atom?q=learning").content)
    links = {link.get("rel"): link.get("href") for link in first.iter(f"{ATOM}link")}
    assert "next" in links and "prev" not in links and links["first"].endswith("/papers/feed.atom?q=learning")
    assert re.search(r"page=(\d+)$", links["last"]).group(1) == str(-(-total // 50))
    second = ET.fromstring(site.get(links["next"].removeprefix("http://testserver")).content)
    ids = {entry.find(f"{ATOM}id").text for entry in first.iter(f"{ATOM}entry")}
    more = {entry.find(f"{ATOM}id").text for entry in second.iter(f"{ATOM}entry")}
    assert more and not ids & more
    rss = site.get("/papers/feed.rss?q=learning&page=2")
    assert rss.status_code == 200 and rss.text.count("<item>") == len(more)

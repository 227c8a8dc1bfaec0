"""Every search hit says why it is there, in words, on the search page and in the API alike."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote_plus

import pytest

from paperboard.domain import fusion
from paperboard.services import search as search_service
from paperboard.services.search import REASON_LABELS

QUERIES = ["language models", "cat:cs.CV", "vision transformer segmentation", "author:Example"]


def test_each_reason_the_service_can_give_has_a_label():
    reasons = {search_service.EXACT, search_service.FILTER, fusion.KEYWORD, fusion.SEMANTIC, fusion.BOTH}
    assert set(REASON_LABELS) == reasons
    assert all(label and label[0].isupper() for label in REASON_LABELS.values())
    assert len(set(REASON_LABELS.values())) == len(reasons)  # no two reasons read alike


def _page_labels(site, query: str) -> list[str]:
    page = site.get(f"/papers?q={quote_plus(query)}")
    assert page.status_code == 200
    return [unescape(label) for label in re.findall(r'<p class="why">([^<]*)</p>', page.text)]


def _api_hits(site, query: str) -> list[dict]:
    response = site.get("/api/papers/search", params={"q": query, "limit": 20})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("query", QUERIES)
def test_page_and_api_give_each_hit_the_same_labelled_reason(site, query):
    hits = _api_hits(site, query)
    assert hits, query
    for hit in hits:
        assert hit["searchReasonLabel"] == REASON_LABELS[hit["searchReason"]]
    assert _page_labels(site, query) == [hit["searchReasonLabel"] for hit in hits]


def test_exact_filter_and_word_matches_are_told_apart(site, seeded):
    title = seeded["records"][0]["title"]
    exact = _api_hits(site, title)[0]
    assert (exact["title"], exact["searchReason"], exact["searchReasonLabel"]) == (title, "exact", "Exact match")
    assert {hit["searchReason"] for hit in _api_hits(site, "cat:cs.CV")} == {"filter"}
    assert set(_page_labels(site, "cat:cs.CV")) == {"Matches your filters"}
    worded = {hit["searchReason"] for hit in _api_hits(site, "language models")}
    assert worded and worded <= {"keyword", "both", "semantic"} and worded & {"keyword", "both"}


def test_the_feed_without_a_query_carries_no_reason(site):
    listed = _api_hits(site, "")
    assert listed and all(hit.get("searchReason") is None for hit in listed)

"""Days at the calendar's edges (9999-12-31's week ends in year 10000) are a clear 4xx on every
page, API route and feed that takes a date, never a 500, and the keep-alive connection survives."""

from __future__ import annotations

import httpx
import pytest

FAR_DAYS = [
    "date=9999-12-31",
    "date=9999-12-27",
    "date=0001-01-01",
    "week=9999-W52",
    "week=0001-W01",
    "month=9999-12",
    "month=0001-01",
]
FAR_SEARCHES = [
    {"q": "transformer from:9999-12-31"},
    {"q": "transformer until:0001-01-01"},
    {"q": "transformer date:9999-12-01..9999-12-31"},
    {"q": "year:9999"},
    {"q": "transformer", "from": "9999-12-31"},
    {"q": "transformer", "until": "9999-12-31", "sort": "trending"},
]


@pytest.mark.parametrize("query", FAR_DAYS)
@pytest.mark.parametrize("path", ["/papers", "/api/daily_papers", "/papers/feed.rss", "/papers/feed.atom"])
def test_far_days_are_refused_with_a_reason(site, path, query):
    response = site.get(f"{path}?{query}")
    assert response.status_code == 400, response.text[:300]
    assert "outside the days this site knows (1900-01-01 to 2999-12-31)" in response.text


@pytest.mark.parametrize(
    "path, params",
    [("/papers", params) for params in FAR_SEARCHES]
    + [("/api/papers/search", params) for params in FAR_SEARCHES if set(params) == {"q"}],  # the API has q only
)
def test_far_dates_in_searches_are_refused_with_a_reason(site, path, params):
    response = site.get(path, params=params)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert "outside the days this site knows" in response.text


def test_the_edges_of_the_range_still_answer(site):
    for query in ("date=2999-12-31", "week=2999-W52", "month=2999-12", "date=1900-01-01", "week=1900-W01", "month=1900-01"):
        assert site.get(f"/papers?{query}").status_code == 200, query
        assert site.get(f"/api/daily_papers?{query}").status_code == 200, query


def test_a_far_day_leaves_the_keep_alive_connection_working(live_site):
    def local_port(response):
        return response.extensions["network_stream"].get_extra_info("client_addr")[1]

    with httpx.Client(base_url=live_site.url, timeout=30) as client:
        refused = client.get("/papers", params={"week": "9999-W52"})
        refused_on = local_port(refused)
        served = client.get("/papers", params={"date": "2026-04-08"})
        assert local_port(served) == refused_on  # one connection, not reset and reopened
    assert refused.status_code == 400 and served.status_code == 200

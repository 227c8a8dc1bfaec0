"""The JSON API: in process, and through the real huggingface_hub client against a live server."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from tests.web.conftest import FEATURED_DAYS, OLD_ID, PER_DAY, XSS_ID


def test_daily_papers_for_a_date_have_the_hub_shape(site, seeded):
    day = FEATURED_DAYS[0]
    response = site.get(f"/api/daily_papers?date={day.isoformat()}")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == PER_DAY
    assert {item["paper"]["id"] for item in items} == {pid for pid, _ in seeded["featured"][day]}
    first = items[0]
    assert first["publishedAt"] == f"{day.isoformat()}T00:00:00.000Z"
    assert first["submittedBy"]["user"] == "user0"
    assert first["title"] == first["paper"]["title"] and first["summary"] == first["paper"]["summary"]
    assert first["paper"]["authors"][0]["name"]


def test_daily_papers_by_week_month_submitter_and_sort(site, seeded):
    assert len(site.get("/api/daily_papers?week=2026-W15").json()) == 2 * PER_DAY
    assert len(site.get("/api/daily_papers?month=2026-04&limit=100").json()) == 3 * PER_DAY + 1
    mine = site.get("/api/daily_papers?submitter=user2").json()
    assert {i["paper"]["id"] for i in mine} == {pid for pid, _ in seeded["featured"][FEATURED_DAYS[2]]}
    assert site.get("/api/daily_papers?submitter=nobody").json() == []
    trending = site.get("/api/daily_papers?sort=trending&limit=3").json()
    assert [i["paper"]["id"] for i in trending][0] == XSS_ID  # 99 upvotes on the latest day
    newest = site.get("/api/daily_papers?sort=publishedAt&limit=100").json()
    dates = [i["publishedAt"] for i in newest]
    assert dates == sorted(dates, reverse=True) and len(newest) == 3 * PER_DAY + 1


def test_daily_papers_pagination(site):
    first = site.get("/api/daily_papers?limit=5&p=0").json()
    second = site.get("/api/daily_papers?limit=5&p=1").json()
    assert len(first) == len(second) == 5
    assert not {i["paper"]["id"] for i in first} & {i["paper"]["id"] for i in second}
    assert site.get("/api/daily_papers?limit=5&p=999").json() == []


@pytest.mark.parametrize(
    "query",
    ["p=-1", "p=abc", "limit=0", "limit=1000000000", "limit=1e3", "sort=best", "date=2026-99-01", "week=W15", "month=april",
     "date=2026-04-06&month=2026-04", "p=99999999999999999999999"],
)
def test_bad_api_parameters_are_4xx_json_with_a_message(site, query):
    response = site.get(f"/api/daily_papers?{query}")
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]


def test_paper_info_by_new_and_old_ids(site):
    paper = site.get(f"/api/papers/{XSS_ID}").json()
    assert paper["id"] == XSS_ID and paper["upvotes"] == 99
    assert paper["submittedOnDailyAt"] == "2026-04-13T00:00:00.000Z"
    assert paper["githubRepo"] == "https://github.com/example/attention"
    assert site.get(f"/api/papers/{OLD_ID}").json()["title"] == "An old-style string theory paper"
    missing = site.get("/api/papers/2604.00001")
    assert missing.status_code == 404 and "not on this site" in missing.json()["error"]
    malformed = site.get("/api/papers/hello")
    assert malformed.status_code == 404 and "not an arXiv id" in malformed.json()["error"]


def test_unknown_api_path_is_json_404(site):
    response = site.get("/api/nothing")
    assert response.status_code == 404 and response.json()["error"]


def test_openapi_and_docs_are_served(site):
    schema = site.get("/openapi.json").json()
    assert {"/api/daily_papers", "/api/papers/search", "/api/papers/{arxiv_id}"} <= set(schema["paths"])
    assert site.get("/docs").status_code == 200


def test_healthz_and_metrics(site):
    health = site.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["papers"] > 300
    site.get("/papers/trending")
    site.get(f"/papers/{OLD_ID}.md")
    metrics = site.get("/metrics").text
    assert 'paperboard_http_requests_total{method="GET",route="/papers/trending",status="200"}' in metrics
    # Old ids contain a slash; they still count under the one route template.
    assert 'route="/papers/{arxiv_id:path}"' in metrics
    assert "paperboard_http_request_duration_seconds_bucket" in metrics
    hits = _metric(metrics, "paperboard_page_cache_hits_total")
    site.get("/papers/trending")  # the second anonymous visit is answered from the page cache
    assert _metric(site.get("/metrics").text, "paperboard_page_cache_hits_total") == hits + 1
    assert _metric(metrics, "paperboard_page_cache_misses_total") >= 1


def _metric(text: str, name: str) -> float:
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def test_the_real_huggingface_hub_client_reads_the_api(live_site, seeded):
    api = HfApi(endpoint=live_site.url, token=False)
    day = FEATURED_DAYS[0]
    daily = list(api.list_daily_papers(date=day.isoformat()))
    assert {p.id for p in daily} == {pid for pid, _ in seeded["featured"][day]}
    top = daily[0]
    assert top.upvotes == max(v for _, v in seeded["featured"][day])
    assert top.submitted_at == datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    assert top.submitted_by.username == "user0"
    assert top.title and top.summary and top.authors and top.authors[0].name
    record = next(r for r in seeded["records"] if r["id"] == top.id)
    assert top.authors[0].name == record["authors"][0]

    week = list(api.list_daily_papers(week="2026-W15", sort="trending", limit=100))
    assert len(week) == 2 * PER_DAY
    assert [p.upvotes for p in week] == sorted((p.upvotes for p in week), reverse=True)
    assert len(list(api.list_daily_papers(month="2026-04", p=0, limit=5))) == 5
    assert {p.submitted_by.username for p in api.list_daily_papers(submitter="user1")} == {"user1"}

    info = api.paper_info(XSS_ID)
    assert info.id == XSS_ID and info.upvotes == 99
    assert info.submitted_at == datetime(2026, 4, 13, tzinfo=timezone.utc)
    assert info.github_repo == "https://github.com/example/attention"
    assert info.summary.startswith("We study transformers.")
    assert api.paper_info(OLD_ID).title == "An old-style string theory paper"
    with pytest.raises(HfHubHTTPError) as missing:
        api.paper_info("2604.00001")
    assert missing.value.response.status_code == 404

    markdown = api.read_paper(OLD_ID)
    assert markdown.startswith("# An old-style string theory paper")

    found = list(api.list_papers(query="attention transformers", limit=10))
    assert 0 < len(found) <= 10
    assert all(p.id and p.title for p in found)

"""Why trending, over in-process HTTP: each trending card and paper page shows the terms of the
formula, /about/trending documents it with this site's parameters, and the API and feeds follow
the stored scores; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.schema import upvotes, users
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services import feed
from paperboard.services.context import AppContext
from paperboard.services.trending import refresh_trending
from paperboard.settings import Settings
from paperboard.web.app import create_app

TODAY = datetime.now(timezone.utc).replace(tzinfo=None).date()
VOTED, IMPORTED = "2604.00001", "2604.00002"


@pytest.fixture
def ctx(tmp_path, database_url) -> AppContext:
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        base_url="http://testserver",
        secret_key="t" * 40,
        embedding_model="hashing",
        trending_upvotes_weight=2.5,
        trending_half_life_days=4,
        trending_interval_minutes=20,
        web_cache_seconds=0,  # each request sees the job's latest list (data_version is checked below)
    )
    context = AppContext(settings)
    context.migrate()
    yesterday = TODAY - timedelta(days=1)
    with context.database.write() as connection:
        paper_store.upsert_papers(connection, [
            Paper(id=VOTED, title="Members like this one", announced=yesterday, source="test"),
            Paper(id=IMPORTED, title='Imported <script>alert("x")</script> favourite', announced=yesterday, source="test"),
        ])
        feature_store.upsert_features(connection, [DailyFeature(VOTED, yesterday, None, 2, "test"), DailyFeature(IMPORTED, yesterday, None, 20, "test")])
        for n in range(1, 13):
            connection.execute(insert(users).values(id=n, email=f"m{n}@example.org", username=f"m{n}", password_hash="x", created_at=datetime(2026, 1, 1)))
            connection.execute(insert(upvotes).values(user_id=n, paper_id=VOTED, created_at=datetime(2026, 1, 1)))
    yield context
    context.database.dispose()


@pytest.fixture
def client(ctx):
    with TestClient(create_app(ctx), follow_redirects=False) as test_client:
        yield test_client


def _why_blocks(page: str) -> list[str]:
    return [html.unescape(block) for block in re.findall(r'<details class="why">(.*?)</details>', page, re.S)]


def test_trending_cards_show_the_terms_of_the_stored_scores(ctx, client):
    before = client.get("/papers/trending").text
    assert "computed just now" in before  # never stored yet: computed on the spot, and said
    version = feed.data_version(ctx)
    refresh_trending(ctx)
    assert feed.data_version(ctx) != version  # cached pages are dropped when the job rewrites the list
    page = client.get("/papers/trending").text
    assert "computed just now" not in page and "Scores computed" in page
    assert page.index("Members like this one") < page.index("Imported &lt;script&gt;")  # 12 × 2.5 = 30 > 20
    blocks = _why_blocks(page)
    assert len(blocks) == 2
    assert "<summary>Why trending: score" in blocks[0]
    assert "12 upvotes × 2.5 + 2 imported upvotes" in blocks[0] and "(half-life 4 days)" in blocks[0]
    assert "0 upvotes × 2.5 + 20 imported upvotes" in blocks[1]
    assert "<script>" not in page


def test_a_paper_page_says_why_it_trends_and_an_untrended_one_does_not(ctx, client):
    refresh_trending(ctx)
    blocks = _why_blocks(client.get(f"/papers/{VOTED}").text)
    assert len(blocks) == 1 and "12 upvotes × 2.5" in blocks[0] and 'href="/about/trending"' in blocks[0]
    with ctx.database.write() as connection:
        paper_store.upsert_papers(connection, [Paper(id="2604.00003", title="Never featured", announced=TODAY, source="test")])
    assert _why_blocks(client.get("/papers/2604.00003").text) == []


def test_about_trending_documents_the_formula_with_the_current_parameters(ctx, client):
    text = html.unescape(client.get("/about/trending").text)
    assert "decay = 0.5 ^ (days since featured ÷ 4)" in text
    assert "<td>upvotes</td><td>upvotes by members of this site (one per member)</td><td>the count</td><td>× 2.5</td>" in text
    assert "× 5" in text and "log(1 + stars)" in text  # the stars weight's default
    assert "every <strong>20 minutes</strong>" in text and "has not run yet" in text
    refresh_trending(ctx)
    assert "The current list was computed" in client.get("/about/trending").text


def test_the_api_and_the_feeds_follow_the_stored_order_and_say_why(ctx, client):
    refresh_trending(ctx)
    ranked = client.get("/api/daily_papers?sort=trending").json()
    assert [item["paper"]["id"] for item in ranked] == [VOTED, IMPORTED]
    rss = client.get("/papers/trending/feed.rss").text
    assert "Why trending: 12 upvotes × 2.5 + 2 imported upvotes" in html.unescape(rss)
    atom = client.get("/papers/trending/feed.atom").text
    assert "Why trending: 0 upvotes × 2.5 + 20 imported upvotes" in html.unescape(atom)


def test_about_trending_takes_no_parameters_it_cannot_use(client):
    assert client.get("/about/trending?x=<script>").status_code == 200
    assert client.post("/about/trending").status_code in (403, 405)

"""The digest's trending section follows the stored trending scores, and a member's digest carries
"Recommended for you": papers similar to what they upvoted or collected, new since the last digest,
none already in another section. Read back from real mail in the aiosmtpd sink; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import insert, update

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.schema import collection_items, collections, subscriptions, upvotes, users
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services.context import AppContext
from paperboard.services.digest import preview_digest, send_digests
from paperboard.services.indexing import index_papers
from paperboard.services.trending import refresh_trending
from tests.mail.conftest import DAY, NEXT_DAY, add_subscribers, parts, seed_papers, settings_for

MEMBER, GUEST = "member@example.org", "guest@example.org"
OLD_DAY = date(2026, 3, 2)
WORDS = {
    "graph": "Graph neural networks predict molecule properties and protein binding with message passing",
    "speech": "Speech recognition with transformers in noisy rooms using acoustic beamforming microphones",
}


def _paper(paper_id: str, topic: str, announced: date, twist: str) -> Paper:
    return Paper(id=paper_id, title=f"{twist} {WORDS[topic][:40]}", abstract=f"{WORDS[topic]}. We propose {twist}.",
                 authors=("Grace Hopper",), categories=("cs.LG",), announced=announced, source="test")


@pytest.fixture
def ctx(tmp_path, database_url, sink) -> AppContext:
    context = AppContext(settings_for(tmp_path / "home", database_url, sink, embedding_model="hashing"))
    context.migrate()
    seed_papers(context.database)
    new_papers = [
        _paper("2603.50001", "graph", OLD_DAY, "Seed one:"),  # upvoted by the member
        _paper("2603.50002", "speech", OLD_DAY, "Seed two:"),  # in the member's private collection
        _paper("2604.50001", "graph", DAY, "New graph work:"),
        _paper("2604.50002", "speech", DAY, "New speech work:"),
        _paper("2604.50003", "graph", DAY, "Featured graph work:"),  # also trending: shown there only
        _paper("2604.50004", "graph", date(2026, 4, 10), "Older graph work:"),  # before the window
        _paper("2604.50005", "speech", NEXT_DAY, "Tomorrow's speech work:"),
    ]
    with context.database.write() as connection:
        paper_store.upsert_papers(connection, new_papers)
        feature_store.upsert_features(connection, [DailyFeature("2604.50003", DAY, "someone", 1, "test")])
        for n in (1, 2, 3, 4, 5):  # 5 has neither upvotes nor collections
            connection.execute(insert(users).values(id=n, email=f"u{n}@example.org", username=f"u{n}", password_hash="x", created_at=datetime(2026, 1, 1)))
        connection.execute(insert(upvotes).values(user_id=1, paper_id="2603.50001", created_at=datetime(2026, 3, 3)))
        connection.execute(insert(collections).values(id=1, user_id=1, slug="reading", title="Reading", is_public=False,
                                                      created_at=datetime(2026, 3, 3), updated_at=datetime(2026, 3, 3)))
        connection.execute(insert(collection_items).values(collection_id=1, paper_id="2603.50002", added_at=datetime(2026, 3, 4)))
        # Three other members lift paper 3 (47 imported upvotes) above paper 0 (50) in trending.
        for n in (2, 3, 4):
            connection.execute(insert(upvotes).values(user_id=n, paper_id="2604.10003", created_at=datetime(2026, 4, 14, 6)))
    index_papers(context)  # vectors for similar papers
    add_subscribers(context, [MEMBER, GUEST])
    with context.database.write() as connection:
        connection.execute(update(subscriptions).where(subscriptions.c.email == MEMBER).values(user_id="1"))
    yield context
    context.database.dispose()


def _sections(text: str) -> dict[str, str]:
    found = re.split(r"(?m)^== (.+) ==$", text)
    return {found[i]: found[i + 1] for i in range(1, len(found), 2)}


def test_a_member_gets_recommendations_and_trending_follows_the_stored_scores(ctx, sink):
    refresh_trending(ctx, now=datetime(2026, 4, 14, 7))
    report = send_digests(ctx, "daily", day=DAY)
    assert report.sent == 2
    (member_mail,) = sink.to(MEMBER)
    text, html_part = parts(member_mail)
    sections = _sections(text)
    assert list(sections)[0] == "Trending" and list(sections)[-1] == "Recommended for you"
    trending = sections["Trending"]
    # 47 imported + 3 members × 3 = 56 beats 50 imported: the site's stored order, not imported upvotes alone.
    assert trending.index("Paper number 3 about cs.CL") < trending.index("Attention <script>")
    assert "Featured graph work" in trending
    recommended = sections["Recommended for you"]
    assert "New graph work" in recommended and "New speech work" in recommended
    for absent in ("Seed one", "Seed two", "Featured graph work", "Older graph work", "Tomorrow's speech work"):
        assert absent not in recommended
    assert "Recommended for you" in html_part and "<script>" not in html_part
    (guest_mail,) = sink.to(GUEST)
    assert "Recommended for you" not in parts(guest_mail)[0]


def test_the_next_digest_recommends_only_what_is_new_since(ctx, sink):
    send_digests(ctx, "daily", day=DAY)
    send_digests(ctx, "daily", day=NEXT_DAY)
    first, second = (_sections(parts(m)[0]) for m in sink.to(MEMBER))
    assert "New speech work" in first["Recommended for you"]
    assert "Tomorrow's speech work" in second["Recommended for you"]
    assert "New speech work" not in second["Recommended for you"]


def test_a_member_with_no_upvotes_or_collections_gets_no_recommendations(ctx):
    with ctx.database.write() as connection:
        connection.execute(update(subscriptions).where(subscriptions.c.email == GUEST).values(user_id="5"))
    preview = preview_digest(ctx, GUEST, day=DAY)
    assert [s.kind for s in preview.digest.sections] == ["trending"]
    member = preview_digest(ctx, MEMBER, day=DAY)
    assert [s.kind for s in member.digest.sections] == ["trending", "recommended"]

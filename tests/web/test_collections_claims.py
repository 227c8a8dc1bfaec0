"""Collections, authorship claims, moderation and profiles through the site, SQLite and PostgreSQL.
Script and HTML in collection titles and descriptions stay text on every page and feed."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ElementTree

from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import upvotes
from paperboard.web.app import create_app
from tests.factories import XSS, Browser, add_paper, make_ctx, member

ATOM = "{http://www.w3.org/2005/Atom}"


def _create(browser, **form):
    answer = browser.post("/collections", {"title": "Reading list", **form})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_member_builds_a_public_collection_from_paper_pages(ctx, app):
    add_paper(ctx, "2611.00001", title="First paper")
    add_paper(ctx, "2611.00002", title="Second paper")
    ada = Browser(app).login(member(ctx, "ada"))
    assert ada.get("/collections/new").status_code == 200
    # Created from a paper page: the paper goes in at once and the member returns to the paper.
    answer = ada.post("/collections", {"title": "Reading list", "description": "Papers to read", "public": "true", "paper_id": "2611.00001"})
    assert answer.status_code == 303 and answer.headers["location"] == "/papers/2611.00001"
    paper_page = ada.get("/papers/2611.00002").text
    assert 'action="/collections/add"' in paper_page and "Reading list" in paper_page
    collection_id = paper_page.split('name="collection_id">')[1].split('value="')[1].split('"')[0]
    assert ada.post("/collections/add", {"collection_id": collection_id, "paper_id": "2611.00002"}).status_code == 303
    assert ada.post("/collections/add", {"collection_id": collection_id, "paper_id": "2611.00002"}).status_code == 303  # twice: once
    public = Browser(app).get("/collections/ada/reading-list")
    assert public.status_code == 200
    assert "First paper" in public.text and "Second paper" in public.text and "2 papers" in public.text
    assert "Delete this collection" not in public.text
    assert 'href="/collections/ada/reading-list"' in Browser(app).get("/u/ada").text
    rss = Browser(app).get("/collections/ada/reading-list/feed.rss")
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")
    assert [i.findtext("title") for i in ElementTree.fromstring(rss.content).iter("item")] == ["Second paper", "First paper"]
    # Removing, editing, deleting.
    ada.post(f"/collections/{collection_id}/remove", {"paper_id": "2611.00001", "back": "collection"})
    assert "First paper" not in Browser(app).get("/collections/ada/reading-list").text
    ada.post(f"/collections/{collection_id}/edit", {"title": "Renamed list", "description": ""})
    assert Browser(app).get("/collections/ada/reading-list").status_code == 404  # now private
    assert "Renamed list" in ada.get("/collections/ada/reading-list").text
    assert ada.post(f"/collections/{collection_id}/delete").headers["location"] == "/u/ada"
    assert ada.get("/collections/ada/reading-list").status_code == 404


def test_private_collections_are_404_to_everyone_but_their_owner(ctx, app):
    add_paper(ctx, "2611.00001")
    ada = Browser(app).login(member(ctx, "ada"))
    bob = Browser(app).login(member(ctx, "bob"))
    _create(ada, title="Secret plans", paper_id="")
    for visitor in (Browser(app), bob):
        for path in ("/collections/ada/secret-plans", "/collections/ada/secret-plans/feed.rss", "/collections/ada/secret-plans/feed.atom"):
            assert visitor.get(path).status_code == 404, path
        assert "Secret plans" not in visitor.get("/u/ada").text
    mine = ada.get("/collections/ada/secret-plans")
    assert mine.status_code == 200 and "private collection" in mine.text
    assert ada.get("/collections/ada/secret-plans/feed.atom").headers["cache-control"] == "private, no-store"
    collection_id = mine.text.split('action="/collections/')[1].split("/")[0]
    # Someone else's collection cannot be changed, and does not admit it exists.
    assert bob.post(f"/collections/{collection_id}/edit", {"title": "Mine"}).status_code == 404
    assert bob.post("/collections/add", {"collection_id": collection_id, "paper_id": "2611.00001"}).status_code == 404
    assert bob.post(f"/collections/{collection_id}/delete").status_code == 404
    assert ada.get("/collections/ada/secret-plans").status_code == 200
    for path in ("/collections/nobody/secret-plans", "/collections/ada/..%2F..", "/collections/ada/" + "x" * 300):
        assert Browser(app).get(path).status_code == 404


def test_script_in_collection_titles_and_descriptions_is_inert_on_pages_and_feeds(ctx, app):
    add_paper(ctx, "2611.00001", title="A paper")
    ada = Browser(app).login(member(ctx, "ada"))
    _create(ada, title=f"Evil {XSS}", description=f"Look {XSS}", public="true", paper_id="2611.00001")
    slug = "evil-script-alert-x-script-img-src-x-onerror-alert-1"
    pages = [Browser(app).get(f"/collections/ada/{slug}").text, Browser(app).get("/u/ada").text, ada.get("/papers/2611.00001").text]
    for text in pages:
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "Evil &lt;script&gt;alert(" in text
    rss = Browser(app).get(f"/collections/ada/{slug}/feed.rss").content
    channel = ElementTree.fromstring(rss).find("channel")
    # A title is plain text: decoded once it is the literal title; a description is HTML, escaped.
    assert channel.findtext("title") == f"Evil {XSS} · a collection by ada"
    assert b"<script>" not in rss
    assert channel.findtext("description") == html.escape(f"Look {XSS}")
    atom = ElementTree.fromstring(Browser(app).get(f"/collections/ada/{slug}/feed.atom").content)
    title = atom.find(f"{ATOM}title")
    assert title.get("type") in (None, "text") and title.text.startswith(f"Evil {XSS}")
    assert b"<script>" not in Browser(app).get(f"/collections/ada/{slug}/feed.atom").content


def test_collection_forms_need_csrf_and_rate_limits_apply(database, tmp_path):
    ctx = make_ctx(database, tmp_path / "home", rate_limit_collection="2/hour")
    ada = Browser(create_app(ctx)).login(member(ctx, "ada"))
    assert ada.post("/collections", {"title": "No token"}, csrf=False).status_code == 403
    assert ada.post("/collections", {"title": "  "}).status_code == 400
    assert ada.post("/collections", {"title": "One"}).status_code == 303
    limited = ada.post("/collections", {"title": "Two"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert Browser(create_app(ctx)).post("/collections", {"title": "Anonymous"}).status_code == 303  # to log in
    ctx.database.dispose()


def test_claim_moderate_and_link_the_author_to_the_profile(ctx, app):
    add_paper(ctx, "2611.00001", authors=("Ada Lovelace", f"Mallory {XSS}"))
    ada = Browser(app).login(member(ctx, "ada"))
    mallory = Browser(app).login(member(ctx, "mallory"))
    moderator = Browser(app).login(member(ctx, "modesty", role="moderator"))
    assert 'action="/claims"' in ada.get("/papers/2611.00001").text
    assert ada.post("/claims", {"paper_id": "2611.00001", "author_position": "0"}, csrf=False).status_code == 403
    assert ada.post("/claims", {"paper_id": "2611.00001", "author_position": "0"}).status_code == 303
    assert "waiting for a moderator" in ada.get("/papers/2611.00001").text
    assert mallory.post("/claims", {"paper_id": "2611.00001", "author_position": "7"}).status_code == 400
    mallory.post("/claims", {"paper_id": "2611.00001", "author_position": "0"})
    assert ada.get("/moderation").status_code == 403
    queue = moderator.get("/moderation")
    assert queue.status_code == 200 and "<script>alert" not in queue.text
    ids = [part.split("/")[0] for part in queue.text.split('action="/moderation/claims/')[1:]]
    ada_claim, mallory_claim = ids[0], ids[2]
    assert moderator.post(f"/moderation/claims/{ada_claim}/approve", csrf=False).status_code == 403
    assert moderator.post(f"/moderation/claims/{ada_claim}/approve").status_code == 303
    assert moderator.post(f"/moderation/claims/{mallory_claim}/approve").status_code == 400  # the slot is taken
    assert moderator.post(f"/moderation/claims/{mallory_claim}/reject").status_code == 303
    assert moderator.post("/moderation/claims/999999/approve").status_code == 404
    assert moderator.post(f"/moderation/claims/{ada_claim}/maybe").status_code == 404
    assert ada.post(f"/moderation/claims/{ada_claim}/approve").status_code == 403
    visitor_page = Browser(app).get("/papers/2611.00001").text
    assert '<a class="claimed" href="/u/ada" title="claimed by ada">Ada Lovelace</a>' in visitor_page
    profile = Browser(app).get("/u/ada").text
    assert "Papers by ada" in profile and "Paper 2611.00001" in profile and "Author: Ada Lovelace" in profile


def test_profile_page_lists_submissions_upvotes_and_escapes_names(ctx, app):
    add_paper(ctx, "2611.00001", title="Submitted one")
    user = member(ctx, "ada", display_name=f"Ada {XSS}")
    ada = Browser(app).login(user)
    ada.post("/papers/submit", {"arxiv_id": "2611.00001"})
    with ctx.database.write() as connection:
        connection.execute(upvotes.insert().values(user_id=user.id, paper_id="2611.00001", created_at=utcnow()))
    page = Browser(app).get("/u/ADA")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "Ada &lt;script&gt;" in page.text
    submitted = page.text.split('id="submitted"')[1].split("</section>")[0]
    upvoted = page.text.split('id="upvoted"')[1].split("</section>")[0]
    assert "Submitted one" in submitted and "Submitted one" in upvoted
    assert Browser(app).get("/u/nobody").status_code == 404
    assert Browser(app).get("/u/" + "<script>").status_code == 404

"""Upvotes and comments on the site (in-process HTTP, real signed sessions and CSRF tokens) and
through the JSON API with personal tokens; SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from paperboard.services import accounts
from paperboard.web.app import create_app
from tests.factories import XSS, Browser, add_feature, add_paper, make_ctx, member, today
from tests.web.conftest import LiveServer

PAPER = "2611.00001"


@pytest.fixture
def ctx_settings():
    return {"web_cache_seconds": 60}


@pytest.fixture
def ctx(ctx):
    add_paper(ctx, PAPER, title="A paper worth discussing")
    add_feature(ctx, PAPER, upvotes=4, submitted_by="hf-user")
    return ctx


def _votes_box(html: str) -> str:
    return re.search(r'<div class="votes.*?</div>', html, re.S).group(0)


def _count(html: str) -> int:
    return int(re.search(r'<span class="count">(\d+)</span>', _votes_box(html)).group(1))


def test_upvote_form_counts_once_shows_the_pressed_state_and_goes_back(ctx, app):
    ada = Browser(app).login(member(ctx, "ada"))
    visitor = Browser(app)
    assert _count(visitor.get("/papers").text) == 4  # imported upvotes only; cached now
    # Another web process on the same database, which learns of writes only through the data version.
    other_ctx = make_ctx(ctx.settings.database_url, ctx.settings.home, web_cache_seconds=0.001)
    other = Browser(create_app(other_ctx))
    assert _count(other.get(f"/papers/{PAPER}").text) == 4
    assert 'href="/login?next=' in _votes_box(visitor.get("/papers").text)
    box = _votes_box(ada.get("/papers").text)
    assert 'aria-pressed="false"' in box and 'value="add"' in box
    back = f"/papers?date={today().isoformat()}"
    answer = ada.post(f"/papers/{PAPER}/upvote", {"action": "add", "next": back})
    assert answer.status_code == 303 and answer.headers["location"] == back
    assert ada.post(f"/papers/{PAPER}/upvote", {"action": "add", "next": back}).status_code == 303  # double vote
    box = _votes_box(ada.get(back).text)
    assert 'aria-pressed="true"' in box and 'value="remove"' in box and _count(box) == 5
    # The visitor's cached pages show the vote at once, on the feed and on the paper page.
    assert _count(visitor.get("/papers").text) == 5
    assert _count(visitor.get(f"/papers/{PAPER}").text) == 5
    assert visitor.get("/api/papers/" + PAPER).json()["upvotes"] == 5
    assert "(5 upvotes)" in visitor.get(f"/papers/{PAPER}.md").text
    assert visitor.get("/api/daily_papers").json()[0]["paper"]["upvotes"] == 5
    assert _count(other.get(f"/papers/{PAPER}").text) == 5
    other_ctx.database.dispose()
    removed = ada.post(f"/papers/{PAPER}/upvote", {"action": "remove", "next": "https://evil.example/"})
    assert removed.headers["location"] == f"/papers/{PAPER}"  # only same-site paths to go back to
    assert _count(visitor.get("/papers").text) == 4 and 'aria-pressed="false"' in _votes_box(ada.get("/papers").text)


def test_vote_needs_a_member_a_csrf_token_and_a_known_paper(ctx, app):
    anonymous = Browser(app).post(f"/papers/{PAPER}/upvote", {"action": "add"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    ada = Browser(app).login(member(ctx, "ada"))
    assert ada.post(f"/papers/{PAPER}/upvote", {"action": "add"}, csrf=False).status_code == 403
    assert ada.post("/papers/2611.99999/upvote", {"action": "add"}).status_code == 404
    assert ada.post(f"/papers/{PAPER}/upvote", {"action": "sideways"}).status_code == 400
    assert _count(Browser(app).get(f"/papers/{PAPER}").text) == 4


def test_over_the_vote_and_comment_limits_is_429(database, tmp_path):
    ctx = make_ctx(database, tmp_path / "home",
                   rate_limit_vote="2/hour", rate_limit_comment="1/hour")
    add_paper(ctx, PAPER)
    ada = Browser(create_app(ctx)).login(member(ctx, "ada"))
    assert ada.post(f"/papers/{PAPER}/upvote", {"action": "add"}).status_code == 303
    assert ada.post(f"/papers/{PAPER}/upvote", {"action": "remove"}).status_code == 303
    over = ada.post(f"/papers/{PAPER}/upvote", {"action": "add"})
    assert over.status_code == 429 and int(over.headers["retry-after"]) > 0 and "Too many upvotes" in over.text
    assert ada.post(f"/papers/{PAPER}/comments", {"body": "one"}).status_code == 303
    over = ada.post(f"/papers/{PAPER}/comments", {"body": "two"})
    assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
    ctx.database.dispose()


def test_script_in_a_comment_is_inert_on_the_paper_page_and_in_every_feed(ctx, app):
    ada = Browser(app).login(member(ctx, "ada"))
    body = f"Look {XSS} and [click](javascript:alert(1)) and [code](https://github.com/x/y)"
    posted = ada.post(f"/papers/{PAPER}/comments", {"body": body})
    assert posted.status_code == 303 and re.fullmatch(rf"/papers/{PAPER}#comment-\d+", posted.headers["location"])
    for viewer in (Browser(app), ada):
        page = viewer.get(f"/papers/{PAPER}").text
        assert "<script>alert" not in page and "<img src=x" not in page and 'href="javascript:' not in page
        assert '&lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;' in page  # shown as text
        assert '<a href="https://github.com/x/y" rel="nofollow ugc noopener">code</a>' in page
    assert "1 comment" in Browser(app).get("/papers").text
    for path in ("/papers", "/papers/feed.rss", "/papers/feed.atom", "/papers/trending", "/papers/trending/feed.rss",
                 "/papers?q=discussing", "/u/ada"):
        text = Browser(app).get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
    # The API gives the markdown as written (JSON, not HTML) and its sanitised rendering.
    [given] = Browser(app).get(f"/api/papers/{PAPER}/comments").json()["comments"]
    assert given["body"] == body and "<script" not in given["html"] and "<img" not in given["html"]


def test_replies_edits_deletes_and_other_peoples_comments(ctx, app):
    ada = Browser(app).login(member(ctx, "ada"))
    bob = Browser(app).login(member(ctx, "bob"))
    top = int(ada.post(f"/papers/{PAPER}/comments", {"body": "Top"}).headers["location"].rsplit("-", 1)[1])
    reply = int(bob.post(f"/papers/{PAPER}/comments", {"body": "Reply", "parent_id": top}).headers["location"].rsplit("-", 1)[1])
    nested = ada.post(f"/papers/{PAPER}/comments", {"body": "Reply to the reply", "parent_id": reply})
    assert nested.status_code == 303
    thread = Browser(app).get(f"/api/papers/{PAPER}/comments").json()
    assert thread["count"] == 3 and [c["id"] for c in thread["comments"]] == [top]
    assert [r["body"] for r in thread["comments"][0]["replies"]] == ["Reply", "Reply to the reply"]

    assert bob.post(f"/comments/{top}/edit", {"body": "mine now"}).status_code == 403
    assert bob.post(f"/comments/{top}/delete").status_code == 403
    assert ada.post(f"/comments/{top}/edit", {"body": "Top, *edited*"}).status_code == 303
    assert ada.post(f"/comments/{top}/delete", csrf=False).status_code == 403
    assert ada.post(f"/comments/{top}/delete").status_code == 303
    page = Browser(app).get(f"/papers/{PAPER}").text
    assert "Top, <em>edited</em>" not in page and f'id="comment-{top}"' in page and "deleted" in page
    assert "Reply to the reply" in page
    assert ada.post(f"/comments/{top}/edit", {"body": "again"}).status_code == 409
    assert ada.post(f"/papers/{PAPER}/comments", {"body": "   "}).status_code == 400
    assert ada.post(f"/papers/{PAPER}/comments", {"body": "x" * 5001}).status_code == 400
    assert ada.post("/comments/999999/edit", {"body": "x"}).status_code == 404
    assert ada.post(f"/comments/{2**70}/delete").status_code == 404
    unverified = Browser(app).login(member(ctx, "newbie", verified=False))
    assert unverified.post(f"/papers/{PAPER}/comments", {"body": "hi"}).status_code == 403


def test_reports_reach_the_moderation_page_and_hidden_comments_vanish(ctx, app):
    ada = Browser(app).login(member(ctx, "ada"))
    bob = Browser(app).login(member(ctx, "bob"))
    mod = Browser(app).login(member(ctx, "moderator1", role="moderator"))
    rude = int(ada.post(f"/papers/{PAPER}/comments", {"body": "Something rude"}).headers["location"].rsplit("-", 1)[1])
    assert ada.post(f"/comments/{rude}/report", {"reason": "mine"}).status_code == 400
    assert bob.post(f"/comments/{rude}/report", {"reason": f"rude {XSS}"}).status_code == 303
    assert bob.post(f"/comments/{rude}/report", {"reason": "twice"}).status_code == 303  # counted once
    assert "You reported this comment." in bob.get(f"/papers/{PAPER}").text
    assert bob.get("/moderation").status_code == 403
    queue = mod.get("/moderation").text
    assert 'id="comments"' in queue and "Something rude" in queue and "<script>alert" not in queue
    assert f'action="/moderation/comments/{rude}/hide"' in queue and "twice" not in queue
    assert bob.post(f"/moderation/comments/{rude}/hide").status_code == 403
    assert mod.post(f"/moderation/comments/{rude}/hide", csrf=False).status_code == 403
    hidden = mod.post(f"/moderation/comments/{rude}/hide")
    assert hidden.status_code == 303 and hidden.headers["location"] == "/moderation#comments"
    assert "No reports are waiting." in mod.get("/moderation").text
    assert "Something rude" not in Browser(app).get(f"/papers/{PAPER}").text
    assert "Something rude" not in bob.get(f"/papers/{PAPER}").text
    assert Browser(app).get(f"/api/papers/{PAPER}/comments").json()["comments"] == []
    moderator_view = mod.get(f"/papers/{PAPER}").text
    assert "Something rude" in moderator_view and "hidden by a moderator" in moderator_view
    assert mod.post(f"/moderation/comments/{rude}/unhide", {"next": f"/papers/{PAPER}"}).headers["location"] == f"/papers/{PAPER}"
    assert "Something rude" in Browser(app).get(f"/papers/{PAPER}").text
    assert mod.post(f"/moderation/comments/{rude}/delete-everything").status_code in (404, 422, 400)


def test_the_json_api_with_a_personal_token(ctx, app):
    client = Browser(app).client
    ada, bob = member(ctx, "ada"), member(ctx, "bob")
    as_ada = {"Authorization": f"Bearer {accounts.create_api_token(ctx, ada.id, 'script').secret}"}
    as_bob = {"Authorization": f"Bearer {accounts.create_api_token(ctx, bob.id, 'script').secret}"}

    voted = client.post(f"/api/papers/{PAPER}v2/upvote", headers=as_ada)
    assert voted.status_code == 200
    assert voted.json() == {"id": PAPER, "upvoted": True, "changed": True, "upvotes": 5, "memberUpvotes": 1, "importedUpvotes": 4}
    assert client.post(f"/api/papers/{PAPER}/upvote", headers=as_ada).json()["changed"] is False
    assert client.get(f"/api/papers/{PAPER}").json()["upvotes"] == 5
    assert client.delete(f"/api/papers/{PAPER}/upvote", headers=as_ada).json()["upvotes"] == 4
    assert client.post("/api/papers/2611.99999/upvote", headers=as_ada).status_code == 404
    no_token = client.post(f"/api/papers/{PAPER}/upvote")  # no token, no session: 401, saying how to authenticate
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    assert client.post(f"/api/papers/{PAPER}/upvote", headers={"Authorization": "Bearer pb_nope"}).status_code == 401

    made = client.post(f"/api/papers/{PAPER}/comments", headers=as_ada, json={"body": "Via **API** <b>x</b>"})
    assert made.status_code == 201
    comment = made.json()
    assert comment["author"] == {"user": "ada"} and comment["html"] == "<p>Via <strong>API</strong> &lt;b&gt;x&lt;/b&gt;</p>\n"
    reply = client.post(f"/api/papers/{PAPER}/comments", headers=as_bob, json={"body": "Agreed", "parentId": comment["id"]}).json()
    assert reply["parentId"] == comment["id"]
    assert client.post(f"/api/papers/{PAPER}/comments", headers=as_bob, json={"text": "wrong field"}).status_code == 422
    assert client.post(f"/api/papers/{PAPER}/comments", headers=as_bob, json={"body": ""}).status_code == 400
    assert client.post(f"/api/papers/{PAPER}/comments", headers=as_bob, json={"body": "x", "parentId": 10**6}).status_code == 400
    assert client.post("/api/papers/2611.99999/comments", headers=as_bob, json={"body": "x"}).status_code == 404
    assert client.get("/api/papers/2611.99999/comments").status_code == 404
    assert client.patch(f"/api/comments/{comment['id']}", headers=as_bob, json={"body": "mine"}).status_code == 403
    assert client.delete(f"/api/comments/{comment['id']}", headers=as_bob).status_code == 403
    edited = client.patch(f"/api/comments/{comment['id']}", headers=as_ada, json={"body": "Edited"})
    assert edited.status_code == 200 and edited.json()["body"] == "Edited" and edited.json()["editedAt"]
    assert client.patch("/api/comments/424242", headers=as_ada, json={"body": "x"}).status_code == 404
    deleted = client.delete(f"/api/comments/{comment['id']}", headers=as_ada).json()
    assert deleted["deleted"] is True and deleted["body"] == "" and deleted["author"] is None
    listed = client.get(f"/api/papers/{PAPER}/comments").json()
    assert listed["count"] == 1 and listed["comments"][0]["deleted"] and listed["comments"][0]["replies"][0]["body"] == "Agreed"
    assert client.get(f"/api/papers/{PAPER}").json()["numComments"] == 1

    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"post", "delete"} <= set(paths["/api/papers/{arxiv_id}/upvote"])
    assert {"get", "post"} <= set(paths["/api/papers/{arxiv_id}/comments"])
    assert {"patch", "delete"} <= set(paths["/api/comments/{comment_id}"])
    assert {"VoteJson", "CommentJson", "DiscussionJson", "NewCommentJson"} <= set(spec["components"]["schemas"])


def test_fifty_members_upvoting_over_http_at_once_count_fifty(ctx, app):
    tokens = [accounts.create_api_token(ctx, member(ctx, f"m{n:02d}").id, "script").secret for n in range(50)]
    start = threading.Barrier(len(tokens))
    with LiveServer(app) as server:
        def vote(token: str) -> int:
            start.wait()
            return httpx.post(f"{server.url}/api/papers/{PAPER}/upvote", headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
            statuses = list(pool.map(vote, tokens))
        shown = httpx.get(f"{server.url}/api/papers/{PAPER}").json()
    assert statuses == [200] * 50
    assert shown["upvotes"] == 50 + 4

"""Session cookies, bearer tokens, the dependencies routes use, CSRF, the cache, 429s."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse, Response

from paperboard.adapters.store import users as user_store
from paperboard.services import accounts, ratelimit
from paperboard.web.auth import COOKIE, Member, api_member, require_member, require_role, require_verified
from tests.factories import make_ctx, member


def _add_probe_routes(app: FastAPI) -> None:
    """Routes that exist only to exercise the dependencies (the real ones use them the same way)."""

    @app.get("/probe/members-only", response_class=PlainTextResponse)
    async def members_only(member: Member = Depends(require_member)):
        return f"hello {member.username}"

    @app.get("/probe/moderators", response_class=PlainTextResponse)
    async def moderators(member: Member = Depends(require_role("moderator"))):
        return "moderation"

    @app.get("/probe/verified", response_class=PlainTextResponse)
    async def verified(member: Member = Depends(require_verified)):
        return "verified"

    @app.post("/api/probe/write")
    async def write(request_member: Member = Depends(api_member)):
        return {"wrote": request_member.username}

    @app.post("/api/probe/limited")
    async def limited(member: Member = Depends(api_member)):
        ratelimit.check(app.state.ctx, "login_ip", "probe")
        return {"ok": True}


def test_me_with_a_token_then_revoked(client, ctx):
    user = member(ctx)
    token = accounts.create_api_token(ctx, user.id, "script")
    answer = client.get("/api/me", headers={"Authorization": f"Bearer {token.secret}"})
    assert answer.status_code == 200
    assert answer.json() == {"id": user.id, "username": "ada", "displayName": None, "role": "user", "emailVerified": True}
    assert accounts.revoke_api_token(ctx, user.id, token.id)
    answer = client.get("/api/me", headers={"Authorization": f"Bearer {token.secret}"})
    assert answer.status_code == 401 and "not valid" in answer.json()["error"]
    assert answer.headers["www-authenticate"].startswith("Bearer")
    for header in ("Bearer ", "Bearer nonsense", "Bearer " + "x" * 500):
        assert client.get("/api/me", headers={"Authorization": header}).status_code == 401


def test_me_without_credentials_is_401_json(client):
    answer = client.get("/api/me")
    assert answer.status_code == 401 and "error" in answer.json()


def test_session_cookie_and_session_version(visitor, client, ctx):
    user = member(ctx)
    visitor.login(user)
    assert client.get("/api/me").json()["username"] == "ada"
    with ctx.database.write() as connection:
        user_store.bump_session_version(connection, user.id)  # log out everywhere
    assert client.get("/api/me").status_code == 401
    client.cookies.set(COOKIE, "forged.value.here")
    assert client.get("/api/me").status_code == 401


def test_a_token_request_ignores_cookies(visitor, client, ctx):
    ada, bob = member(ctx, "ada"), member(ctx, "bob")
    visitor.login(ada)
    token = accounts.create_api_token(ctx, bob.id, "bob's script")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token.secret}"}).json()["username"] == "bob"


def test_pages_redirect_to_login_and_roles_answer_403(visitor, client, ctx):
    _add_probe_routes(client.app)
    answer = client.get("/probe/members-only?x=1")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/probe/members-only%3Fx%3D1"
    visitor.login(member(ctx, "ada"))
    assert client.get("/probe/members-only").text == "hello ada"
    assert client.get("/probe/moderators").status_code == 403
    visitor.login(member(ctx, "mona", role="moderator"))
    assert client.get("/probe/moderators").text == "moderation"
    visitor.login(member(ctx, "root1", role="admin"))
    assert client.get("/probe/moderators").status_code == 200
    assert client.get("/probe/verified").text == "verified"
    unverified = accounts.create_user(ctx, email="new@example.org", username="newbie", password="a long enough password")
    visitor.login(unverified)
    answer = client.get("/probe/verified")
    assert answer.status_code == 403 and "Verify your email address first" in answer.text


def test_bearer_writes_need_no_csrf_but_cookie_writes_do(visitor, client, ctx):
    _add_probe_routes(client.app)
    user = member(ctx)
    token = accounts.create_api_token(ctx, user.id, "script")
    bearer = {"Authorization": f"Bearer {token.secret}"}
    assert client.post("/api/probe/write", headers=bearer).json() == {"wrote": "ada"}
    assert client.post("/api/probe/write", headers={"Authorization": "Bearer wrong"}).status_code == 401
    visitor.login(user)
    assert client.post("/api/probe/write").status_code == 403  # a session without the CSRF token
    token_value = visitor.csrf()
    assert client.post("/api/probe/write", headers={"x-csrf-token": token_value}).json() == {"wrote": "ada"}


def test_over_a_limit_is_429_with_retry_after(client, ctx):
    _add_probe_routes(client.app)
    user = member(ctx)
    bearer = {"Authorization": f"Bearer {accounts.create_api_token(ctx, user.id, 's').secret}"}
    limit = 30  # rate_limit_login_ip's default: 30 in 15 minutes
    answers = [client.post("/api/probe/limited", headers=bearer) for _ in range(limit + 1)]
    assert {a.status_code for a in answers[:limit]} == {200}
    refused = answers[-1]
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 900
    assert "Too many" in refused.json()["error"]


def test_the_cache_never_serves_a_members_page_to_another(visitor, client, ctx):
    anonymous = client.get("/papers")
    assert anonymous.status_code == 200 and "Log in" in anonymous.text and "Sign up" in anonymous.text
    hits_before = client.app.state.cache.hits
    assert "Log in" in client.get("/papers").text
    assert client.app.state.cache.hits == hits_before + 1  # anonymous pages stay cached
    visitor.login(member(ctx, "ada"))
    personal = client.get("/papers")
    assert ">ada</a>" in personal.text and "Log out" in personal.text and "x-pb-cache" not in personal.headers
    assert client.app.state.cache.hits == hits_before + 1  # neither served from nor stored in the cache
    client.cookies.delete(COOKIE)
    again = client.get("/papers")
    assert "Log in" in again.text and ">ada</a>" not in again.text


def test_session_cookie_flags(ctx, tmp_path):
    from paperboard.web.app import create_app

    for base_url, secure in (("http://testserver", False), ("https://papers.example.org", True)):
        site = make_ctx(ctx.settings.resolved_database_url, tmp_path / "h", base_url=base_url)
        response = Response()
        create_app(site).state.sessions.set(response, 7, 0)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Max-Age=2592000" in cookie and "Path=/" in cookie
        assert ("Secure" in cookie) is secure


def test_a_page_the_router_cannot_find_still_greets_the_member(visitor, client, ctx):
    visitor.login(member(ctx, "ada"))
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and ">ada</a>" in missing.text and "Log out" in missing.text
    assert client.get("/no/such/page", headers={"Authorization": "Bearer revoked"}).status_code == 404

"""Logging out ends the session for good (a copied cookie included); the CSRF token is bound to the
session it was handed to, so a cookie planted from another session does not pass; its cookie is
Secure under https; an API write without a token is 401 with WWW-Authenticate, not "form expired".
On SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from paperboard.web.app import create_app
from paperboard.web.auth import COOKIE
from paperboard.web.security import COOKIE as CSRF_COOKIE
from tests.factories import PASSWORD, csrf_token, make_ctx, member

PAPER = "2604.00001"


def _log_in(client: TestClient, login: str) -> str:
    answer = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/account", "csrf_token": csrf_token(client, "/login")})
    assert answer.status_code == 303
    return client.cookies.get(COOKIE)


def _browser(ctx) -> TestClient:
    return TestClient(create_app(ctx), follow_redirects=False)


def test_logging_out_ends_a_copied_session_cookie(ctx):
    member(ctx)
    with _browser(ctx) as browser, _browser(ctx) as thief:
        session = _log_in(browser, "ada")
        thief.cookies.set(COOKIE, session)  # the cookie, copied elsewhere
        assert thief.get("/account").status_code == 200
        out = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/account")})
        assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
        assert thief.get("/account").status_code == 303  # to the login page: the session is over
        assert thief.get("/api/me").status_code == 401
        assert _log_in(browser, "ada") and browser.get("/account").status_code == 200  # logging in again works


def test_a_csrf_token_from_another_session_does_not_pass(ctx):
    member(ctx)
    member(ctx, "bob")
    with _browser(ctx) as ada, _browser(ctx) as mallory:
        _log_in(ada, "ada")
        _log_in(mallory, "bob")
        own = csrf_token(ada, "/account")
        planted = csrf_token(mallory, "/account")  # genuine, signed by the site: for bob's session
        anonymous = csrf_token(TestClient(create_app(ctx)), "/login")
        for foreign in (planted, anonymous):
            ada.cookies.set(CSRF_COOKIE, foreign)
            refused = ada.post("/account/tokens", data={"name": "planted", "csrf_token": foreign})
            assert refused.status_code == 403 and "This form has expired" in refused.text
        ada.cookies.set(CSRF_COOKIE, own)
        assert ada.post("/account/tokens", data={"name": "mine", "csrf_token": own}).status_code == 200


def test_logging_in_hands_out_a_token_for_the_new_session(ctx):
    member(ctx)
    with _browser(ctx) as browser:
        before = csrf_token(browser, "/login")
        _log_in(browser, "ada")
        after = csrf_token(browser, "/account")
        assert after != before and browser.cookies.get(CSRF_COOKIE) == after
        assert browser.post("/account/tokens", data={"name": "fresh", "csrf_token": after}).status_code == 200


def test_the_csrf_cookie_is_secure_under_https_only(database, tmp_path):
    for base_url, secure in (("https://papers.example.org", True), ("http://testserver", False)):
        ctx = make_ctx(database, tmp_path / "home", base_url=base_url)
        with TestClient(create_app(ctx), base_url=base_url) as client:
            cookie = client.get("/login").headers["set-cookie"]
        assert cookie.startswith(f"{CSRF_COOKIE}=") and ("; Secure" in cookie) is secure


def test_an_api_write_without_a_token_is_401_not_form_expired(ctx):
    ada = member(ctx)
    with _browser(ctx) as script:
        for cookies in ({}, {COOKIE: "stale.or.forged"}):
            script.cookies.clear()
            script.cookies.update(cookies)
            answer = script.post(f"/api/papers/{PAPER}/upvote")
            assert answer.status_code == 401, answer.text
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "This form has expired" not in answer.text
        # A live browser session without the CSRF header is still refused: that is what CSRF is for.
        script.cookies.set(COOKIE, script.app.state.sessions.encode(ada.id, ada.session_version))
        assert script.post(f"/api/papers/{PAPER}/upvote").status_code == 403

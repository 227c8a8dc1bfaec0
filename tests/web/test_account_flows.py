"""Account flows through the real app and a real SMTP sink: every link is taken from a received
mail and followed; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from paperboard.adapters.store.schema import user_tokens
from paperboard.services import accounts
from paperboard.services.context import AppContext
from paperboard.settings import Settings
from paperboard.web.app import create_app
from paperboard.web.auth import COOKIE
from tests.factories import PASSWORD, csrf_token
from tests.mail.conftest import BASE_URL, parts, settings_for, sink  # noqa: F401  (sink is a fixture)

NEW_PASSWORD = "tr0ubador & 3 more words"


@pytest.fixture
def ctx(tmp_path, database_url, sink):  # noqa: F811
    context = AppContext(settings_for(tmp_path / "home", database_url, sink, rate_limit_login_account="6/hour"))
    yield context
    context.database.dispose()


@pytest.fixture
def site(ctx):
    with TestClient(create_app(ctx), base_url=BASE_URL, follow_redirects=False) as client:
        yield client


def post(client: TestClient, path: str, data: dict, form_page: str = "/login"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


def sign_up(client, email="ada@example.org", username="ada", password=PASSWORD, **extra):
    return post(client, "/signup", {"email": email, "username": username, "password": password, **extra}, "/signup")


def log_in(client, login="ada", password=PASSWORD, next_path="/papers"):
    return post(client, "/login", {"login": login, "password": password, "next": next_path})


def mail_link(sink, email: str, path: str, subject_word: str) -> str:  # noqa: F811
    mails = [m for m in sink.to(email) if subject_word in m["Subject"]]
    assert mails, f"no {subject_word!r} mail to {email}"
    text, html = parts(mails[-1])
    (url,) = set(re.findall(re.escape(BASE_URL + path) + r"\?token=[A-Za-z0-9_\-%]+", text))
    assert url in html
    return url


def _user(ctx, username="ada"):
    return next(u for u in accounts.list_members(ctx) if u.username == username)


def test_sign_up_verify_by_mail_and_the_link_works_once(ctx, site, sink):  # noqa: F811
    answer = sign_up(site, email=" Ada@Example.org ", display_name="Ada <b>L</b>")
    assert answer.status_code == 200 and "Check your mail" in answer.text and "We sent a mail to ada@example.org" in answer.text
    assert COOKIE not in answer.headers.get("set-cookie", ""), "no session before logging in: it would tell new addresses apart"
    cookie = log_in(site).headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    account = site.get("/account")
    assert "not verified yet" in account.text and "Ada &lt;b&gt;L&lt;/b&gt;" in account.text and "<b>L</b>" not in account.text
    assert _user(ctx).email_verified_at is None

    url = mail_link(sink, "ada@example.org", "/verify", "Verify")
    (mail,) = sink.to("ada@example.org")
    assert mail["List-Unsubscribe"] is None and mail["To"] == "ada@example.org"
    shown = site.get(url)  # opening the link (a mail scanner, a preview) changes nothing
    assert shown.status_code == 200 and "Yes, verify my address" in shown.text
    assert shown.headers["cache-control"] == "no-store" and shown.headers["referrer-policy"] == "no-referrer"
    assert _user(ctx).email_verified_at is None
    token = url.split("token=")[1]
    done = post(site, "/verify", {"token": token}, url.removeprefix(BASE_URL))
    assert done.status_code == 200 and "Address verified" in done.text
    assert _user(ctx).email_verified_at is not None
    again = site.get(url)
    assert again.status_code == 400 and "already used" in again.text
    assert post(site, "/verify", {"token": token}).status_code == 400
    assert site.get("/verify?token=made-up").status_code == 400


def test_sign_up_mistakes_are_explained_and_escaped(ctx, site, sink):  # noqa: F811
    assert sign_up(site).status_code == 200
    assert "username ada is taken" in sign_up(site, email="other@example.org").text
    weak = sign_up(site, email="b@example.org", username="bob", password="short")
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    bad = sign_up(site, email="<script>alert(1)</script>", username="<img src=x>")
    assert bad.status_code == 400 and "<script>alert(1)" not in bad.text and "&lt;script&gt;" in bad.text
    assert len(accounts.list_members(ctx)) == 1 and len(sink.messages()) == 1


def test_sign_up_with_a_known_address_answers_as_for_a_new_one_and_mails_its_owner(ctx, site, sink):  # noqa: F811
    def shown(answer) -> tuple[int, str]:
        return answer.status_code, re.sub(r'value="[^"]+\.[^"]+"', "", answer.text).replace("new@example.org", "ADDRESS").replace(
            "ada@example.org", "ADDRESS")

    assert sign_up(site).status_code == 200
    new = sign_up(site, email="new@example.org", username="newbie")
    known = sign_up(site, email="ADA@example.org", username="someone")
    assert shown(new) == shown(known), "the answer must not tell a known address from a new one"
    assert COOKIE not in known.headers.get("set-cookie", "")
    assert {u.username for u in accounts.list_members(ctx)} == {"ada", "newbie"}
    (notice,) = [m for m in sink.to("ada@example.org") if "Someone tried to sign up" in m["Subject"]]
    text, html = parts(notice)
    assert "already has an account, ada, so no new one was made" in text
    assert f"{BASE_URL}/login" in text and f"{BASE_URL}/password/forgot" in text and f"{BASE_URL}/password/forgot" in html
    # Past rate_limit_signup_notice (3 a day) the owner gets no more, and the form still says the same.
    for n in range(4):
        assert shown(sign_up(site, email="ada@example.org", username=f"other{n}")) == shown(known)
    assert len([m for m in sink.to("ada@example.org") if "Someone tried" in m["Subject"]]) == 3


def test_log_in_log_out_and_methods(ctx, site):
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    wrong = log_in(site, password="not the password")
    assert wrong.status_code == 400 and "Wrong email, username or password" in wrong.text
    assert log_in(site, login="nobody").text.count("Wrong email, username or password") == 1
    answer = log_in(site, login="ADA@example.org", next_path="/account")
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    assert log_in(site, next_path="https://evil.example/").headers["location"] == "/papers"
    assert log_in(site, next_path="//evil.example/").headers["location"] == "/papers"
    assert "ada" in site.get("/account").text and _user(ctx).last_login_at is not None
    assert site.get("/logout").status_code == 405
    out = post(site, "/logout", {})
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    assert site.get("/account").status_code == 303


_PRODUCTION_COST = {name: Settings.model_fields[name].default for name in
                    ("password_hash_time_cost", "password_hash_memory_kib", "password_hash_parallelism")}
_TEST_COST = {"password_hash_time_cost": 1, "password_hash_memory_kib": 8, "password_hash_parallelism": 1}


@pytest.mark.parametrize("made_at, checked_at", [(_PRODUCTION_COST, _TEST_COST), (_TEST_COST, _PRODUCTION_COST)],
                         ids=["production-hash-cheap-settings", "cheap-hash-production-settings"])
def test_a_password_hashed_at_one_argon2_cost_logs_in_at_another_and_is_rehashed(ctx, made_at, checked_at):
    def at(cost) -> AppContext:  # the same database, other PASSWORD_HASH_* settings
        return AppContext(ctx.settings.model_copy(update=cost), _shared=ctx._shared)

    accounts.create_user(at(made_at), email="ada@example.org", username="ada", password=PASSWORD)
    made = _user(ctx).password_hash
    assert f"m={made_at['password_hash_memory_kib']},t={made_at['password_hash_time_cost']}," in made
    with pytest.raises(accounts.AccountError):
        accounts.log_in(at(checked_at), "ada", "not the password", ip="127.0.0.1")
    assert accounts.log_in(at(checked_at), "ada", PASSWORD, ip="127.0.0.1").username == "ada"
    rehashed = _user(ctx).password_hash
    assert rehashed != made and f"m={checked_at['password_hash_memory_kib']},t={checked_at['password_hash_time_cost']}," in rehashed
    assert accounts.log_in(at(made_at), "ada", PASSWORD, ip="127.0.0.1").username == "ada"


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/logout"), ("PUT", "/login"), ("DELETE", "/account"), ("GET", "/account/delete"), ("GET", "/account/password"),
     ("PATCH", "/signup"), ("POST", "/api/me"), ("GET", "/account/logout-everywhere"), ("GET", "/account/tokens/1/revoke")],
)
def test_views_accept_only_their_methods(site, method, path):
    answer = site.request(method, path)
    assert answer.status_code == 405


def test_a_form_without_its_csrf_token_is_refused(ctx, site):
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    site.get("/login")
    answer = site.post("/login", data={"login": "ada", "password": PASSWORD})
    assert answer.status_code == 403 and COOKIE not in answer.headers.get("set-cookie", "")


def test_too_many_logins_answer_429_with_retry_after(ctx, site):
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    answers = [log_in(site, login=login, password="wrong password!") for login in ("ada", "ada@example.org") * 3]
    assert {a.status_code for a in answers} == {400}
    refused = log_in(site)  # the right password too: the account is locked for the window
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 3600
    assert "Too many login attempts" in refused.text
    assert log_in(site, login="ADA@example.org").status_code == 429  # one count per account, however it is named


def test_password_reset_by_mail_once_and_sessions_end(ctx, site, sink):  # noqa: F811
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    with TestClient(create_app(ctx), base_url=BASE_URL, follow_redirects=False) as laptop:
        assert log_in(laptop).status_code == 303 and laptop.get("/api/me").status_code == 200
        unknown = post(site, "/password/forgot", {"email": "nobody@example.org"}, "/password/forgot")
        asked = post(site, "/password/forgot", {"email": "ADA@example.org"}, "/password/forgot")
        assert unknown.status_code == asked.status_code == 200
        assert unknown.text.replace("nobody@", "X@") == asked.text.replace("ada@", "X@")  # tells no one who has an account
        assert sink.recipients() == ["ada@example.org"]
        url = mail_link(sink, "ada@example.org", "/password/reset", "Reset")
        form = site.get(url)
        assert form.status_code == 200 and "Choose a new password" in form.text
        token = url.split("token=")[1]
        differ = post(site, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password_again": "x"}, "/password/forgot")
        assert differ.status_code == 400 and "differ" in differ.text
        weak = post(site, "/password/reset", {"token": token, "password": "ada", "password_again": "ada"}, "/password/forgot")
        assert weak.status_code == 400 and "at least 10" in weak.text
        done = post(site, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, "/password/forgot")
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
        assert laptop.get("/api/me").status_code == 401  # the laptop's session ended with the reset
        reused = site.get(url)
        assert reused.status_code == 400 and "already used" in reused.text
        assert post(site, "/password/reset", {"token": token, "password": PASSWORD, "password_again": PASSWORD}, "/password/forgot").status_code == 400
    assert log_in(site).status_code == 400
    assert log_in(site, password=NEW_PASSWORD).status_code == 303
    assert _user(ctx).email_verified_at is not None  # the mailbox answered: the address is verified


def test_an_expired_or_superseded_reset_link_is_refused(ctx, site, sink):  # noqa: F811
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    post(site, "/password/forgot", {"email": "ada@example.org"}, "/password/forgot")
    first = mail_link(sink, "ada@example.org", "/password/reset", "Reset")
    post(site, "/password/forgot", {"email": "ada@example.org"}, "/password/forgot")
    second = [u for u in {mail_link(sink, "ada@example.org", "/password/reset", "Reset")} if u != first][0]
    assert "already used" in site.get(first).text  # a newer link voids the older one
    with ctx.database.write() as connection:
        connection.execute(update(user_tokens).values(expires_at=datetime(2020, 1, 1)))
    expired = site.get(second)
    assert expired.status_code == 400 and "expired" in expired.text
    token = second.split("token=")[1]
    answer = post(site, "/password/reset", {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, "/password/forgot")
    assert answer.status_code == 400 and "expired" in answer.text


def test_change_password_and_log_out_everywhere(ctx, site):
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    with TestClient(create_app(ctx), base_url=BASE_URL, follow_redirects=False) as phone:
        log_in(phone), log_in(site)
        wrong = post(site, "/account/password", {"current_password": "nope", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, "/account")
        assert wrong.status_code == 400 and "not your current password" in wrong.text
        changed = post(site, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, "/account")
        assert changed.status_code == 200 and "password is changed" in changed.text
        assert site.get("/api/me").status_code == 200  # this browser stays logged in
        assert phone.get("/api/me").status_code == 401  # the other device does not
        log_in(phone, password=NEW_PASSWORD)
        ended = post(phone, "/account/logout-everywhere", {}, "/account")
        assert ended.status_code == 303 and ended.headers["location"] == "/login?ended=1"
        assert site.get("/api/me").status_code == 401 and phone.get("/api/me").status_code == 401


def test_api_tokens_from_the_account_page(ctx, site):
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    log_in(site)
    assert post(site, "/account/tokens", {"name": "  "}, "/account").status_code == 400
    created = post(site, "/account/tokens", {"name": "my <script> bot"}, "/account")
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    (secret,) = re.findall(r'<code class="secret">(pb_[A-Za-z0-9_\-]+)</code>', created.text)
    assert "my &lt;script&gt; bot" in created.text
    listed = site.get("/account")
    assert secret not in listed.text and secret[:10] in listed.text  # shown once, then only its start
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(ctx), base_url=BASE_URL) as script:
        assert script.get("/api/me", headers=bearer).json()["username"] == "ada"
        (token_id,) = re.findall(r'/account/tokens/(\d+)/revoke', listed.text)
        revoked = post(site, f"/account/tokens/{token_id}/revoke", {}, "/account")
        assert revoked.status_code == 303
        assert script.get("/api/me", headers=bearer).status_code == 401


def test_resend_verification_is_rate_limited(ctx, site, sink):  # noqa: F811
    sign_up(site)
    log_in(site)
    for _ in range(5):
        assert post(site, "/account/verify-mail", {}, "/account").headers["location"] == "/account?sent=1"
    assert post(site, "/account/verify-mail", {}, "/account").status_code == 429
    assert len(sink.to("ada@example.org")) == 6
    urls = {mail_link(sink, "ada@example.org", "/verify", "Verify")}
    assert len(urls) == 1

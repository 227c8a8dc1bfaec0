"""Submitting through the site and the API, admin feature controls; real HTTP in process, a fake
arXiv on 127.0.0.1 for ids fetched on demand; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paperboard.adapters.store import users as user_store
from paperboard.services import accounts
from paperboard.web.app import create_app
from tests.factories import Browser, add_paper, make_ctx, member, today
from tests.fakes_arxiv import ApiCorpus, FakeArxiv, atom_entry


@pytest.fixture(scope="module")
def arxiv():
    with FakeArxiv() as server:
        server.api = ApiCorpus({})
        yield server


@pytest.fixture
def ctx_settings(arxiv):
    return dict(
        arxiv_api_url=arxiv.api_url, arxiv_delay_seconds=0, http_max_retries=0, on_demand_timeout_seconds=10,
        submission_daily_quota=2, submission_max_age_days=14, submission_weekend_policy="allow",
    )


def test_member_submits_from_the_daily_page_form_and_sees_it_featured_today(ctx, app):
    add_paper(ctx, "2611.00001", title="Fresh results on things")
    ada = Browser(app).login(member(ctx, "ada"))
    assert 'action="/papers/submit"' in ada.get("/papers").text
    answer = ada.post("/papers/submit", {"arxiv_id": "arXiv:2611.00001"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/papers?date={today().isoformat()}"
    day = ada.get(answer.headers["location"]).text
    assert "Fresh results on things" in day and 'submitted by <a href="/u/ada">ada</a>' in day
    assert 'submitted by <a href="/u/ada">ada</a>' in Browser(app).get("/papers/2611.00001").text
    # Idempotent: the same submission again is a no-op that lands on the same day.
    assert ada.post("/papers/submit", {"arxiv_id": "2611.00001"}).status_code == 303
    assert "1 paper featured" in ada.get(answer.headers["location"]).text


def test_refusals_say_why_with_a_fitting_status(ctx, app):
    add_paper(ctx, "2611.00001")
    add_paper(ctx, "2611.00002")
    add_paper(ctx, "2611.00003")
    add_paper(ctx, "2611.00004", announced=today() - timedelta(days=30))
    ada = Browser(app).login(member(ctx, "ada"))
    bob = Browser(app).login(member(ctx, "bob"))
    ada.post("/papers/submit", {"arxiv_id": "2611.00001"})
    duplicate = bob.post("/papers/submit", {"arxiv_id": "2611.00001"})
    assert duplicate.status_code == 409
    assert f"already featured on {today().isoformat()} (submitted by ada)" in duplicate.text
    old = bob.post("/papers/submit", {"arxiv_id": "2611.00004"})
    assert old.status_code == 400 and "30 days ago" in old.text
    malformed = bob.post("/papers/submit", {"arxiv_id": "<b>not an id</b>"})
    assert malformed.status_code == 400 and "is not an arXiv id" in malformed.text and "<b>not an id</b>" not in malformed.text
    ada.post("/papers/submit", {"arxiv_id": "2611.00002"})
    over = ada.post("/papers/submit", {"arxiv_id": "2611.00003"})
    assert over.status_code == 429 and int(over.headers["retry-after"]) > 0 and "limit is 2 submissions per day" in over.text


def test_the_submit_rate_limiter_answers_429(database, tmp_path, arxiv):
    ctx = make_ctx(database, tmp_path / "home", rate_limit_submit="1/hour")
    add_paper(ctx, "2611.00001")
    add_paper(ctx, "2611.00002")
    ada = Browser(create_app(ctx)).login(member(ctx, "ada"))
    assert ada.post("/papers/submit", {"arxiv_id": "2611.00001"}).status_code == 303
    limited = ada.post("/papers/submit", {"arxiv_id": "2611.00002"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    ctx.database.dispose()


def test_forms_need_csrf_a_member_and_a_verified_address(ctx, app):
    add_paper(ctx, "2611.00001")
    ada = Browser(app).login(member(ctx, "ada"))
    for path, data in [
        ("/papers/submit", {"arxiv_id": "2611.00001"}),
        ("/admin/feature", {"paper_id": "2611.00001"}),
        ("/admin/unfeature", {"paper_id": "2611.00001"}),
    ]:
        assert ada.post(path, data, csrf=False).status_code == 403, path
    anonymous = Browser(app)
    answer = anonymous.post("/papers/submit", {"arxiv_id": "2611.00001"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    unverified = Browser(app).login(member(ctx, "newbie", verified=False))
    refused = unverified.post("/papers/submit", {"arxiv_id": "2611.00001"})
    assert refused.status_code == 403 and "confirm your email address" in refused.text
    assert "submitted by" not in Browser(app).get("/papers/2611.00001").text


def test_api_submission_with_a_personal_token(ctx, app):
    add_paper(ctx, "2611.00001")
    ada = member(ctx, "ada")
    token = accounts.create_api_token(ctx, ada.id, "script").secret
    client = Browser(app).client
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/papers/2611.00001v2/submit", headers=headers)
    assert first.status_code == 201
    assert first.json() == {"id": "2611.00001", "title": "Paper 2611.00001", "featuredOn": today().isoformat(), "submittedBy": "ada", "created": True}
    again = client.post("/api/papers/2611.00001/submit", headers=headers)
    assert again.status_code == 200 and again.json()["created"] is False
    assert client.post("/api/papers/2611.00001/submit", headers={"Authorization": "Bearer pb_revoked"}).status_code == 401
    no_token = client.post("/api/papers/2611.00001/submit")  # no token, no session: 401, saying how to authenticate
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    bob_token = accounts.create_api_token(ctx, member(ctx, "bob").id, "script").secret
    taken = client.post("/api/papers/2611.00001/submit", headers={"Authorization": f"Bearer {bob_token}"})
    assert taken.status_code == 409 and "submitted by ada" in taken.json()["error"]
    # The HF-style API credits the member.
    listed = client.get("/api/daily_papers", params={"date": today().isoformat()}).json()
    assert listed[0]["submittedBy"]["user"] == "ada"


def test_an_unknown_id_is_fetched_from_arxiv_or_refused_with_the_reason(ctx, app, arxiv):
    published = f"{today().isoformat()}T10:00:00Z"
    arxiv.api = ApiCorpus({"2611.55555": atom_entry("2611.55555", title="Fetched for a submission", published=published)})
    try:
        ada = Browser(app).login(member(ctx, "ada"))
        answer = ada.post("/papers/submit", {"arxiv_id": "https://arxiv.org/abs/2611.55555"})
        assert answer.status_code == 303
        assert "Fetched for a submission" in ada.get(answer.headers["location"]).text
        missing = ada.post("/papers/submit", {"arxiv_id": "2611.66666"})
        assert missing.status_code == 400 and "could not fetch it" in missing.text
    finally:
        arxiv.api = ApiCorpus({})


def test_admins_feature_move_and_unfeature_from_the_paper_page(ctx, app):
    add_paper(ctx, "2611.00001", announced=today() - timedelta(days=400))
    admin = Browser(app).login(member(ctx, "boss", role="admin"))
    ada = Browser(app).login(member(ctx, "ada"))
    assert 'action="/admin/feature"' in admin.get("/papers/2611.00001").text
    assert 'action="/admin/feature"' not in ada.get("/papers/2611.00001").text
    assert ada.post("/admin/feature", {"paper_id": "2611.00001", "day": "2026-04-06"}).status_code == 403
    answer = admin.post("/admin/feature", {"paper_id": "2611.00001", "day": "2026-04-06"})
    assert answer.status_code == 303 and answer.headers["location"] == "/papers/2611.00001"
    assert "Paper 2611.00001" in Browser(app).get("/papers?date=2026-04-06").text
    admin.post("/admin/feature", {"paper_id": "2611.00001", "day": "2026-04-07"})
    assert "Paper 2611.00001" in Browser(app).get("/papers?date=2026-04-07").text
    assert admin.post("/admin/feature", {"paper_id": "2611.00001", "day": "April"}).status_code == 400
    admin.post("/admin/unfeature", {"paper_id": "2611.00001"})
    assert admin.post("/admin/unfeature", {"paper_id": "2611.00001"}).status_code == 303  # again: no-op
    assert "Featured" not in Browser(app).get("/papers/2611.00001").text


def test_a_deleted_members_submission_is_credited_to_a_former_member(ctx, app):
    add_paper(ctx, "2611.00001")
    ada = member(ctx, "ada")
    Browser(app).login(ada).post("/papers/submit", {"arxiv_id": "2611.00001"})
    with ctx.database.write() as connection:
        user_store.delete_user(connection, ada.id)
    page = Browser(app).get(f"/papers?date={today().isoformat()}").text
    assert "submitted by a former member" in page and "/u/ada" not in page
    listed = Browser(app).get("/api/daily_papers", params={"date": today().isoformat()}).json()
    assert listed[0]["submittedBy"] is None and "ada" not in str(listed)

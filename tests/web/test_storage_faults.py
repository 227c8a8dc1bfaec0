"""A database that takes no writes: every change answers 503 with a clear page or JSON (never 500,
never a 429 that is no rate limit), reads keep working, and /healthz says the same each time.

Read-only for real: SQLite opened with ``mode=ro`` (what a read-only disk or mount gives; file
permissions would not do, the tests may run as root), PostgreSQL with
``ALTER DATABASE … SET default_transaction_read_only = on`` (how a replica or a full disk's
emergency setting looks to the app). A full SQLite database is ``PRAGMA max_page_count``: SQLite's
own SQLITE_FULL, as from a full disk.
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from paperboard.adapters.store import papers as paper_store
from paperboard.domain.paper import Paper
from paperboard.services import accounts
from paperboard.services.context import AppContext
from paperboard.settings import Settings
from paperboard.web.app import create_app
from paperboard.web.auth import COOKIE

PASSWORD = "correct horse battery staple"
PAPER = "2604.00001"


def _settings(home, database_url: str) -> Settings:
    return Settings(
        home=home, database_url=database_url, base_url="http://testserver", secret_key="k" * 40,
        embedding_model="hashing", on_demand_timeout_seconds=0,
    )


@pytest.fixture
def read_only(database_url, tmp_path):
    """(context on the read-only database, a member, their API token), after seeding it writable."""
    writable = AppContext(_settings(tmp_path / "home", database_url))
    with writable.database.write() as connection:
        paper_store.upsert_papers(connection, [Paper(id=PAPER, title="A paper on read-only disks", abstract="We study disks.",
                                                     categories=("cs.OS",), announced=date(2026, 4, 1), source="test")])
    member = accounts.create_user(writable, email="ada@example.org", username="ada", password=PASSWORD, verified=True)
    token = accounts.create_api_token(writable, member.id, "script")
    writable.database.dispose()
    if database_url.startswith("sqlite"):
        url = f"sqlite:///file:{tmp_path / 'paperboard.db'}?mode=ro&uri=true"
    else:
        url = database_url
        parsed = make_url(database_url)
        admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{parsed.database}" SET default_transaction_read_only = on')
    ctx = AppContext(_settings(tmp_path / "home", url))
    yield ctx, member, token
    ctx.database.dispose()


def _client(ctx, member=None) -> TestClient:
    client = TestClient(create_app(ctx), follow_redirects=False, raise_server_exceptions=False)
    if member is not None:
        client.cookies.set(COOKIE, client.app.state.sessions.encode(member.id, member.session_version))
    return client


def _token(client) -> str:
    client.get("/papers")
    return client.cookies.get("pb_csrf")


def test_reads_keep_working(read_only):
    ctx, member, token = read_only
    with _client(ctx, member) as client:
        for path in ("/papers", f"/papers/{PAPER}", "/account", "/subscribe", "/login", "/papers/feed.rss"):
            assert client.get(path).status_code == 200, path
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token.secret}"}).status_code == 200


@pytest.mark.parametrize(
    "path, form, as_member",
    [
        ("/subscribe", {"email": "new@example.org"}, False),
        ("/signup", {"email": "new@example.org", "username": "newbie", "password": PASSWORD}, False),
        ("/login", {"login": "ada", "password": PASSWORD}, False),
        ("/password/forgot", {"email": "ada@example.org"}, False),
        (f"/papers/{PAPER}/upvote", {}, True),
        (f"/papers/{PAPER}/comments", {"body": "A comment."}, True),
        ("/account/tokens", {"name": "another"}, True),
        ("/account/logout-everywhere", {}, True),
    ],
)
def test_every_change_answers_503_with_a_page_that_says_why(read_only, path, form, as_member):
    ctx, member, _ = read_only
    with _client(ctx, member if as_member else None) as client:
        answer = client.post(path, data={**form, "csrf_token": _token(client)})
    assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
    assert "Changes cannot be saved right now" in answer.text
    assert "the database is read-only. Reading still works" in answer.text
    assert int(answer.headers["retry-after"]) > 0


def test_api_changes_answer_503_json(read_only):
    ctx, _, token = read_only
    with _client(ctx) as client:
        answer = client.post(f"/api/papers/{PAPER}/upvote", headers={"Authorization": f"Bearer {token.secret}"})
    assert answer.status_code == 503
    assert answer.json() == {"error": "This site cannot save changes right now: the database is read-only. Reading still works; please try again later."}


def test_healthz_says_read_only_the_same_way_each_time(read_only):
    ctx, _, _ = read_only
    with _client(ctx) as client:
        answers = [client.get("/healthz") for _ in range(3)]
    assert {a.status_code for a in answers} == {503}
    assert [a.json() for a in answers] == [
        {"status": "read-only", "database": "reads only", "reads": "ok", "writes": "the database is read-only", "papers": 1}
    ] * 3


def test_a_command_that_writes_says_so_in_one_line(read_only, run_paperboard, monkeypatch):
    from paperboard.settings import get_settings

    ctx, _, _ = read_only
    monkeypatch.setenv("PAPERBOARD_HOME", str(ctx.settings.home))
    monkeypatch.setenv("PAPERBOARD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(ctx.settings.home / "absent.toml"))
    get_settings.cache_clear()
    code, _, err = run_paperboard("unfeature", PAPER)
    get_settings.cache_clear()
    assert code == 6
    assert err == "paperboard: error: This site cannot save changes right now: the database is read-only. Reading still works; please try again later.\n"


def test_a_full_database_answers_503_and_healthz_remembers_it(new_database_url, tmp_path):
    ctx = AppContext(_settings(tmp_path / "home", new_database_url("sqlite", tmp_path)))
    with ctx.database.write() as connection:
        paper_store.upsert_papers(connection, [Paper(id=PAPER, title="A paper on full disks", abstract="We study disks.",
                                                     categories=("cs.OS",), announced=date(2026, 4, 1), source="test")])
    member = accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD, verified=True)

    @event.listens_for(ctx.database.engine, "connect")
    def _full(dbapi_connection, _record):
        # No page beyond what the file has now: a write that needs a new page fails with SQLITE_FULL.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def comment(client, n: int):
        body = " ".join(f"Point {n}.{i} about disks." for i in range(200))  # ~4.5 kB: more than a page
        return client.post(f"/papers/{PAPER}/comments", data={"body": body, "csrf_token": _token(client)})

    with _client(ctx, member) as client:
        assert client.get("/healthz").status_code == 200  # the probe writes nothing: a full disk shows at the first write
        answers = [comment(client, n) for n in range(3)]
        assert {a.status_code for a in answers} == {503}
        assert "the disk is full. Reading still works" in answers[0].text
        health = [client.get("/healthz") for _ in range(3)]
        assert {h.status_code for h in health} == {503}
        assert {h.json()["writes"] for h in health} == {"the disk is full"}
        event.remove(ctx.database.engine, "connect", _full)
        assert comment(client, 4).status_code == 303
        assert client.get("/healthz").status_code == 200  # a write that succeeded clears it
    ctx.database.dispose()

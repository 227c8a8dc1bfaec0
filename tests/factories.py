"""The tests' small factories: a context, papers, daily features, members, and a browser that
carries its CSRF token. Each folder used to make these its own way; the fixtures in
``tests/conftest.py`` (``ctx``, ``site``) are built from them.

Everything goes through the real code: members through ``accounts.create_user`` (argon2 at the
cheapest cost the test settings choose), papers and features through the store.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from pathlib import Path

from fastapi.testclient import TestClient

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.users import UserRow
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services import accounts
from paperboard.services.context import AppContext
from paperboard.settings import Settings
from paperboard.web.app import create_app
from paperboard.web.auth import COOKIE as SESSION_COOKIE
from paperboard.web.security import COOKIE as CSRF_COOKIE

PASSWORD = "correct horse battery staple"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'  # for every text field a page shows
BASE_URL = "http://testserver"
# What a test site runs with unless a test says otherwise: the feature-hashing embedder (no model
# to load), no on-demand fetch from arXiv, a fixed key so signed cookies survive a new app.
TEST_SETTINGS = dict(
    base_url=BASE_URL, secret_key="t" * 40, embedding_model="hashing", on_demand_timeout_seconds=0,
)


# argon2 at its cheapest (production's cost made 30 logins take 8.6 s): tests/conftest.py sets it for
# the test process, command_environment() for the commands and servers a test starts.
CHEAP_PASSWORD_HASHES = {
    "PAPERBOARD_PASSWORD_HASH_TIME_COST": "1", "PAPERBOARD_PASSWORD_HASH_MEMORY_KIB": "8",
    "PAPERBOARD_PASSWORD_HASH_PARALLELISM": "1",
}


def command_environment(**variables: str) -> dict[str, str]:
    """The environment of a ``paperboard`` process a test starts: this one's without any
    ``PAPERBOARD_*`` setting (none leaks in from the shell that ran pytest), the tests' argon2 cost,
    then ``variables``."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("PAPERBOARD_")}
    return {**inherited, **CHEAP_PASSWORD_HASHES, **variables}


def today() -> date:
    return datetime.now(timezone.utc).date()


# -- context ----------------------------------------------------------------------------------
def make_ctx(database: Database | str, home: Path, **settings) -> AppContext:
    """A context on ``database`` (a :class:`Database`, whose engine and writer lock it then shares,
    or a URL), with HOME at ``home``: ``TEST_SETTINGS`` and then ``settings``."""
    url = database if isinstance(database, str) else database.url.render_as_string(hide_password=False)
    ctx = AppContext(Settings(**{**TEST_SETTINGS, "home": home, "database_url": url, **settings}))
    if isinstance(database, Database):
        ctx._shared.database = database
    return ctx


def _database(target: AppContext | Database) -> Database:
    return target.database if isinstance(target, AppContext) else target


# -- papers and features ----------------------------------------------------------------------
def paper(paper_id: str, **fields) -> Paper:
    """A paper with plain defaults (announced today, in cs.CL, by two authors); ``fields`` override."""
    values = dict(
        id=paper_id, title=f"Paper {paper_id}", abstract="About things.", authors=("Ada Lovelace", "Charles Babbage"),
        categories=("cs.CL",), announced=today(), source="test",
    )
    values.update(fields)
    values["authors"] = tuple(values["authors"])
    values["categories"] = tuple(values["categories"])
    return Paper(**values)


def add_papers(target: AppContext | Database, *papers: Paper) -> list[Paper]:
    with _database(target).write() as connection:
        paper_store.upsert_papers(connection, list(papers))
    return list(papers)


def add_paper(target: AppContext | Database, paper_id: str, **fields) -> Paper:
    """Store ``paper(paper_id, **fields)``."""
    return add_papers(target, paper(paper_id, **fields))[0]


def add_features(target: AppContext | Database, *features: DailyFeature) -> None:
    with _database(target).write() as connection:
        feature_store.upsert_features(connection, list(features))


def add_feature(target: AppContext | Database, paper_id: str, day: date | None = None, upvotes: int = 1, *,
                submitted_by: str = "someone", source: str = "test") -> DailyFeature:
    """Feature a stored paper on ``day`` (today) with ``upvotes`` imported upvotes."""
    feature = DailyFeature(paper_id, day or today(), submitted_by, upvotes, source)
    add_features(target, feature)
    return feature


# -- members ----------------------------------------------------------------------------------
def member(ctx: AppContext, username: str = "ada", *, role: str = "user", verified: bool = True,
           email: str | None = None, display_name: str | None = None, password: str = PASSWORD,
           now: datetime | None = None) -> UserRow:
    """A member signed up through the accounts service (verified unless said otherwise)."""
    return accounts.create_user(
        ctx, email=email or f"{username}@example.org", username=username, password=password, role=role,
        verified=verified, display_name=display_name, now=now,
    )


# -- a browser --------------------------------------------------------------------------------
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, path: str = "/papers") -> str:
    """The CSRF token a page hands out in its forms (the same value as its ``pb_csrf`` cookie)."""
    match = _CSRF_FIELD.search(client.get(path).text)
    assert match, f"{path} has no CSRF field"
    return match[1]


class Browser:
    """One visitor of the in-process site: its own cookies, a CSRF token taken from a page as a
    browser would (fetched again once the session changes, since the token is bound to it), and
    forms posted with it. Use it in a ``with`` block to run the app's start-up and shut-down."""

    def __init__(self, app_or_ctx, *, base_url: str = BASE_URL) -> None:
        app = create_app(app_or_ctx) if isinstance(app_or_ctx, AppContext) else app_or_ctx
        self.client = TestClient(app, base_url=base_url, follow_redirects=False)
        self._token: tuple[str | None, str] | None = None  # (session cookie it was made for, token)

    def __enter__(self) -> "Browser":
        self.client.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.client.__exit__(*exc)

    @property
    def cookies(self):
        return self.client.cookies

    def login(self, user: UserRow) -> "Browser":
        """Hold a signed session cookie for ``user``, as logging in leaves (without the form)."""
        self.client.cookies.set(SESSION_COOKIE, self.client.app.state.sessions.encode(user.id, user.session_version))
        return self

    def log_in(self, login: str = "ada", password: str = PASSWORD, next_path: str = "/papers"):
        """Log in through the form; the answer."""
        return self.post("/login", {"login": login, "password": password, "next": next_path})

    def csrf(self, path: str = "/papers") -> str:
        session = self.client.cookies.get(SESSION_COOKIE)
        if self._token is None or self._token[0] != session or self.client.cookies.get(CSRF_COOKIE) != self._token[1]:
            self._token = (session, csrf_token(self.client, path))
        return self._token[1]

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf()
        return self.client.post(path, data=form, **kwargs)

    def request(self, method: str, path: str, **kwargs):
        return self.client.request(method, path, **kwargs)

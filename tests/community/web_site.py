"""A site on an empty migrated database (each engine) with a fake arXiv on loopback, and helpers
to act as a member: log in (a real signed session cookie), fetch a CSRF token, post forms."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi.testclient import TestClient

from paperboard.adapters.store import papers as paper_store
from paperboard.domain.paper import Paper
from paperboard.services import accounts
from paperboard.web.auth import COOKIE
from tests.accounts.conftest import PASSWORD

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def today():
    return datetime.now(timezone.utc).date()


def add_paper(ctx, paper_id: str, *, title: str | None = None, announced=None, authors=("Ada Lovelace", "Charles Babbage")) -> None:
    with ctx.database.write() as connection:
        paper_store.upsert_papers(
            connection,
            [Paper(id=paper_id, title=title or f"Paper {paper_id}", abstract="About things.", authors=tuple(authors),
                   categories=("cs.CL",), announced=announced or today(), source="test")],
        )


def member(ctx, username: str, *, role: str = "user", verified: bool = True, display_name: str | None = None):
    return accounts.create_user(
        ctx, email=f"{username}@example.org", username=username, password=PASSWORD, role=role, verified=verified,
        display_name=display_name,
    )


class Browser:
    """One visitor's cookies on the in-process site."""

    def __init__(self, app) -> None:
        self.client = TestClient(app, follow_redirects=False)

    def login(self, user) -> "Browser":
        self.client.cookies.set(COOKIE, self.client.app.state.sessions.encode(user.id, user.session_version))
        return self

    def csrf(self) -> str:
        if not self.client.cookies.get("pb_csrf"):
            self.client.get("/papers")  # the banner's subscribe form hands out the token
        return self.client.cookies.get("pb_csrf")

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf()
        return self.client.post(path, data=form, **kwargs)

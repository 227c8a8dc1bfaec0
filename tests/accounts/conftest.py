"""A site on an empty migrated database (each engine) and helpers to make members."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from paperboard.services import accounts
from paperboard.services.context import AppContext
from paperboard.settings import Settings
from paperboard.web.app import create_app

PASSWORD = "correct horse battery staple"


def make_ctx(database_url: str, home, **overrides) -> AppContext:
    values = dict(
        home=home, database_url=database_url, base_url="http://testserver", secret_key="k" * 40,
        embedding_model="hashing", on_demand_timeout_seconds=0,
    )
    values.update(overrides)
    return AppContext(Settings(**values))


@pytest.fixture
def site_ctx(database, tmp_path):
    ctx = make_ctx(database.url.render_as_string(hide_password=False), tmp_path / "home")
    yield ctx
    ctx.database.dispose()


@pytest.fixture
def client(site_ctx):
    with TestClient(create_app(site_ctx), follow_redirects=False) as test_client:
        yield test_client


def make_member(ctx, username="ada", role="user", email=None):
    return accounts.create_user(
        ctx, email=email or f"{username}@example.org", username=username, password=PASSWORD, role=role, verified=True
    )


def csrf(client) -> str:
    """A CSRF token for the client, as a page hands one out (and the cookie it goes with)."""
    client.get("/papers")
    return client.cookies.get("pb_csrf")

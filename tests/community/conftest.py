"""Members and papers for the community tests, on the parametrised real database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store import users as user_store
from paperboard.domain.paper import Paper
from paperboard.services.context import AppContext
from paperboard.settings import Settings

NOW = datetime(2026, 4, 8, 10, 30)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture
def ctx(database, tmp_path) -> AppContext:
    context = AppContext(
        Settings(
            home=tmp_path,
            database_url=database.url.render_as_string(hide_password=False),
            submission_max_age_days=7,
            submission_daily_quota=2,
        )
    )
    context.__dict__["database"] = database  # share the fixture's migrated database
    return context


def add_member(database, username: str, role: str = "user") -> int:
    with database.write() as connection:
        return user_store.create_user(
            connection, email=f"{username}@example.org", username=username, password_hash="not-a-real-hash",
            now=NOW, role=role, verified=True,
        )


def add_paper(database, paper_id: str, announced: date = TODAY, authors=("Ada Lovelace", "Charles Babbage"), title=None) -> None:
    with database.write() as connection:
        paper_store.upsert_papers(
            connection,
            [Paper(id=paper_id, title=title or f"Paper {paper_id}", abstract="About things.", authors=tuple(authors),
                   categories=("cs.CL",), announced=announced, source="test")],
        )

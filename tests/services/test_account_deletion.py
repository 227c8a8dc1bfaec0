"""Deleting an account leaves no personal datum behind: every table is scanned afterwards."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, insert, select

from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.schema import (
    author_claims,
    collection_items,
    collections,
    comment_reports,
    comments,
    rate_limit_hits,
    subscriptions,
    upvotes,
)
from paperboard.domain.paper import Paper
from paperboard.services import accounts, ratelimit, submissions
from paperboard.services.accounts import AccountError
from paperboard.services.subscriptions import subscribe
from tests.factories import PASSWORD, member

EMAIL, USERNAME, DISPLAY = "zqx.leaving@example.org", "zqx-leaving", "Zqx Leaving-Person"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _every_row(database) -> dict[str, list[tuple]]:
    """Every row of every table the database has, including the ones no schema declares (FTS)."""
    reflected = MetaData()
    with database.read() as connection:
        reflected.reflect(bind=connection)
        return {name: [tuple(row) for row in connection.execute(select(table))] for name, table in reflected.tables.items()}


def _mentions(rows: dict[str, list[tuple]], *needles: str) -> list[str]:
    return [
        f"{table}: {row}"
        for table, table_rows in rows.items()
        for row in table_rows
        if any(needle.lower() in str(value).lower() for value in row for needle in needles)
    ]


def test_deleting_an_account_leaves_no_personal_data(ctx):
    now = _now()
    paper = Paper(id="2604.00001", title="A paper", abstract="Words.", authors=("Zqx Leaving-Person", "Bob Stays"),
                  categories=("cs.CL",), announced=now.date(), source="test")
    other = Paper(id="2604.00002", title="Another", abstract="More words.", categories=("cs.CL",), announced=now.date(), source="test")
    with ctx.database.write() as connection:
        paper_store.upsert_papers(connection, [paper, other])
    leaving = accounts.create_user(ctx, email=EMAIL, username=USERNAME, password=PASSWORD, display_name=DISPLAY)
    staying = member(ctx, "bob-stays")

    # Everything a member can leave behind: tokens, counters, a digest subscription, votes, a
    # comment with a reply and a report, a collection, a claim, a submission to the feed.
    accounts.create_api_token(ctx, leaving.id, "script")
    accounts.log_in(ctx, USERNAME, PASSWORD, ip="192.0.2.1")
    accounts.log_in(ctx, EMAIL, PASSWORD, ip="192.0.2.1")
    ratelimit.check(ctx, "vote", str(leaving.id))
    subscribe(ctx, EMAIL)
    submissions.submit(ctx, leaving.id, paper.id, now=now)
    with ctx.database.write() as connection:
        connection.execute(subscriptions.update().where(subscriptions.c.email == EMAIL).values(user_id=str(leaving.id)))
        connection.execute(insert(upvotes), [{"user_id": leaving.id, "paper_id": paper.id, "created_at": now},
                                             {"user_id": staying.id, "paper_id": paper.id, "created_at": now}])
        top = connection.execute(insert(comments).values(paper_id=paper.id, user_id=leaving.id, body=f"I am {DISPLAY}", created_at=now).returning(comments.c.id)).scalar_one()
        reply = connection.execute(insert(comments).values(paper_id=paper.id, user_id=staying.id, parent_id=top, body="A reply", created_at=now).returning(comments.c.id)).scalar_one()
        connection.execute(insert(comment_reports).values(comment_id=reply, user_id=leaving.id, reason="spam", created_at=now))
        connection.execute(comments.update().where(comments.c.id == reply).values(hidden_at=now, hidden_by=leaving.id))
        collection = connection.execute(insert(collections).values(user_id=leaving.id, slug="mine", title=f"{USERNAME}'s list", created_at=now, updated_at=now).returning(collections.c.id)).scalar_one()
        connection.execute(insert(collection_items).values(collection_id=collection, paper_id=other.id, added_at=now))
        connection.execute(insert(author_claims).values(user_id=leaving.id, paper_id=paper.id, author_position=0, author_name=DISPLAY, created_at=now))
        connection.execute(insert(author_claims).values(user_id=staying.id, paper_id=paper.id, author_position=1, author_name="Bob Stays", status="approved", created_at=now, decided_at=now, decided_by=leaving.id))

    before = _every_row(ctx.database)
    assert _mentions(before, EMAIL) and _mentions(before, USERNAME)  # the scan can see them

    with pytest.raises(AccountError, match="not your current password"):
        accounts.delete_account(ctx, leaving.id, "a wrong password")
    assert accounts.delete_account(ctx, leaving.id, PASSWORD) == USERNAME

    after = _every_row(ctx.database)
    # The paper's own author list names the person: that is arXiv's public record, not account data.
    # Every needle holds a character no salt, hash or token alphabet has (" ", ".", "@") or is 11
    # characters long: a bare "zqx" once matched a random argon2 salt of a member who stays.
    leftovers = [line for line in _mentions(after, EMAIL, USERNAME, DISPLAY, "zqx leaving", "zqx.leaving")
                 if not line.startswith(("papers:", "search_documents:"))]
    assert leftovers == []
    reflected = MetaData()
    with ctx.database.read() as connection:
        reflected.reflect(bind=connection)
        for table in reflected.tables.values():
            for column in table.columns:
                if column.name in {"user_id", "hidden_by", "decided_by"}:
                    count = connection.execute(select(column).where(column == (str(leaving.id) if column.type.python_type is str else leaving.id))).all()
                    assert count == [], f"{table.name}.{column.name} still points at the deleted member"
        assert connection.execute(select(rate_limit_hits.c.key)).scalars().all() == ["192.0.2.1"]
    # What others made stays, without the link to the leaver.
    assert [r for r in after["comments"] if r[3] is None] and len(after["comments"]) == 1  # the reply, parent gone
    assert len(after["upvotes"]) == 1 and len(after["author_claims"]) == 1 and len(after["users"]) == 1
    assert after["daily_features"], "the submitted paper stays featured"

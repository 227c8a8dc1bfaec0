"""Collections, authorship claims and profiles through their services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from paperboard.adapters.store import users as user_store
from paperboard.adapters.store.schema import upvotes
from paperboard.errors import UserError
from paperboard.services import claims, collections, feed, profiles, submissions
from paperboard.services.claims import ClaimNotFound
from paperboard.services.collections import CollectionNotFound
from tests.factories import add_paper, member

NOW = datetime(2026, 4, 8, 10, 30)  # a Wednesday: the community services run on a fixed clock
TODAY = NOW.date()


@pytest.fixture
def ctx_settings() -> dict:
    return {"submission_max_age_days": 7, "submission_daily_quota": 2}


def test_collection_lifecycle_for_its_owner(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    add_paper(database, "2604.00002", announced=TODAY)
    made = collections.create(ctx, alice, title="  Reading   list ", description="Good <b>ones</b>", is_public=True)
    assert (made.slug, made.title, made.owner, made.is_public) == ("reading-list", "Reading list", "alice", True)
    assert collections.create(ctx, alice, title="Reading list").slug == "reading-list-2"
    assert collections.add_paper(ctx, alice, made.id, "2604.00001")[1]
    assert not collections.add_paper(ctx, alice, made.id, "2604.00001")[1]  # twice: one item
    collections.add_paper(ctx, alice, made.id, "2604.00002")
    page = collections.view(ctx, "alice", "reading-list", viewer_id=None)
    assert {p.id for p, _ in page.papers} == {"2604.00001", "2604.00002"} and not page.is_owner
    assert collections.remove_paper(ctx, alice, made.id, "2604.00001")[1]
    assert not collections.remove_paper(ctx, alice, made.id, "2604.00001")[1]
    edited = collections.edit(ctx, alice, made.id, title="Renamed", description="", is_public=False)
    assert (edited.slug, edited.title, edited.is_public, edited.size) == ("reading-list", "Renamed", False, 1)
    assert collections.delete(ctx, alice, made.id)
    assert not collections.delete(ctx, alice, made.id)
    with pytest.raises(CollectionNotFound):
        collections.view(ctx, "alice", "reading-list", viewer_id=alice)


def test_private_collections_exist_only_for_their_owner(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    add_paper(database, "2604.00001", announced=TODAY)
    secret = collections.create(ctx, alice, title="Secret", is_public=False)
    assert collections.view(ctx, "alice", "secret", viewer_id=alice).is_owner
    for viewer in (None, bob):
        with pytest.raises(CollectionNotFound):
            collections.view(ctx, "alice", "secret", viewer_id=viewer)
    with pytest.raises(CollectionNotFound):
        collections.add_paper(ctx, bob, secret.id, "2604.00001")
    with pytest.raises(CollectionNotFound):
        collections.edit(ctx, bob, secret.id, title="Mine now", description="", is_public=True)
    with pytest.raises(CollectionNotFound):
        collections.delete(ctx, bob, secret.id)
    assert [c.title for c in collections.of_member(ctx, alice, include_private=False)] == []
    assert [c.title for c in collections.of_member(ctx, alice, include_private=True)] == ["Secret"]


def test_collection_input_errors_are_user_errors(ctx, database):
    alice = member(ctx, "alice").id
    with pytest.raises(UserError, match="needs a title"):
        collections.create(ctx, alice, title=" ")
    made = collections.create(ctx, alice, title="List")
    with pytest.raises(UserError, match="no paper"):
        collections.add_paper(ctx, alice, made.id, "2604.99999")
    with pytest.raises(CollectionNotFound):
        collections.view(ctx, "alice", "../etc", viewer_id=alice)


def test_paper_page_choices_say_which_collections_hold_the_paper(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    first = collections.create(ctx, alice, title="First")
    collections.create(ctx, alice, title="Second")
    collections.add_paper(ctx, alice, first.id, "2604.00001")
    held = {c.collection.title: c.holds_paper for c in collections.choices_for(ctx, alice, "2604.00001")}
    assert held == {"First": True, "Second": False}


def test_claims_wait_for_a_moderator_and_one_slot_has_one_approved_claim(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    moderator = member(ctx, "mod1", role="moderator").id
    add_paper(database, "2604.00001", announced=TODAY)
    first = claims.claim(ctx, alice, "2604.00001", 0)
    assert first.created and first.claim.status == "pending" and first.claim.author_name == "Ada Lovelace"
    assert not claims.claim(ctx, alice, "2604.00001", 0).created
    with pytest.raises(UserError, match="already claimed to be Ada Lovelace"):
        claims.claim(ctx, alice, "2604.00001", 1)
    rival = claims.claim(ctx, bob, "2604.00001", 0).claim
    assert [c.username for c in claims.pending(ctx)] == ["alice", "bob"]

    assert claims.decide(ctx, moderator, first.claim.id, "approved").status == "approved"
    assert claims.decide(ctx, moderator, first.claim.id, "approved").status == "approved"  # repeat: no change
    with pytest.raises(UserError, match="already approved"):
        claims.decide(ctx, moderator, rival.id, "approved")
    assert claims.decide(ctx, moderator, rival.id, "rejected").status == "rejected"
    assert claims.approved_on(ctx, "2604.00001") == {0: "alice"}
    assert claims.pending(ctx) == []
    # A moderator may change their mind: reject alice's, then bob's can be approved.
    claims.decide(ctx, moderator, first.claim.id, "rejected")
    assert claims.decide(ctx, moderator, rival.id, "approved").status == "approved"
    assert claims.approved_on(ctx, "2604.00001") == {0: "bob"}


def test_claim_errors(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    with pytest.raises(UserError, match="has 2 authors"):
        claims.claim(ctx, alice, "2604.00001", 5)
    with pytest.raises(UserError, match="no paper"):
        claims.claim(ctx, alice, "2604.99999", 0)
    with pytest.raises(ClaimNotFound):
        claims.decide(ctx, alice, 12345, "approved")
    made = claims.claim(ctx, alice, "2604.00001", 1).claim
    with pytest.raises(UserError, match="approve or reject"):
        claims.decide(ctx, alice, made.id, "maybe")


def test_profile_lists_authored_submitted_upvoted_and_collections(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    moderator = member(ctx, "mod1", role="moderator").id
    for n in range(1, 4):
        add_paper(database, f"2604.0000{n}", announced=TODAY)
    claims.decide(ctx, moderator, claims.claim(ctx, alice, "2604.00001", 1).claim.id, "approved")
    claims.claim(ctx, alice, "2604.00002", 0)  # pending: not on the profile
    submissions.submit(ctx, alice, "2604.00002", now=NOW)
    with database.write() as connection:
        connection.execute(upvotes.insert().values(user_id=alice, paper_id="2604.00003", created_at=NOW))
    collections.create(ctx, alice, title="Public one", is_public=True)
    collections.create(ctx, alice, title="Private one", is_public=False)

    seen = profiles.profile(ctx, "Alice", viewer_id=bob)
    assert [(p.id, name) for p, name in seen.authored] == [("2604.00001", "Charles Babbage")]
    assert [(p.id, day) for p, day in seen.submitted] == [("2604.00002", NOW.date())]
    assert [p.id for p in seen.upvoted] == ["2604.00003"]
    assert [c.title for c in seen.collections] == ["Public one"] and not seen.is_self
    own = profiles.profile(ctx, "alice", viewer_id=alice)
    assert {c.title for c in own.collections} == {"Public one", "Private one"} and own.is_self
    assert profiles.profile(ctx, "nobody", viewer_id=None) is None

    with database.write() as connection:
        user_store.delete_user(connection, alice)
    assert profiles.profile(ctx, "alice", viewer_id=None) is None
    assert claims.approved_on(ctx, "2604.00001") == {}


def test_the_data_version_moves_when_credits_change(ctx, database):
    """Cached pages show approved claims and submitters' names: deciding a claim or deleting a
    member must empty the page caches of every web process."""
    alice = member(ctx, "alice").id
    moderator = member(ctx, "mod1", role="moderator").id
    add_paper(database, "2604.00001", announced=TODAY)
    claim_id = claims.claim(ctx, alice, "2604.00001", 0).claim.id
    before = feed.data_version(ctx)
    claims.decide(ctx, moderator, claim_id, "approved")
    approved = feed.data_version(ctx)
    claims.decide(ctx, moderator, claim_id, "rejected")
    rejected = feed.data_version(ctx)
    with database.write() as connection:
        user_store.delete_user(connection, alice)
    assert len({before, approved, rejected, feed.data_version(ctx)}) == 4

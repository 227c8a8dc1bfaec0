"""Upvotes and comments through the services, on SQLite and PostgreSQL: idempotence, counts on
cards, 50 members voting at once, the comment rules, moderation, and the page cache's data version."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from paperboard.adapters.store import features as feature_store
from paperboard.domain.paper import DailyFeature
from paperboard.services import comments, feed, votes
from paperboard.services.comments import CommentNotFound, Gone, NotYourComment, Refused
from paperboard.services.context import AppContext
from paperboard.services.votes import PaperNotFound
from paperboard.settings import Settings
from tests.factories import add_paper, make_ctx, member

NOW = datetime(2026, 4, 8, 10, 30)  # a Wednesday: the community services run on a fixed clock
TODAY = NOW.date()


@pytest.fixture
def ctx_settings() -> dict:
    return {"submission_max_age_days": 7, "submission_daily_quota": 2}


def _feature(database, paper_id: str, imported: int) -> None:
    with database.write() as connection:
        feature_store.upsert_features(connection, [DailyFeature(paper_id, TODAY, "hf-user", imported, "test")])


def test_upvoting_twice_counts_once_and_removing_twice_changes_nothing(ctx, database):
    ada = member(ctx, "ada").id
    add_paper(database, "2604.00001", announced=TODAY)
    _feature(database, "2604.00001", 7)
    first = votes.set_upvote(ctx, ada, "https://arxiv.org/abs/2604.00001v3", True)
    assert (first.paper_id, first.voted, first.changed, first.member_upvotes, first.upvotes) == ("2604.00001", True, True, 1, 8)
    again = votes.set_upvote(ctx, ada, "2604.00001", True)
    assert (again.changed, again.member_upvotes) == (False, 1)
    assert votes.upvoted_among(ctx, ada) == {"2604.00001"}
    item = feed.daily(ctx, None).items[0]
    assert (item.member_upvotes, item.feature.upvotes, item.upvotes) == (1, 7, 8)
    assert feed.find_paper(ctx, "2604.00001").upvotes == 8
    removed = votes.set_upvote(ctx, ada, "2604.00001", False)
    assert (removed.voted, removed.changed, removed.upvotes) == (False, True, 7)
    assert not votes.set_upvote(ctx, ada, "2604.00001", False).changed
    assert feed.find_paper(ctx, "2604.00001").upvotes == 7


def test_voting_on_an_unknown_or_malformed_paper_is_refused(ctx, database):
    ada = member(ctx, "ada").id
    for text in ("2604.99999", "not an id", "", "x" * 500):
        with pytest.raises(PaperNotFound):
            votes.set_upvote(ctx, ada, text, True)


def test_members_upvotes_order_the_daily_feed_with_the_imported_ones(ctx, database):
    for n, imported in ((1, 5), (2, 4)):
        add_paper(database, f"2604.0000{n}", announced=TODAY)
        _feature(database, f"2604.0000{n}", imported)
    assert [i.paper.id for i in feed.daily(ctx, None).items] == ["2604.00001", "2604.00002"]
    for name in ("ada", "bob"):
        votes.set_upvote(ctx, member(ctx, name).id, "2604.00002", True)
    assert [(i.paper.id, i.upvotes) for i in feed.daily(ctx, None).items] == [("2604.00002", 6), ("2604.00001", 5)]


def _own_context(ctx: AppContext) -> AppContext:
    """A context with an engine of its own, as another process would have."""
    return AppContext(Settings(home=ctx.settings.home, database_url=ctx.settings.database_url))


def test_fifty_members_upvoting_at_once_count_exactly_fifty(ctx, database):
    add_paper(database, "2604.00001", announced=TODAY)
    members = [member(ctx, f"member{n:02d}").id for n in range(50)]
    # SQLite: an engine per voter, so the votes meet at the database's single writer (BEGIN
    # IMMEDIATE with a busy timeout), not at this process's lock. PostgreSQL: one pool, 50 threads.
    contexts = [_own_context(ctx) for _ in members] if database.is_sqlite else [ctx] * len(members)
    start = threading.Barrier(len(members))

    def vote(args):
        member_id, context = args
        start.wait()
        return votes.set_upvote(context, member_id, "2604.00001", True)

    try:
        with ThreadPoolExecutor(max_workers=len(members)) as pool:
            results = list(pool.map(vote, zip(members, contexts)))
    finally:
        for context in contexts:
            if context is not ctx:
                context.database.dispose()
    assert all(r.changed for r in results)
    assert max(r.member_upvotes for r in results) == 50
    assert feed.find_paper(ctx, "2604.00001").member_upvotes == 50
    with ThreadPoolExecutor(max_workers=10) as pool:  # and again: nothing doubles
        assert not any(r.changed for r in pool.map(lambda m: votes.set_upvote(ctx, m, "2604.00001", True), members))
    assert feed.find_paper(ctx, "2604.00001").member_upvotes == 50


def test_comments_replies_edits_and_deletes(ctx, database):
    ada, bob = member(ctx, "ada").id, member(ctx, "bob").id
    add_paper(database, "2604.00001", announced=TODAY)
    add_paper(database, "2604.00002", announced=TODAY)
    top = comments.post(ctx, ada, "2604.00001", "  First **thought**  ", now=NOW)
    assert (top.body, top.username, top.parent_id) == ("First **thought**", "ada", None)
    reply = comments.post(ctx, bob, "2604.00001", "A reply", parent_id=top.id, now=NOW + timedelta(minutes=1))
    nested = comments.post(ctx, ada, "2604.00001", "A reply to the reply", parent_id=reply.id, now=NOW + timedelta(minutes=2))
    assert reply.parent_id == top.id and nested.parent_id == top.id  # one level deep
    with pytest.raises(Refused, match="not on this paper"):
        comments.post(ctx, bob, "2604.00002", "elsewhere", parent_id=top.id)
    with pytest.raises(Refused, match="needs some text"):
        comments.post(ctx, bob, "2604.00001", "   ")
    with pytest.raises(PaperNotFound):
        comments.post(ctx, bob, "2604.99999", "hello")

    with pytest.raises(NotYourComment):
        comments.edit(ctx, bob, top.id, "hijacked")
    with pytest.raises(NotYourComment):
        comments.delete(ctx, bob, top.id)
    edited = comments.edit(ctx, ada, top.id, "First thought, revised", now=NOW + timedelta(minutes=5))
    assert edited.body == "First thought, revised" and edited.edited_at == NOW + timedelta(minutes=5)

    gone = comments.delete(ctx, ada, top.id, now=NOW + timedelta(minutes=6))
    assert gone.deleted and gone.body == ""
    assert comments.delete(ctx, ada, top.id).deleted_at == gone.deleted_at  # idempotent
    with pytest.raises(Gone):
        comments.edit(ctx, ada, top.id, "back")
    threads = comments.discussion(ctx, "2604.00001").threads
    assert [(t.comment.id, t.comment.deleted, [r.id for r in t.replies]) for t in threads] == [(top.id, True, [reply.id, nested.id])]
    assert comments.discussion(ctx, "2604.00001").visible == 2
    assert feed.find_paper(ctx, "2604.00001").comment_count == 2
    with pytest.raises(CommentNotFound):
        comments.edit(ctx, ada, 10_000, "nothing there")


def test_length_limit_is_a_setting(database, tmp_path):
    ctx = make_ctx(database, tmp_path, comment_max_chars=20)
    ada = member(ctx, "ada").id
    add_paper(database, "2604.00001", announced=TODAY)
    assert comments.post(ctx, ada, "2604.00001", "x" * 20).body == "x" * 20
    with pytest.raises(Refused, match="at most 20 characters"):
        comments.post(ctx, ada, "2604.00001", "x" * 21)


def test_reports_hiding_unhiding_and_dismissing(ctx, database):
    ada, bob, cat = member(ctx, "ada").id, member(ctx, "bob").id, member(ctx, "cat").id
    mod = member(ctx, "mona", role="moderator").id
    add_paper(database, "2604.00001", title="A paper about things", announced=TODAY)
    rude = comments.post(ctx, ada, "2604.00001", "something rude")
    kind = comments.post(ctx, ada, "2604.00001", "something kind")
    with pytest.raises(Refused, match="your own comment"):
        comments.report(ctx, ada, rude.id, "me")
    assert comments.report(ctx, bob, rude.id, "rude").id == rude.id
    comments.report(ctx, bob, rude.id, "rude again")  # one per member: the first reason stands
    comments.report(ctx, cat, rude.id, "  very\n rude ")
    comments.report(ctx, cat, kind.id, "mistake")
    queue = comments.reported(ctx)
    assert [(r.comment.id, r.reports, r.reasons, r.paper_title) for r in queue] == [
        (rude.id, 2, ["rude", "very rude"], "A paper about things"), (kind.id, 1, ["mistake"], "A paper about things")
    ]
    assert comments.discussion(ctx, "2604.00001", viewer_id=bob).reported == {rude.id}

    comments.moderate(ctx, mod, rude.id, "hide")
    comments.moderate(ctx, mod, kind.id, "dismiss")
    assert comments.reported(ctx) == []
    visitor = comments.discussion(ctx, "2604.00001")
    assert [t.comment.id for t in visitor.threads] == [kind.id] and visitor.visible == 1
    moderator = comments.discussion(ctx, "2604.00001", viewer_id=mod, moderator=True)
    assert [(t.comment.id, t.comment.hidden) for t in moderator.threads] == [(rude.id, True), (kind.id, False)]
    assert feed.find_paper(ctx, "2604.00001").comment_count == 1
    with pytest.raises(Refused, match="hidden"):
        comments.post(ctx, bob, "2604.00001", "a reply", parent_id=rude.id)

    comments.moderate(ctx, mod, rude.id, "unhide")
    assert [t.comment.id for t in comments.discussion(ctx, "2604.00001").threads] == [rude.id, kind.id]
    # A report by someone who had not reported it yet puts it back in the queue.
    comments.report(ctx, member(ctx, "dan").id, rude.id, "still rude")
    assert [(r.comment.id, r.reports) for r in comments.reported(ctx)] == [(rude.id, 1)]


def test_the_data_version_moves_with_every_vote_and_comment_change(ctx, database):
    ada, mod = member(ctx, "ada").id, member(ctx, "mona", role="moderator").id
    add_paper(database, "2604.00001", announced=TODAY)
    seen = [feed.data_version(ctx)]

    def changed() -> bool:
        seen.append(feed.data_version(ctx))
        return seen[-1] != seen[-2]

    votes.set_upvote(ctx, ada, "2604.00001", True)
    assert changed()
    votes.set_upvote(ctx, ada, "2604.00001", False)
    assert changed()
    comment = comments.post(ctx, ada, "2604.00001", "hello")
    assert changed()
    comments.edit(ctx, ada, comment.id, "hello again")
    assert changed()
    comments.moderate(ctx, mod, comment.id, "hide")
    assert changed()
    comments.moderate(ctx, mod, comment.id, "unhide")
    assert changed()
    comments.delete(ctx, ada, comment.id)
    assert changed()
    assert not changed()  # reading changes nothing

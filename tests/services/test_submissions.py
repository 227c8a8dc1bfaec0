"""Submitting to the daily feed and featuring by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest

from paperboard.adapters.store import users as user_store
from paperboard.domain.submission import AlreadyFeatured, QuotaReached, SubmissionRefused
from paperboard.errors import UserError
from paperboard.services import feed, submissions
from paperboard.services.context import AppContext
from paperboard.services.submissions import UnknownPaper
from tests.factories import add_paper, member

NOW = datetime(2026, 4, 8, 10, 30)  # a Wednesday: the community services run on a fixed clock
TODAY = NOW.date()


@pytest.fixture
def ctx_settings() -> dict:
    return {"submission_max_age_days": 7, "submission_daily_quota": 2}


def test_a_submission_features_the_paper_today_and_credits_the_member(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    result = submissions.submit(ctx, alice, "https://arxiv.org/abs/2604.00001v2", now=NOW)
    assert result.created and result.featured_on == TODAY
    page = feed.daily(ctx, None)
    assert page.period.start == TODAY and [i.paper.id for i in page.items] == ["2604.00001"]
    feature = page.items[0].feature
    assert feature.source == "community" and feature.member == "alice" and feature.credited == "alice"
    assert feed.find_paper(ctx, "2604.00001").feature.credited == "alice"
    # The API's submitter filter finds a member's submissions by username.
    assert [i.paper.id for i in feed.recent(ctx, submitter="alice").items] == ["2604.00001"]


def test_submitting_twice_changes_nothing_and_does_not_count_twice(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    add_paper(database, "2604.00002", announced=TODAY)
    submissions.submit(ctx, alice, "2604.00001", now=NOW)
    again = submissions.submit(ctx, alice, "2604.00001", now=NOW + timedelta(hours=1))
    assert not again.created and again.featured_on == TODAY
    assert submissions.submit(ctx, alice, "2604.00002", now=NOW).created  # quota 2: the repeat did not use it
    assert feed.daily(ctx, None).total == 2


def test_a_paper_featured_by_someone_else_is_refused_naming_when_and_by_whom(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    add_paper(database, "2604.00001", announced=TODAY)
    submissions.submit(ctx, alice, "2604.00001", now=NOW - timedelta(days=1))
    with pytest.raises(AlreadyFeatured, match=r"already featured on 2026-04-07 \(submitted by alice\)"):
        submissions.submit(ctx, bob, "2604.00001", now=NOW)


def test_daily_quota_counts_the_members_submissions_of_the_utc_day(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    for n in range(1, 5):
        add_paper(database, f"2604.0000{n}", announced=TODAY)
    submissions.submit(ctx, alice, "2604.00001", now=NOW)
    submissions.submit(ctx, alice, "2604.00002", now=NOW)
    with pytest.raises(QuotaReached) as raised:
        submissions.submit(ctx, alice, "2604.00003", now=NOW)
    assert raised.value.retry_after == 13 * 3600 + 30 * 60  # until 00:00 UTC
    assert submissions.submit(ctx, bob, "2604.00003", now=NOW).created  # bob has a quota of his own
    assert submissions.submit(ctx, alice, "2604.00004", now=NOW + timedelta(days=1)).featured_on == TODAY + timedelta(days=1)


def test_too_old_papers_are_refused(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2603.00001", announced=TODAY - timedelta(days=8))
    with pytest.raises(SubmissionRefused, match="8 days ago"):
        submissions.submit(ctx, alice, "2603.00001", now=NOW)
    assert feed.find_paper(ctx, "2603.00001").feature is None


def test_unknown_and_malformed_ids(ctx, database):
    alice = member(ctx, "alice").id
    with pytest.raises(UnknownPaper) as raised:
        submissions.submit(ctx, alice, "2604.99999", now=NOW)
    assert raised.value.paper_id == "2604.99999"
    with pytest.raises(UserError, match="is not an arXiv id"):
        submissions.submit(ctx, alice, "<script>", now=NOW)


def test_after_account_deletion_the_feature_stays_credited_to_a_former_member(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00001", announced=TODAY)
    submissions.submit(ctx, alice, "2604.00001", now=NOW)
    with database.write() as connection:
        user_store.delete_user(connection, alice)
    feature = feed.find_paper(ctx, "2604.00001").feature
    assert feature.member is None and feature.credited == "a former member" and feature.submitter is None


def test_admin_features_moves_and_unfeatures(ctx, database):
    admin = member(ctx, "editor", role="admin").id
    add_paper(database, "2604.00001", announced=date(2020, 1, 1))  # age rules are for members, not admins
    day = date(2026, 4, 6)
    assert submissions.feature(ctx, "2604.00001", day, by_member=admin, now=NOW).changed
    assert not submissions.feature(ctx, "2604.00001", day, by_member=admin, now=NOW).changed
    found = feed.find_paper(ctx, "2604.00001").feature
    assert (found.featured_on, found.source, found.credited) == (day, "admin", "editor")
    assert submissions.feature(ctx, "2604.00001", date(2026, 4, 9), now=NOW).changed
    assert feed.find_paper(ctx, "2604.00001").feature.featured_on == date(2026, 4, 9)
    assert submissions.unfeature(ctx, "2604.00001").changed
    assert not submissions.unfeature(ctx, "2604.00001").changed
    assert feed.find_paper(ctx, "2604.00001").feature is None
    with pytest.raises(UnknownPaper):
        submissions.feature(ctx, "2604.99999", day)


def test_unfeatured_papers_can_be_submitted_again(ctx, database):
    alice, bob = member(ctx, "alice").id, member(ctx, "bob").id
    add_paper(database, "2604.00001", announced=TODAY)
    submissions.submit(ctx, alice, "2604.00001", now=NOW)
    submissions.unfeature(ctx, "2604.00001")
    assert submissions.submit(ctx, bob, "2604.00001", now=NOW).created
    assert feed.find_paper(ctx, "2604.00001").feature.credited == "bob"


def test_concurrent_submissions_of_one_paper_feature_it_once(ctx, database):
    members = [member(ctx, f"member{n}").id for n in range(8)]
    add_paper(database, "2604.00001", announced=TODAY)

    def attempt(member_id):
        try:
            return submissions.submit(ctx, member_id, "2604.00001", now=NOW).created
        except AlreadyFeatured:
            return False

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, members))
    assert outcomes.count(True) == 1
    assert feed.daily(ctx, None).total == 1


def test_concurrent_submissions_by_one_member_respect_the_quota(ctx, database):
    alice = member(ctx, "alice").id
    ids = [f"2604.0001{n}" for n in range(6)]
    for paper_id in ids:
        add_paper(database, paper_id, announced=TODAY)

    def attempt(paper_id):
        try:
            return submissions.submit(ctx, alice, paper_id, now=NOW).created
        except QuotaReached:
            return False

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, ids))
    assert outcomes.count(True) == 2  # the quota in the test settings


def _with_policy(ctx, database, policy):
    other = AppContext(ctx.settings.model_copy(update={"submission_weekend_policy": policy}))
    other.__dict__["database"] = database
    return other


def test_weekend_policies_end_to_end(ctx, database):
    alice = member(ctx, "alice").id
    add_paper(database, "2604.00010", announced=date(2026, 4, 10))
    add_paper(database, "2604.00011", announced=date(2026, 4, 10))
    saturday = datetime(2026, 4, 11, 9, 0)
    with pytest.raises(SubmissionRefused, match="closed at weekends"):
        submissions.submit(_with_policy(ctx, database, "refuse"), alice, "2604.00010", now=saturday)
    assert feed.find_paper(ctx, "2604.00010").feature is None
    monday = submissions.submit(_with_policy(ctx, database, "next_monday"), alice, "2604.00010", now=saturday)
    assert monday.featured_on == date(2026, 4, 13)
    assert [i.paper.id for i in feed.daily(ctx, feed.period_of(feed.DAY, date(2026, 4, 13))).items] == ["2604.00010"]
    same_day = submissions.submit(_with_policy(ctx, database, "allow"), alice, "2604.00011", now=saturday)
    assert same_day.featured_on == date(2026, 4, 11)

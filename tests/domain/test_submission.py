from datetime import date, datetime

import pytest

from paperboard.domain.submission import (
    ALLOW,
    NEXT_MONDAY,
    REFUSE,
    AlreadyFeatured,
    ExistingFeature,
    QuotaReached,
    SubmissionRefused,
    SubmissionRules,
    check_submission,
    featured_day,
    paper_day,
    seconds_until_tomorrow,
)

WEDNESDAY = date(2026, 4, 8)
SATURDAY = date(2026, 4, 11)
SUNDAY = date(2026, 4, 12)
MONDAY = date(2026, 4, 13)


def check(rules=None, *, today=WEDNESDAY, day_of_paper=WEDNESDAY, submitted_today=0, existing=None):
    return check_submission(
        rules or SubmissionRules(max_age_days=7, daily_quota=3),
        paper_id="2604.01234",
        today=today,
        day_of_paper=day_of_paper,
        submitted_today=submitted_today,
        existing=existing,
    )


def test_a_fresh_paper_is_featured_on_the_submission_day():
    assert check() == WEDNESDAY


@pytest.mark.parametrize("age, accepted", [(0, True), (7, True), (8, False), (400, False)])
def test_age_limit_counts_days_from_the_papers_date_to_the_featured_day(age, accepted):
    paper = date.fromordinal(WEDNESDAY.toordinal() - age)
    if accepted:
        assert check(day_of_paper=paper) == WEDNESDAY
    else:
        with pytest.raises(SubmissionRefused, match=f"{age} days ago; the daily feed takes papers at most 7 days old"):
            check(day_of_paper=paper)


def test_a_paper_dated_after_today_is_not_too_old():
    assert check(day_of_paper=date(2026, 4, 9)) == WEDNESDAY


def test_a_paper_without_any_date_is_refused_with_the_reason():
    with pytest.raises(SubmissionRefused, match="no announcement or publication date"):
        check(day_of_paper=None)


def test_quota_allows_up_to_the_limit_and_then_refuses_with_429():
    assert check(submitted_today=2) == WEDNESDAY
    with pytest.raises(QuotaReached, match="limit is 3 submissions per day") as raised:
        check(submitted_today=3)
    assert raised.value.status == 429


def test_duplicate_names_when_and_by_whom_before_any_other_reason():
    existing = ExistingFeature(date(2026, 3, 1), "alice")
    with pytest.raises(AlreadyFeatured, match=r"already featured on 2026-03-01 \(submitted by alice\)") as raised:
        # Also too old and over quota: the duplicate is what the member needs to hear.
        check(day_of_paper=date(2020, 1, 1), submitted_today=99, existing=existing)
    assert raised.value.status == 409


def test_duplicate_of_an_uncredited_feature_says_only_when():
    with pytest.raises(AlreadyFeatured) as raised:
        check(existing=ExistingFeature(date(2026, 3, 1), None))
    assert str(raised.value).endswith("already featured on 2026-03-01; a paper is featured once.")


@pytest.mark.parametrize("today", [WEDNESDAY, MONDAY, date(2026, 4, 10)])
@pytest.mark.parametrize("policy", [ALLOW, NEXT_MONDAY, REFUSE])
def test_weekdays_are_the_same_under_every_weekend_policy(today, policy):
    assert featured_day(today, policy) == today


@pytest.mark.parametrize("today", [SATURDAY, SUNDAY])
def test_weekend_policies(today):
    assert featured_day(today, ALLOW) == today
    assert featured_day(today, NEXT_MONDAY) == MONDAY
    with pytest.raises(SubmissionRefused, match="closed at weekends"):
        featured_day(today, REFUSE)


def test_next_monday_counts_age_to_the_monday_it_is_featured():
    rules = SubmissionRules(max_age_days=2, daily_quota=3, weekend_policy=NEXT_MONDAY)
    # Saturday submission of a Friday paper: three days old by Monday.
    with pytest.raises(SubmissionRefused, match="3 days ago"):
        check(rules, today=SATURDAY, day_of_paper=date(2026, 4, 10))
    assert check(rules, today=SATURDAY, day_of_paper=SATURDAY) == MONDAY


def test_an_unknown_weekend_policy_is_a_configuration_error():
    with pytest.raises(ValueError, match="weekend policy is one of allow, next_monday, refuse"):
        SubmissionRules(7, 3, "sometimes")


def test_paper_day_prefers_the_announcement_over_publication():
    assert paper_day(date(2026, 4, 2), datetime(2026, 3, 30, 17, 0)) == date(2026, 4, 2)
    assert paper_day(None, datetime(2026, 3, 30, 17, 0)) == date(2026, 3, 30)
    assert paper_day(None, None) is None


def test_quota_resets_at_midnight_utc():
    assert seconds_until_tomorrow(datetime(2026, 4, 8, 23, 59, 30)) == 30
    assert seconds_until_tomorrow(datetime(2026, 4, 8, 0, 0, 0)) == 86400

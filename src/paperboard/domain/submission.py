"""The rules of submitting a paper to the daily feed, as pure functions of the facts and a day.

A member submits a paper by arXiv id and it is featured on the submission day (UTC), when:

- no duplicate: the paper has not been featured already (a paper is featured once, ever);
- weekend policy: ``allow`` features it on a Saturday or Sunday like any day; ``next_monday``
  features it on the following Monday (arXiv announces nothing at weekends, so the weekend's
  submissions lead Monday's feed); ``refuse`` asks the member to come back on Monday;
- age: the paper's own date (announced by arXiv, else published) is at most ``max_age_days``
  before the featured day, so the daily feed stays a feed of new work;
- quota: the member has made fewer than ``daily_quota`` submissions that UTC day.

The order matters only for which reason a person reads first: the duplicate (which names when
and by whom) before the others, since re-submitting a featured paper is the commonest mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from paperboard.errors import UserError

ALLOW, NEXT_MONDAY, REFUSE = "allow", "next_monday", "refuse"
WEEKEND_POLICIES = (ALLOW, NEXT_MONDAY, REFUSE)
ADMIN = "admin"  # the ``daily_features.source`` of a feature an administrator set by hand


class SubmissionRefused(UserError):
    """A submission the rules turn down; ``status`` is the HTTP status that fits the reason."""

    status = 400
    retry_after: int | None = None


class AlreadyFeatured(SubmissionRefused):
    status = 409


class QuotaReached(SubmissionRefused):
    status = 429


@dataclass(frozen=True)
class SubmissionRules:
    max_age_days: int
    daily_quota: int
    weekend_policy: str = ALLOW

    def __post_init__(self) -> None:
        if self.weekend_policy not in WEEKEND_POLICIES:
            raise ValueError(f"weekend policy is one of {', '.join(WEEKEND_POLICIES)}, not {self.weekend_policy!r}")


@dataclass(frozen=True)
class ExistingFeature:
    """What the feed already holds for the paper: when, and the name to credit (None: nobody)."""

    featured_on: date
    credited: str | None


def featured_day(today: date, policy: str) -> date:
    """The day a submission made on ``today`` is featured, or SubmissionRefused at weekends under ``refuse``."""
    if today.weekday() < 5 or policy == ALLOW:
        return today
    if policy == NEXT_MONDAY:
        return today + timedelta(days=7 - today.weekday())
    raise SubmissionRefused("Submissions are closed at weekends on this site; please submit it again on Monday (UTC).")


def paper_day(announced: date | None, published: datetime | date | None) -> date | None:
    """The date a paper's age counts from: arXiv's announcement, else its first publication."""
    if announced is not None:
        return announced
    if isinstance(published, datetime):
        return published.date()
    return published


def seconds_until_tomorrow(now: datetime) -> int:
    """Whole seconds from ``now`` (UTC, naive) to the next 00:00 UTC, when a daily quota resets."""
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min)
    return max(1, int((midnight - now).total_seconds()))


def check_submission(
    rules: SubmissionRules,
    *,
    paper_id: str,
    today: date,
    day_of_paper: date | None,
    submitted_today: int,
    existing: ExistingFeature | None,
) -> date:
    """The featured day of an accepted submission; raises SubmissionRefused with the reason otherwise."""
    if existing is not None:
        by = f" (submitted by {existing.credited})" if existing.credited else ""
        raise AlreadyFeatured(
            f"arXiv:{paper_id} was already featured on {existing.featured_on.isoformat()}{by}; a paper is featured once."
        )
    featured_on = featured_day(today, rules.weekend_policy)
    if day_of_paper is None:
        raise SubmissionRefused(f"arXiv:{paper_id} has no announcement or publication date, so its age cannot be checked.")
    age = (featured_on - day_of_paper).days
    if age > rules.max_age_days:
        raise SubmissionRefused(
            f"arXiv:{paper_id} is from {day_of_paper.isoformat()}, {age} days ago; the daily feed takes papers "
            f"at most {rules.max_age_days} days old."
        )
    if submitted_today >= rules.daily_quota:
        plural = "" if rules.daily_quota == 1 else "s"
        raise QuotaReached(
            f"You have submitted {submitted_today} paper{'' if submitted_today == 1 else 's'} today; the limit is "
            f"{rules.daily_quota} submission{plural} per day (UTC). Please submit it again tomorrow."
        )
    return featured_on

"""Submitting papers to the daily feed (members) and featuring or unfeaturing them (administrators).

The rules are ``domain.submission``'s; this module gathers the facts they need in the same write
transaction that records the outcome, so the quota and the no-duplicate rule hold under
concurrent requests (one writer on SQLite, the member's row lock and the features' primary key on
PostgreSQL). Every write is idempotent: submitting a paper one already submitted, or featuring a
paper on the day it is already featured, changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from paperboard.adapters.store import submissions as store
from paperboard.adapters.store.papers import get_paper
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import COMMUNITY, Paper
from paperboard.domain.submission import (
    ADMIN,
    ExistingFeature,
    QuotaReached,
    SubmissionRules,
    check_submission,
    paper_day,
    seconds_until_tomorrow,
)
from paperboard.errors import UserError
from paperboard.services.context import AppContext


class UnknownPaper(UserError):
    """A well-formed arXiv id this site does not hold (yet): the web layer may fetch it and retry."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(f"This site does not have arXiv:{paper_id}.")
        self.paper_id = paper_id


@dataclass(frozen=True)
class Submission:
    paper: Paper
    featured_on: date
    created: bool  # False: the member had submitted it before and nothing changed


@dataclass(frozen=True)
class FeatureChange:
    paper_id: str
    featured_on: date | None  # None: not featured (after unfeature)
    changed: bool


def rules(ctx: AppContext) -> SubmissionRules:
    s = ctx.settings
    return SubmissionRules(s.submission_max_age_days, s.submission_daily_quota, s.submission_weekend_policy)


def paper_id_of(text: str) -> str:
    """The versionless arXiv id in ``text`` (an id, ``arXiv:`` label or arxiv.org URL), or a UserError."""
    try:
        return parse_arxiv_id(text).base
    except InvalidArxivId:
        raise UserError(f"“{(text or '')[:100]}” is not an arXiv id; arXiv ids look like 2401.01234 or hep-th/9901001.") from None



def submit(ctx: AppContext, member_id: int, text: str, *, now: datetime | None = None) -> Submission:
    """Feature the paper on today's feed (UTC) for the member, or raise SubmissionRefused / UnknownPaper."""
    paper_id = paper_id_of(text)
    now = now or ctx.now()
    with ctx.database.write() as connection:
        store.lock_member(connection, member_id)
        paper = get_paper(connection, paper_id)
        if paper is None:
            raise UnknownPaper(paper_id)
        before = store.submitted(connection, paper_id)
        if before is not None and before.member_id == member_id:
            return Submission(paper, before.feature.featured_on, created=False)
        facts = dict(
            paper_id=paper_id,
            today=now.date(),
            day_of_paper=paper_day(paper.announced, paper.published),
            submitted_today=store.count_submitted_on(connection, member_id, now.date()),
        )
        try:
            featured_on = check_submission(rules(ctx), **facts, existing=_existing(before))
        except QuotaReached as error:
            error.retry_after = seconds_until_tomorrow(now)
            raise
        if not store.add_feature(
            connection, paper_id=paper_id, featured_on=featured_on, source=COMMUNITY, user_id=member_id, now=now
        ):
            # Featured by someone else between our read and our insert: say so like any duplicate.
            check_submission(rules(ctx), **facts, existing=_existing(store.submitted(connection, paper_id)))
    return Submission(paper, featured_on, created=True)


def _existing(found: store.Submitted | None) -> ExistingFeature | None:
    return ExistingFeature(found.feature.featured_on, found.feature.credited) if found else None


def feature(ctx: AppContext, text: str, day: date, *, by_member: int | None = None, now: datetime | None = None) -> FeatureChange:
    """Put the paper on ``day``'s feed: a new feature credited to ``by_member``, or move the existing one."""
    paper_id = paper_id_of(text)
    now = now or ctx.now()
    with ctx.database.write() as connection:
        if get_paper(connection, paper_id) is None:
            raise UnknownPaper(paper_id)
        before = store.submitted(connection, paper_id)
        if before is None:
            store.add_feature(connection, paper_id=paper_id, featured_on=day, source=ADMIN, user_id=by_member, now=now)
            return FeatureChange(paper_id, day, changed=True)
        if before.feature.featured_on == day:
            return FeatureChange(paper_id, day, changed=False)
        store.move_feature(connection, paper_id, day, now)
    return FeatureChange(paper_id, day, changed=True)


def unfeature(ctx: AppContext, text: str) -> FeatureChange:
    """Take the paper off the daily feed (whoever featured it); unchanged when it was not featured."""
    paper_id = paper_id_of(text)
    with ctx.database.write() as connection:
        removed = store.remove_feature(connection, paper_id)
    return FeatureChange(paper_id, None, changed=removed)

"""Scheduled jobs: harvest windows and the scheduler's failure handling."""

from __future__ import annotations

from datetime import date

from paperboard.services.jobs import harvest_window
from paperboard.services.scheduler import Job, Scheduler


def test_first_harvest_reaches_back_the_initial_days():
    assert harvest_window(None, date(2026, 4, 10), 7) == (date(2026, 4, 3), date(2026, 4, 10))


def test_later_harvests_overlap_the_last_day():
    assert harvest_window(date(2026, 4, 10), date(2026, 4, 12), 7) == (date(2026, 4, 9), date(2026, 4, 12))


def test_a_failing_job_is_reported_and_does_not_stop_the_others():
    lines, ran = [], []

    def broken():
        raise RuntimeError("arXiv unreachable")

    scheduler = Scheduler(
        [Job("harvest", 60, broken), Job("other", 60, lambda: ran.append(1) or "did it")], report=lines.append
    )
    scheduler.run_due()
    assert lines == ["harvest: failed: arXiv unreachable", "other: did it"]
    assert ran == [1]
    assert scheduler.jobs[0].failures == 1
    scheduler.run_due()  # nothing is due again before the interval passes
    assert ran == [1]

"""GitHub repositories of papers and how fast they gain stars, from the history we observed.

We only know a repository's star count at the moments we asked GitHub, and we keep a row only
when the count changed, so the history is a step function: the count at any instant is the
latest observation at or before it (a check that finds the count unchanged only moves the
repository's ``last_checked_at``). Stars gained over a window are the count now minus the count
when the window opened. Three cases for a short history, each reported, never guessed:

* the history reaches back to the start of the window: the exact growth (``complete``);
* the repository was created inside the window: every star it has was gained in the window
  (a paper's brand-new code repository is exactly what trending should notice);
* otherwise: growth since our first observation, over the shorter span we actually watched
  (a single observation means no measured growth yet). We do not extrapolate: a repository
  watched for one day is not credited with seven days of stars it may never get.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_GITHUB_REPOSITORY = re.compile(r"https://github\.com/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)")


def github_repository(url: str) -> tuple[str, str] | None:
    """(owner, name) of a normalised ``https://github.com/owner/repo`` URL; None for anything else."""
    match = _GITHUB_REPOSITORY.fullmatch(url.strip())
    if not match or match.group(2) in (".", ".."):
        return None
    return match.group(1), match.group(2)


def paper_repository(code_urls: Sequence[str]) -> str | None:
    """The repository whose stars count for a paper: the first GitHub repository it links.

    Papers often also link the code they build on; the first link is the paper's own code far
    more often than not, and counting one repository keeps a paper that cites a famous library
    from inheriting that library's stars.
    """
    for url in code_urls:
        if github_repository(url):
            return url
    return None


@dataclass(frozen=True)
class StarObservation:
    observed_at: datetime
    stars: int


@dataclass(frozen=True)
class StarGrowth:
    gained: int
    # How many days of the window the growth covers: the whole window, or the part we watched.
    observed_days: float
    complete: bool

    def describe(self, window_days: int) -> str:
        if self.complete:
            return f"{self.gained:,} stars gained in {window_days} days"
        if self.observed_days <= 0:
            return "stars not watched long enough to measure growth"
        return f"{self.gained:,} stars gained in the {_span(self.observed_days)} watched so far"

    def span(self, window_days: int) -> str:
        """The time the growth covers, as it follows "N stars gained" on a page."""
        if self.complete:
            return f"in {window_days} days"
        if self.observed_days <= 0:
            return "(not watched long enough to measure)"
        return f"in the {_span(self.observed_days)} watched so far"


NO_GROWTH = StarGrowth(0, 0.0, False)


def star_growth(
    history: Iterable[StarObservation],
    as_of: datetime,
    window_days: int,
    repository_created_at: datetime | None = None,
    last_checked_at: datetime | None = None,
) -> StarGrowth:
    """Stars gained in the ``window_days`` before ``as_of`` (see the module text for short histories).

    ``last_checked_at`` is the last time GitHub confirmed the latest count, which may be later
    than the latest observation. Observations after ``as_of`` are ignored. Losing stars counts as
    no growth, not negative growth.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    window_start = as_of - timedelta(days=window_days)
    past = sorted((o for o in history if o.observed_at <= as_of), key=lambda o: o.observed_at)
    if not past:
        return NO_GROWTH
    latest = past[-1]
    before_window = [o for o in past if o.observed_at <= window_start]
    if before_window:
        return StarGrowth(max(0, latest.stars - before_window[-1].stars), float(window_days), True)
    if repository_created_at is not None and window_start <= repository_created_at <= as_of:
        return StarGrowth(max(0, latest.stars), float(window_days), True)
    first = past[0]
    watched_until = min(as_of, max(latest.observed_at, last_checked_at or latest.observed_at))
    watched_days = (watched_until - first.observed_at).total_seconds() / 86400
    return StarGrowth(max(0, latest.stars - first.stars), watched_days, False)


def _span(days: float) -> str:
    if days < 1:
        hours = max(1, round(days * 24))
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    whole = int(days)
    return f"{whole} day" if whole == 1 else f"{whole} days"

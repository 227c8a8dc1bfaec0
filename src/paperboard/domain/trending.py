"""The trending score: weighted signals of interest, decayed by how long ago a paper was featured.

    score = decay(age) × Σ_k weight_k × signal_k
    decay(age) = 0.5 ** (age_days / half_life_days)

``age_days`` is the time from the start (00:00 UTC) of the day the paper was featured to ``as_of``;
a paper featured more than ``window_days`` ago is not trending at all. The signals, by name:
``upvotes`` (this site's members, one per member), ``imported_upvotes`` (the count that came with
an imported daily feature) and ``github_stars`` (stars the paper's repository gained over
``stars_window_days``, see ``domain.star_history``), which counts as log(1 + stars); signal_k is
the raw value for the others. Every term is kept, and can be stored and read back
(``score_as_json`` / ``score_from_json``), so a page can say *why* a paper trends.

Pure: no clock, no I/O. The caller passes ``as_of`` and the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

UPVOTES, IMPORTED_UPVOTES, GITHUB_STARS = "upvotes", "imported_upvotes", "github_stars"
# How a signal is named on a page ("42 imported upvotes").
SIGNAL_LABELS = {UPVOTES: "upvotes", IMPORTED_UPVOTES: "imported upvotes", GITHUB_STARS: "GitHub stars gained"}
# Signals counted as log(1 + value): a repository gaining 5,000 stars in a week should lift its
# paper above one gaining 50, not bury every upvoted paper beneath it.
LOG_SIGNALS = frozenset({GITHUB_STARS})


@dataclass(frozen=True)
class TrendingParams:
    half_life_days: float = 3.0
    window_days: int = 14
    weights: Mapping[str, float] = field(default_factory=lambda: {"imported_upvotes": 1.0})

    def __post_init__(self) -> None:
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")


@dataclass(frozen=True)
class TrendingCandidate:
    """One featured paper and its raw signals (missing signals count as 0)."""

    paper_id: str
    featured_on: date
    signals: Mapping[str, float]
    # Words that qualify a signal's value on the page ("in the 2 days watched so far"), by signal.
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrendingTerm:
    signal: str
    value: float
    weight: float
    detail: str = ""

    @property
    def counted(self) -> float:
        """The value as the formula counts it: log(1 + value) for a LOG_SIGNALS signal."""
        return math.log1p(max(0.0, self.value)) if self.signal in LOG_SIGNALS else self.value

    @property
    def contribution(self) -> float:
        return self.counted * self.weight

    def describe(self) -> str:
        label = f"{_number(self.value)} {SIGNAL_LABELS.get(self.signal, self.signal.replace('_', ' '))}"
        if self.detail:
            label += f" {self.detail}"
        if self.signal in LOG_SIGNALS:
            label = f"log(1 + {label}) = {self.counted:.2f}"
        return label + ("" if self.weight == 1 else f" × {_number(self.weight)}")


@dataclass(frozen=True)
class TrendingScore:
    paper_id: str
    featured_on: date
    age_days: float
    decay: float
    terms: tuple[TrendingTerm, ...]
    half_life_days: float = TrendingParams.half_life_days

    @property
    def score(self) -> float:
        return self.decay * sum(term.contribution for term in self.terms)

    def explain(self, params: TrendingParams | None = None) -> str:
        """One sentence a reader can check: the signals, the decay, the result.

        The half-life is the one the score was computed with, unless ``params`` names another.
        """
        half_life = params.half_life_days if params else self.half_life_days
        parts = [t.describe() for t in self.terms]
        signals = " + ".join(parts) if parts else "no signals"
        return (
            f"{signals}, × {self.decay:.2f} for being featured {_days(self.age_days)} ago "
            f"(half-life {_number(half_life)} days) = {self.score:.1f}"
        )


def score_candidate(candidate: TrendingCandidate, as_of: datetime, params: TrendingParams) -> TrendingScore | None:
    """The candidate's score at ``as_of``, or None when it is outside the window (or in the future)."""
    featured_at = datetime.combine(candidate.featured_on, time.min)
    age = as_of.replace(tzinfo=None) - featured_at
    if age < timedelta(0) or age > timedelta(days=params.window_days):
        return None
    age_days = age.total_seconds() / 86400
    terms = tuple(
        TrendingTerm(name, float(candidate.signals.get(name, 0) or 0), float(weight), candidate.details.get(name, ""))
        for name, weight in params.weights.items()
    )
    decay = 0.5 ** (age_days / params.half_life_days)
    return TrendingScore(candidate.paper_id, candidate.featured_on, age_days, decay, terms, params.half_life_days)


def rank(candidates: Iterable[TrendingCandidate], as_of: datetime, params: TrendingParams) -> list[TrendingScore]:
    """Scores inside the window, best first; ties go to the more recently featured, then the id."""
    scored = [s for c in candidates if (s := score_candidate(c, as_of, params)) is not None]
    scored.sort(key=lambda s: (-s.score, -s.featured_on.toordinal(), s.paper_id))
    return scored


def score_as_json(score: TrendingScore) -> dict:
    """What the ``trending_scores`` table keeps of a score besides its paper, date and total."""
    return {
        "age_days": score.age_days,
        "decay": score.decay,
        "half_life_days": score.half_life_days,
        "terms": [
            {"signal": t.signal, "value": t.value, "weight": t.weight, **({"detail": t.detail} if t.detail else {})}
            for t in score.terms
        ],
    }


def score_from_json(paper_id: str, featured_on: date, data: Mapping) -> TrendingScore:
    """The score ``score_as_json`` stored; ValueError when ``data`` is not such a document."""
    try:
        terms = tuple(
            TrendingTerm(str(t["signal"]), float(t["value"]), float(t["weight"]), str(t.get("detail", "")))
            for t in data["terms"]
        )
        return TrendingScore(
            paper_id, featured_on, float(data["age_days"]), float(data["decay"]), terms, float(data["half_life_days"])
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"stored trending terms of {paper_id} are unreadable: {error!r}") from None


def _number(value: float) -> str:
    return f"{value:g}"


def _days(age_days: float) -> str:
    if age_days < 1:
        return "less than a day"
    whole = int(age_days)
    return f"{whole} day" if whole == 1 else f"{whole} days"

"""What goes into a subscriber's digest, and when a digest is due. Pure: no clock, no I/O.

Periods. A daily digest exists for each weekday (``daily:2026-04-14``); a weekly one for each ISO
week (``weekly:2026-W16``). A period becomes due at ``hour_utc`` on its day (Monday for a weekly
one) and stays due until the period ends, so a worker that was down at that hour still sends
it later the same day (week); a daily digest missed for a whole day is not sent late.

Content window. A digest shows papers *new since the subscriber's last digest*: announced (or
featured, for the trending section) after the day of the previous period they received, up to
and including this period's day; never more than ``MAX_WINDOW_DAYS`` back. A first digest covers
the nominal window: since the previous weekday (daily) or the previous seven days (weekly), or
since the nominal start of the first period owed to them when that one never went out. The window
moves on only with a delivered digest, so a period that failed never empties the next one.

Sections, in this order: trending, one per category, one per saved search, and for a subscriber
linked to an account "recommended for you" (papers similar to those the member upvoted or
collected, ``rank_recommendations``). A paper appears once, in the first section that has it;
empty sections are left out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from paperboard.domain.paper import Paper

DAILY, WEEKLY = "daily", "weekly"
FREQUENCIES = (DAILY, WEEKLY)
MAX_WINDOW_DAYS = 14
MAX_CATEGORIES = 20
MAX_SEARCHES = 10
MAX_SEARCH_CHARS = 200
_CATEGORY = re.compile(r"[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?")
_DAILY_KEY = re.compile(r"daily:(\d{4}-\d{2}-\d{2})")
_WEEKLY_KEY = re.compile(r"weekly:(\d{4})-W(\d{2})")


class InvalidTopics(ValueError):
    """Preferences that cannot be stored; the message says which part, for a person."""


# -- periods ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DigestPeriod:
    frequency: str
    day: date  # the day the digest is for: a weekday, or the Monday of the week

    @property
    def key(self) -> str:
        if self.frequency == WEEKLY:
            year, week, _ = self.day.isocalendar()
            return f"weekly:{year}-W{week:02d}"
        return f"daily:{self.day.isoformat()}"

    @property
    def label(self) -> str:
        if self.frequency == WEEKLY:
            return f"week {self.key[-2:].lstrip('0')} of {self.day.isocalendar()[0]}"
        return f"{self.day:%A}, {self.day:%B} {self.day.day}"


def period_for(frequency: str, day: date) -> DigestPeriod | None:
    """The period whose digest is sent on ``day``: None for a daily digest on a weekend."""
    if frequency == WEEKLY:
        return DigestPeriod(WEEKLY, day - timedelta(days=day.weekday()))
    if frequency == DAILY:
        return DigestPeriod(DAILY, day) if day.weekday() < 5 else None
    raise ValueError(f"unknown digest frequency {frequency!r}")


def due_period(frequency: str, now: datetime, hour_utc: int) -> DigestPeriod | None:
    """The period due at ``now`` (UTC), or None before the hour or on a weekend (daily)."""
    period = period_for(frequency, now.date())
    if period is None:
        return None
    if now.date() == period.day and now.hour < hour_utc:
        return None
    return period


def parse_period_key(key: str) -> DigestPeriod:
    if match := _DAILY_KEY.fullmatch(key or ""):
        day = date.fromisoformat(match.group(1))
        if day.weekday() >= 5:
            raise ValueError(f"{key!r}: daily digests exist on weekdays only")
        return DigestPeriod(DAILY, day)
    if match := _WEEKLY_KEY.fullmatch(key or ""):
        return DigestPeriod(WEEKLY, date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1))
    raise ValueError(f"{key!r} is not a digest period (daily:YYYY-MM-DD or weekly:YYYY-Www)")


@dataclass(frozen=True)
class ContentWindow:
    since: date  # inclusive
    until: date  # inclusive

    def __contains__(self, day: date | None) -> bool:
        return day is not None and self.since <= day <= self.until


def _nominal_since(period: DigestPeriod) -> date:
    if period.frequency == WEEKLY:
        return period.day - timedelta(days=6)
    previous = period.day - timedelta(days=1)
    while previous.weekday() >= 5:
        previous -= timedelta(days=1)
    return previous + timedelta(days=1)


def _parsed(key: str | None) -> DigestPeriod | None:
    try:
        return parse_period_key(key) if key else None
    except ValueError:
        return None


def content_window(period: DigestPeriod, last_period_key: str | None, first_owed_key: str | None = None) -> ContentWindow:
    """Days whose papers are new to this subscriber (see the module's notes).

    ``last_period_key`` is the last period whose digest was delivered; ``first_owed_key`` the
    earliest period whose digest was owed and not delivered (failed, bounced, in doubt, or left
    ``sending`` by a killed run). It matters for a subscriber who never got a digest: without it
    the window would be this period's nominal one, and the papers of the period that failed
    would never reach them. A delivered digest always wins: the window starts after it.
    """
    until = period.day
    since = _nominal_since(period)
    last, owed = _parsed(last_period_key), _parsed(first_owed_key)
    if last is not None and last.day < until:
        since = last.day + timedelta(days=1)
    elif last is None and owed is not None and owed.day < until:
        since = min(since, _nominal_since(owed))
    return ContentWindow(max(since, until - timedelta(days=MAX_WINDOW_DAYS - 1)), until)


# -- topics -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topics:
    categories: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"categories": list(self.categories), "searches": list(self.searches)}


def topics_from_json(value: Mapping | None) -> Topics:
    """Topics as stored; anything unreadable is dropped rather than failing a digest run."""
    value = value if isinstance(value, Mapping) else {}

    def strings(name: str) -> tuple[str, ...]:
        items = value.get(name)
        return tuple(i for i in items if isinstance(i, str)) if isinstance(items, (list, tuple)) else ()

    return Topics(strings("categories"), strings("searches"))


def parse_topics(categories_text: str, searches_text: str) -> Topics:
    """Topics from a form: categories separated by commas or spaces, one saved search per line.

    Raises :class:`InvalidTopics` naming the first problem.
    """
    categories: list[str] = []
    for raw in re.split(r"[\s,]+", categories_text or ""):
        if not raw:
            continue
        category = _canonical_category(raw)
        if category is None:
            raise InvalidTopics(f"“{raw[:40]}” is not an arXiv category (they look like cs.CL or hep-th)")
        if category not in categories:
            categories.append(category)
    searches: list[str] = []
    for line in (searches_text or "").splitlines():
        search = " ".join(line.split())
        if not search:
            continue
        if len(search) > MAX_SEARCH_CHARS:
            raise InvalidTopics(f"a saved search has at most {MAX_SEARCH_CHARS} characters")
        if any(not ch.isprintable() for ch in search):
            raise InvalidTopics("a saved search cannot contain control characters")
        if search.casefold() not in (s.casefold() for s in searches):
            searches.append(search)
    if len(categories) > MAX_CATEGORIES:
        raise InvalidTopics(f"choose at most {MAX_CATEGORIES} categories")
    if len(searches) > MAX_SEARCHES:
        raise InvalidTopics(f"keep at most {MAX_SEARCHES} saved searches")
    return Topics(tuple(categories), tuple(searches))


def _canonical_category(raw: str) -> str | None:
    """``cs.cl`` → ``cs.CL``: the archive is lower case, a subject class of two letters upper case."""
    archive, _, subject = raw.strip().partition(".")
    archive = archive.lower()
    if subject and len(subject) == 2 and subject.isalpha():
        subject = subject.upper()
    category = f"{archive}.{subject}" if subject else archive
    return category if _CATEGORY.fullmatch(category) and len(category) <= 32 else None


# -- selection ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """A paper that may go in a section, with what the mail shows beside it."""

    paper: Paper
    upvotes: int = 0
    stars: int | None = None


@dataclass(frozen=True)
class DigestEntry:
    paper: Paper
    summary: str
    upvotes: int
    stars: int | None

    @property
    def code_url(self) -> str | None:
        return self.paper.code_urls[0] if self.paper.code_urls else None


@dataclass(frozen=True)
class DigestSection:
    kind: str  # "trending", "category", "search" or "recommended"
    title: str
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True)
class Digest:
    period: DigestPeriod
    window: ContentWindow
    sections: tuple[DigestSection, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not self.sections

    @property
    def paper_count(self) -> int:
        return sum(len(s.entries) for s in self.sections)


def select_digest(
    period: DigestPeriod,
    window: ContentWindow,
    topics: Topics,
    *,
    trending: Sequence[Candidate],
    by_category: Mapping[str, Sequence[Candidate]],
    by_search: Mapping[str, Sequence[Candidate]],
    per_section: int,
    summaries: Mapping[str, str] | None = None,
    recommended: Sequence[Candidate] = (),
) -> Digest:
    """Assemble the sections from candidates already ranked best first.

    ``summaries`` may carry precomputed one-line summaries by paper id (a digest run computes each
    paper's summary once for all subscribers); missing ones are computed here.
    """
    seen: set[str] = set()
    sections: list[DigestSection] = []

    def add(kind: str, title: str, candidates: Iterable[Candidate]) -> None:
        entries = []
        for candidate in candidates:
            paper = candidate.paper
            if paper.id in seen:
                continue
            seen.add(paper.id)
            summary = summaries.get(paper.id) if summaries else None
            if summary is None:
                summary = one_line_summary(paper.abstract)
            entries.append(DigestEntry(paper, summary, candidate.upvotes, candidate.stars))
            if len(entries) == per_section:
                break
        if entries:
            sections.append(DigestSection(kind, title, tuple(entries)))

    add("trending", "Trending", trending)
    for category in topics.categories:
        add("category", f"New in {category}", by_category.get(category, ()))
    for search in topics.searches:
        add("search", f"Matching “{search}”", by_search.get(search, ()))
    add("recommended", "Recommended for you", recommended)
    return Digest(period, window, tuple(sections))


def rank_recommendations(
    similar_by_seed: Mapping[str, Sequence[tuple[str, float]]], exclude: Collection[str] = ()
) -> list[str]:
    """Paper ids similar to a member's papers (the seeds), best first.

    ``similar_by_seed`` maps each seed to (paper id, similarity) pairs. A paper counts by its
    highest similarity to any seed (one close match says more than several loose ones); a tie goes
    to the paper close to more seeds, then to the id. Seeds themselves and ``exclude`` (papers
    the member already has) are left out.
    """
    skip = set(exclude) | set(similar_by_seed)
    best: dict[str, float] = {}
    seeds_near: dict[str, int] = {}
    for pairs in similar_by_seed.values():
        for paper_id, similarity in pairs:
            if paper_id in skip:
                continue
            best[paper_id] = max(best.get(paper_id, similarity), similarity)
            seeds_near[paper_id] = seeds_near.get(paper_id, 0) + 1
    return sorted(best, key=lambda paper_id: (-best[paper_id], -seeds_near[paper_id], paper_id))


# -- one-line summaries -------------------------------------------------------------------------
SUMMARY_CHARS = 220
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "Sec.", "approx.", "resp.", "Dr.", "No.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"“])")
_SUBJECT = r"\b(we|this (paper|work|study)|our (method|approach|model|framework))\s+"
# Tried in order: a sentence that names a new thing beats one that reports a finding.
_CONTRIBUTIONS = (
    re.compile(_SUBJECT + r"(propose|present|introduce|develop|release)", re.IGNORECASE),
    re.compile(_SUBJECT + r"(show|demonstrate|design|describe|study|investigate|find)", re.IGNORECASE),
)


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract; a full stop inside an abbreviation or a number does not end one."""
    text = " ".join((text or "").split())
    pieces = _SENTENCE_END.split(text) if text else []
    sentences: list[str] = []
    for piece in pieces:
        if sentences and sentences[-1].endswith(_ABBREVIATIONS):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def one_line_summary(abstract: str, max_chars: int = SUMMARY_CHARS) -> str:
    """The sentence of the abstract that states the contribution (extractive, never rewritten).

    The first sentence saying "we propose / this paper presents / …" wins, then one saying "we
    show / we study / …", otherwise the first sentence. A sentence longer than ``max_chars`` is cut at a word boundary with an ellipsis.
    """
    sentences = split_sentences(abstract)
    if not sentences:
        return ""
    chosen = next(
        (s for pattern in _CONTRIBUTIONS for s in sentences if pattern.search(s)),
        sentences[0],
    )
    if len(chosen) <= max_chars:
        return chosen
    cut = chosen[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# -- identities in mail ---------------------------------------------------------------------------
TOKEN_PURPOSES = ("confirm", "manage", "unsubscribe")


def token_payload(purpose: str, email: str) -> dict:
    """What a link's signed token carries: one purpose and the address (nothing else to trust)."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return {"p": purpose, "e": email}


def email_from_payload(payload, purpose: str) -> str | None:
    """The address a verified payload names, or None when it was made for another purpose."""
    if not isinstance(payload, Mapping) or payload.get("p") != purpose:
        return None
    email = payload.get("e")
    return email if isinstance(email, str) and email else None


def digest_message_id(period_key: str, email: str, domain: str) -> str:
    """The same Message-ID for the same (period, subscriber): mail clients fold any duplicate."""
    digest = hashlib.sha256(email.encode()).hexdigest()[:24]
    return f"<digest.{period_key.replace(':', '.')}.{digest}@{domain}>"

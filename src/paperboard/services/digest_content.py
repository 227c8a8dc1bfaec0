"""What a digest holds and how it reads: candidates per section, shared by a whole run, and the
letter that ``services.mail.send_mail`` renders from the template trio.

Candidates per (section, content window) and each paper's one-line summary and view are computed
once per run and reused for every subscriber, which is what lets one run serve 100,000 of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import quote

from markupsafe import Markup

from paperboard.adapters.mail.compose import mail_templates, pack_lines, sender_domain
from paperboard.adapters.store import digests as store
from paperboard.adapters.store import feed as feed_store
from paperboard.adapters.store import interests
from paperboard.adapters.store.papers import get_papers
from paperboard.domain.digest import (
    Candidate,
    ContentWindow,
    Digest,
    DigestEntry,
    DigestPeriod,
    DigestSection,
    content_window,
    digest_message_id,
    one_line_summary,
    rank_recommendations,
    select_digest,
    topics_from_json,
)
from paperboard.domain.links import safe_link
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.domain.trending import IMPORTED_UPVOTES, UPVOTES, TrendingScore
from paperboard.adapters.store.database import ReadTimeout
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.context import AppContext
from paperboard.services.mail import Letter
from paperboard.services.subscriptions import MANAGE, UNSUBSCRIBE, link
from paperboard.services.trending import scores_for_window

log = logging.getLogger("paperboard.digest")

CANDIDATES_PER_SECTION = 4  # × papers per section: room for papers already shown in an earlier section
# "Recommended for you": the member's most recent papers (upvoted or collected) are the seeds, and
# each seed's nearest papers are looked through for ones new in the window.
RECOMMENDATION_SEEDS = 20
NEIGHBOURS_PER_SEED = 50
_AUTHORS_SHOWN = 6

# A section that fails (the database out of time on a loaded machine, a broken index) is tried this
# many times, a pause apart; then the run stops for the subscribers left, who stay due for a rerun.
SECTION_ATTEMPTS = 2
SECTION_RETRY_PAUSE_SECONDS = 1.0

SearchPapers = Callable[[AppContext, str, ContentWindow, int], list[Paper]]


class SectionUnavailable(SourceUnavailable):
    """A digest section could not be computed: no digest goes out without it."""


def _retried(what: str, load: Callable[[], list]) -> list:
    """``load()``, tried again after a failure that may pass; a section is never left out silently.

    A ``UserError`` other than a timeout is an answer ("this saved search has no results here"), not
    a failure. Anything else, after the last attempt, stops the run (``SectionUnavailable``): the
    subscribers not yet served are given back as deferred, and a rerun sends their digests whole.
    """
    for attempt in range(1, SECTION_ATTEMPTS + 1):
        try:
            return load()
        except UserError as error:
            if not isinstance(error, ReadTimeout):
                raise
            failure: Exception = error
        except Exception as error:  # noqa: BLE001 - whatever broke, the digest must not go out without it
            failure = error
        log.warning("%s failed (attempt %d of %d): %s", what, attempt, SECTION_ATTEMPTS, failure)
        if attempt < SECTION_ATTEMPTS:
            time.sleep(SECTION_RETRY_PAUSE_SECONDS)
    raise SectionUnavailable(f"{what} could not be computed ({failure}); no digest leaves without it") from failure


# -- content ------------------------------------------------------------------------------------
def search_new_papers(ctx: AppContext, text: str, window: ContentWindow, limit: int) -> list[Paper]:
    """Hybrid search for a saved search, restricted to papers announced inside the window."""
    from paperboard.domain.query import SearchFilters
    from paperboard.services import search

    window_filter = SearchFilters(date_from=window.since, date_until=window.until)
    found = search.search(ctx, text, page=1, per_page=limit, filters=window_filter)
    return [hit.paper for hit in found.hits]


class DigestBuilder:
    """Builds digests for one period; candidates and summaries are cached for the whole run."""

    def __init__(self, ctx: AppContext, period: DigestPeriod, *, search_papers: SearchPapers | None = None) -> None:
        self.ctx = ctx
        self.period = period
        self.per_section = ctx.settings.digest_papers_per_section
        self.search_papers = search_papers or search_new_papers
        self._trending: dict[ContentWindow, list[Candidate]] = {}
        self._categories: dict[tuple[str, ContentWindow], list[Candidate]] = {}
        self._searches: dict[tuple[str, ContentWindow], list[Candidate]] = {}
        self._neighbours: dict[str, list[tuple[Paper, float]]] = {}  # seed → nearest papers, for every member
        self.summaries: dict[str, str] = {}

    def digest_for(self, subscriber: store.Subscriber) -> Digest:
        window = content_window(self.period, subscriber.last_digest_period, subscriber.first_owed_period)
        topics = topics_from_json(subscriber.topics)
        return select_digest(
            self.period,
            window,
            topics,
            trending=self._cached(self._trending, window, lambda: self._load_trending(window)),
            by_category={c: self._cached(self._categories, (c, window), lambda c=c: self._load_category(c, window)) for c in topics.categories},
            by_search={s: self._cached(self._searches, (s, window), lambda s=s: self._load_search(s, window)) for s in topics.searches},
            per_section=self.per_section,
            summaries=self.summaries,
            recommended=self._load_recommended(subscriber.user_id, window) if subscriber.user_id else (),
        )

    def _cached(self, cache: dict, key, load: Callable[[], list[Candidate]]) -> list[Candidate]:
        if key not in cache:
            candidates = load()
            for candidate in candidates:
                if candidate.paper.id not in self.summaries:
                    self.summaries[candidate.paper.id] = one_line_summary(candidate.paper.abstract)
            cache[key] = candidates
        return cache[key]

    @property
    def _limit(self) -> int:
        return self.per_section * CANDIDATES_PER_SECTION

    def _load_trending(self, window: ContentWindow) -> list[Candidate]:
        """Papers featured inside the window in the site's trending order (``services.trending``)."""
        ranked = scores_for_window(self.ctx, window.since, window.until, self._limit)
        with self.ctx.database.read() as connection:
            features = feed_store.features_of(connection, [s.paper_id for s in ranked])
            upvotes = {s.paper_id: _shown_upvotes(s, features.get(s.paper_id)) for s in ranked}
            return self._candidates(connection, [s.paper_id for s in ranked], upvotes)

    def _load_recommended(self, user_id: str, window: ContentWindow) -> list[Candidate]:
        """Papers new in the window that are similar to what the member upvoted or collected."""
        if not user_id.isdigit():
            return []
        with self.ctx.database.read() as connection:
            seeds = interests.member_paper_ids(connection, int(user_id), RECOMMENDATION_SEEDS)
        if not seeds:
            return []
        neighbours = {seed: self._nearest(seed) for seed in seeds}
        new_in_window = {
            seed: [(paper.id, score) for paper, score in pairs if paper.announced in window]
            for seed, pairs in neighbours.items()
        }
        ranked = rank_recommendations(new_in_window)[: self._limit]
        papers = {paper.id: paper for pairs in neighbours.values() for paper, _ in pairs}
        with self.ctx.database.read() as connection:
            features = feed_store.features_of(connection, ranked)
            stars = store.stars_by_url(connection, [u for i in ranked for u in papers[i].code_urls[:1]])
        candidates = [
            Candidate(papers[i], features[i].upvotes if i in features else 0, _stars(papers[i], stars)) for i in ranked
        ]
        for candidate in candidates:
            self.summaries.setdefault(candidate.paper.id, one_line_summary(candidate.paper.abstract))
        return candidates

    def _nearest(self, seed: str) -> list[tuple[Paper, float]]:
        if seed not in self._neighbours:
            from paperboard.services.search import similar_papers

            hits = _retried(f"the papers similar to {seed} (recommendations)",
                            lambda: similar_papers(self.ctx, seed, NEIGHBOURS_PER_SEED))
            self._neighbours[seed] = [(hit.paper, hit.score) for hit in hits]
        return self._neighbours[seed]

    def _load_category(self, category: str, window: ContentWindow) -> list[Candidate]:
        with self.ctx.database.read() as connection:
            found = store.announced_in_category(connection, category, window.since, window.until, self._limit)
            stars = store.stars_by_url(connection, [u for paper, _ in found for u in paper.code_urls[:1]])
        return [Candidate(paper, upvotes, _stars(paper, stars)) for paper, upvotes in found]

    def _load_search(self, text: str, window: ContentWindow) -> list[Candidate]:
        try:
            found = _retried(f"the saved search {text!r}", lambda: self.search_papers(self.ctx, text, window, self._limit))
        except SectionUnavailable:
            raise
        except UserError as error:  # e.g. its own dates exclude the window: nothing new to show
            log.info("saved search %r has no section this time: %s", text, error)
            return []
        with self.ctx.database.read() as connection:
            features = feed_store.features_of(connection, [p.id for p in found])
            stars = store.stars_by_url(connection, [u for p in found for u in p.code_urls[:1]])
        return [
            Candidate(p, features[p.id].upvotes if p.id in features else 0, _stars(p, stars))
            for p in found
            if p.announced in window
        ]

    def _candidates(self, connection, paper_ids: list[str], upvotes: dict[str, int]) -> list[Candidate]:
        papers = {p.id: p for p in get_papers(connection, paper_ids)}
        stars = store.stars_by_url(connection, [u for p in papers.values() for u in p.code_urls[:1]])
        return [Candidate(papers[i], upvotes.get(i, 0), _stars(papers[i], stars)) for i in paper_ids if i in papers]


def _shown_upvotes(score: TrendingScore, feature: DailyFeature | None) -> int:
    """Members' and imported upvotes together, as the score's terms counted them."""
    counted = {term.signal: term.value for term in score.terms}
    imported = counted.get(IMPORTED_UPVOTES, feature.upvotes if feature else 0)
    return int(counted.get(UPVOTES, 0) + imported)


def _stars(paper: Paper, stars: dict[str, int]) -> int | None:
    return stars.get(paper.code_urls[0]) if paper.code_urls else None


# -- rendering ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryView:
    """What the templates show of one paper."""

    title: str
    url: str
    authors: str
    summary: str
    code_url: str | None
    stars: int | None
    upvotes: int


@dataclass(frozen=True)
class SectionView:
    text: str
    html: Markup


class DigestRenderer:
    """The letters of one run's digests. A section with the same papers reads the same in every
    mail, so each distinct section is rendered once and only the frame around it per subscriber
    (by ``services.mail.send_mail``)."""

    def __init__(self, ctx: AppContext) -> None:
        self.settings = ctx.settings
        self.templates = mail_templates()
        self.base_url = self.settings.resolved_base_url
        self.domain = sender_domain(self.settings.mail_from)
        self._sections: dict[tuple, SectionView] = {}

    def letter(self, email: str, digest: Digest) -> Letter:
        settings = self.settings
        frequency = digest.period.frequency
        values = {
            "frequency": frequency,
            "period_label": digest.period.label,
            "window_label": _window_label(digest.window),
            "sections": [self._section(s) for s in digest.sections],
            "paper_count": digest.paper_count,
            "top_title": digest.sections[0].entries[0].paper.title if digest.sections else "",
            "manage_url": link(settings, MANAGE, email),
        }
        return Letter(
            "digest",
            email,
            values,
            unsubscribe_url=link(settings, UNSUBSCRIBE, email),
            message_id=digest_message_id(digest.period.key, email, self.domain),
            list_id=formataddr((f"{settings.site_name} {frequency} digest", f"{frequency}.digest.{self.domain}"), charset="utf-8"),
        )

    def _section(self, section: DigestSection) -> SectionView:
        key = (section.kind, section.title, tuple((e.paper.id, e.upvotes, e.stars) for e in section.entries))
        view = self._sections.get(key)
        if view is None:
            text, html = self.templates.fragment(
                "_digest_section", {"section": {"title": section.title, "entries": [self._entry(e) for e in section.entries]}}
            )
            # Packed here once rather than in every mail that repeats it (compose packs the rest).
            view = self._sections[key] = SectionView(text, Markup(pack_lines(html)))
        return view

    def _entry(self, entry: DigestEntry) -> EntryView:
        paper = entry.paper
        authors = ", ".join(paper.authors[:_AUTHORS_SHOWN])
        if len(paper.authors) > _AUTHORS_SHOWN:
            authors += f" and {len(paper.authors) - _AUTHORS_SHOWN} more"
        code = safe_link(entry.code_url)
        return EntryView(
            title=paper.title,
            url=f"{self.base_url}/papers/{quote(paper.id, safe='/:')}",
            authors=authors,
            summary=entry.summary,
            code_url=code,
            stars=entry.stars if code else None,
            upvotes=entry.upvotes,
        )


def _window_label(window: ContentWindow) -> str:
    if window.since == window.until:
        return f"{window.until:%b} {window.until.day}"
    return f"{window.since:%b} {window.since.day} – {window.until:%b} {window.until.day}"

"""Digest mail: build each subscriber's digest and send it exactly once per period.

Send/commit order, and why
--------------------------
1. *Claim*: for a batch of due subscribers, ``INSERT`` a ledger row (subscriber, period) with
   status ``sending`` — ``ON CONFLICT DO NOTHING`` on the unique (subscriber, period_key) — and
   COMMIT. Exactly one inserter wins each row, on SQLite and PostgreSQL alike, whether the
   other contender is a second worker running now or a rerun after a crash.
2. *Send* each mail this run won, over one SMTP connection.
3. *Record* what happened (``sent``, ``bounced``, ``failed``, ``empty``, ``in_doubt``, or
   ``deferred`` with a retry time) and COMMIT.

Nothing leaves before its claim is committed, and a ``sending`` row is never sent again. So a
run killed between 2 and 3 leaves up to one batch (``CLAIM_BATCH``) of ``sending`` rows whose
subscribers may or may not have got the mail: they get no second one. We accept *at most once* in
that window because a duplicate is what a subscriber sees and complains about, while a missed
digest is made up by the next one (its window reaches back to the last digest actually sent).
``digest send`` reports such rows. Only a failure that proves the relay did not take the message
(a 4xx reply, a refused or broken connection before the end of DATA) makes a row ``deferred``
and eligible for another attempt, after an exponential backoff, up to ``mail_max_attempts``.

The digest content is shared work: candidates per (section, content window) and each paper's
one-line summary are computed once per run and reused for every subscriber.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time as day_time, timedelta, timezone
from urllib.parse import quote

from paperboard.adapters.mail.compose import MailTemplates, compose, sender_domain
from paperboard.adapters.mail.sender import (
    MailConfigError,
    MailInDoubt,
    MailSender,
    MessageRefused,
    OutgoingMail,
    RecipientRefused,
    TemporaryMailError,
    make_sender,
)
from paperboard.adapters.store import digests as store
from paperboard.adapters.store import feed as feed_store
from paperboard.adapters.store.papers import get_papers
from paperboard.domain.digest import (
    FREQUENCIES,
    Candidate,
    ContentWindow,
    Digest,
    DigestPeriod,
    content_window,
    digest_message_id,
    due_period,
    one_line_summary,
    period_for,
    select_digest,
    topics_from_json,
)
from paperboard.domain.pacing import DomainPace, recipient_domain, retry_delay
from paperboard.domain.paper import Paper
from paperboard.domain.trending import TrendingCandidate, TrendingParams, rank
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.context import AppContext
from paperboard.services.subscriptions import MANAGE, UNSUBSCRIBE, link, unsubscribe_targets

log = logging.getLogger("paperboard.digest")

CLAIM_BATCH = 50
CANDIDATES_PER_SECTION = 4  # × papers per section: room for papers already shown in an earlier section
RELAY_DOWN_AFTER = 10  # consecutive temporary failures that end a run early
LONGEST_WAIT_IN_RUN = timedelta(minutes=15)  # a retry due later is left for the next run
_AUTHORS_SHOWN = 6
_FLUSH = object()

SearchPapers = Callable[[AppContext, str, ContentWindow, int], list[Paper]]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- content ------------------------------------------------------------------------------------
def search_new_papers(ctx: AppContext, text: str, window: ContentWindow, limit: int) -> list[Paper]:
    """Hybrid search for a saved search, restricted to papers announced inside the window."""
    from paperboard.services import search

    found = search.search(ctx, text, page=1, per_page=limit, date_from=window.since, date_until=window.until)
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
        self.summaries: dict[str, str] = {}
        self.entry_views: dict[str, dict] = {}

    def digest_for(self, subscriber: store.Subscriber) -> Digest:
        window = content_window(self.period, subscriber.last_digest_period)
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
        """Papers featured inside the window, ranked by the site's trending score at its end."""
        as_of = datetime.combine(window.until + timedelta(days=1), day_time.min)
        with self.ctx.database.read() as connection:
            features = feed_store.features_between(connection, window.since, window.until)
            ranked = rank(
                (TrendingCandidate(f.paper_id, f.featured_on, {"imported_upvotes": f.upvotes}) for f in features),
                as_of,
                TrendingParams(window_days=max(1, (window.until - window.since).days + 1)),
            )[: self._limit]
            upvotes = {f.paper_id: f.upvotes for f in features}
            return self._candidates(connection, [s.paper_id for s in ranked], upvotes)

    def _load_category(self, category: str, window: ContentWindow) -> list[Candidate]:
        with self.ctx.database.read() as connection:
            found = store.announced_in_category(connection, category, window.since, window.until, self._limit)
            stars = store.stars_by_url(connection, [u for paper, _ in found for u in paper.code_urls[:1]])
        return [Candidate(paper, upvotes, _stars(paper, stars)) for paper, upvotes in found]

    def _load_search(self, text: str, window: ContentWindow) -> list[Candidate]:
        try:
            found = self.search_papers(self.ctx, text, window, self._limit)
        except UserError as error:  # e.g. its own dates exclude the window: nothing new to show
            log.info("saved search %r has no section this time: %s", text, error)
            return []
        except Exception:  # one broken section must not stop every subscriber's digest
            log.exception("saved search %r failed; its section is left out of this run", text)
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


def _stars(paper: Paper, stars: dict[str, int]) -> int | None:
    return stars.get(paper.code_urls[0]) if paper.code_urls else None


# -- rendering ----------------------------------------------------------------------------------
class DigestRenderer:
    def __init__(self, ctx: AppContext, builder: DigestBuilder) -> None:
        self.settings = ctx.settings
        self.builder = builder
        self.templates = MailTemplates()
        self.base_url = self.settings.resolved_base_url
        self.domain = sender_domain(self.settings.mail_from)

    def render(self, email: str, digest: Digest) -> OutgoingMail:
        settings = self.settings
        sections = [{"title": s.title, "entries": [self._entry(e) for e in s.entries]} for s in digest.sections]
        first = digest.sections[0].entries[0].paper.title if digest.sections else ""
        rendered = self.templates.render(
            "digest",
            {
                "site_name": "paperboard",
                "base_url": self.base_url,
                "email": email,
                "frequency": digest.period.frequency,
                "period_label": digest.period.label,
                "window_label": _window_label(digest.window),
                "sections": sections,
                "paper_count": digest.paper_count,
                "top_title": first,
                "manage_url": link(settings, MANAGE, email),
                "unsubscribe_url": link(settings, UNSUBSCRIBE, email),
            },
        )
        return compose(
            rendered,
            sender=settings.mail_from,
            recipient=email,
            message_id=digest_message_id(digest.period.key, email, self.domain),
            unsubscribe_urls=unsubscribe_targets(settings, email),
            list_id=f"paperboard {digest.period.frequency} digest <{digest.period.frequency}.digest.{self.domain}>",
        )

    def _entry(self, entry) -> dict:
        """What the templates show of a paper; the same for every subscriber, so made once."""
        view = self.builder.entry_views.get(entry.paper.id)
        if view is None:
            paper = entry.paper
            authors = list(paper.authors)
            shown = ", ".join(authors[:_AUTHORS_SHOWN]) + (f" and {len(authors) - _AUTHORS_SHOWN} more" if len(authors) > _AUTHORS_SHOWN else "")
            code = entry.code_url if entry.code_url and entry.code_url.startswith(("https://", "http://")) else None
            view = {
                "title": paper.title,
                "url": f"{self.base_url}/papers/{quote(paper.id, safe='/:')}",
                "authors": shown,
                "summary": entry.summary,
                "code_url": code,
                "stars": entry.stars if code else None,
                "upvotes": entry.upvotes,
            }
            self.builder.entry_views[entry.paper.id] = view
        return view


def _window_label(window: ContentWindow) -> str:
    if window.since == window.until:
        return f"{window.until:%b} {window.until.day}"
    return f"{window.since:%b} {window.since.day} – {window.until:%b} {window.until.day}"


# -- sending ------------------------------------------------------------------------------------
@dataclass
class SendReport:
    period: str
    dry_run: bool = False
    considered: int = 0
    sent: int = 0
    empty: int = 0
    bounced: int = 0
    failed: int = 0
    deferred: int = 0
    in_doubt: int = 0
    claimed_elsewhere: int = 0
    left_sending: int = 0  # rows of this period still "sending" after the run: another worker's, or a killed run's
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        parts = [f"{self.period}: {verb} {self.sent} of {self.considered} due", f"{self.empty} with nothing new"]
        for name in ("bounced", "failed", "deferred", "in_doubt", "claimed_elsewhere", "left_sending"):
            value = getattr(self, name)
            if value:
                parts.append(f"{value} {name.replace('_', ' ')}")
        return ", ".join(parts) + f" ({self.seconds:.1f} s)"


class DigestRun:
    """One run for one period: claim, send, record — see the module's notes."""

    def __init__(
        self,
        ctx: AppContext,
        period: DigestPeriod,
        *,
        sender: MailSender | None = None,
        dry_run: bool = False,
        search_papers: SearchPapers | None = None,
        on_progress: Callable[[int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.period = period
        self.dry_run = dry_run
        self.builder = DigestBuilder(ctx, period, search_papers=search_papers)
        self.renderer = DigestRenderer(ctx, self.builder)
        self.report = SendReport(period.key, dry_run)
        self.pace = DomainPace(self.settings.mail_pace_per_domain_per_minute)
        self.sender = sender
        self.on_progress = on_progress or (lambda n: None)
        self.sleep, self.clock = sleep, clock
        self._temporary_in_a_row = 0

    def count_due(self) -> int:
        with self.ctx.database.read() as connection:
            return store.count_due(connection, self.period.frequency, self.period.key)

    def run(self) -> SendReport:
        started = self.clock()
        own_sender = self.sender is None and not self.dry_run
        sender = make_sender(self.settings) if own_sender else self.sender
        try:
            batch: list[store.Subscriber] = []
            for item in self._paced(self._due()):
                if item is not _FLUSH:
                    batch.append(item)
                if batch and (item is _FLUSH or len(batch) >= CLAIM_BATCH):
                    self._deliver_batch(sender, batch)
                    batch = []
            if batch:
                self._deliver_batch(sender, batch)
            if not self.dry_run:
                self._retry_deferred(sender)
        except SourceUnavailable as error:
            self._finish(started)
            raise SourceUnavailable(
                f"{error}. So far {self.report.summary()}. Run again once the relay is back: "
                "deferred digests are retried and none is sent twice."
            ) from error
        finally:
            if own_sender:
                sender.close()
        self._finish(started)
        return self.report

    def _finish(self, started: float) -> None:
        self.report.seconds = self.clock() - started
        if not self.dry_run:
            with self.ctx.database.read() as connection:
                counts = store.ledger_counts(connection, self.period.key)
            self.report.left_sending = counts.get(store.SENDING, 0)
            self.report.deferred = counts.get(store.DEFERRED, 0)

    def _due(self) -> Iterator[store.Subscriber]:
        after = ""
        while True:
            with self.ctx.database.read() as connection:
                page = store.due_subscribers(connection, self.period.frequency, self.period.key, after_email=after)
            if not page:
                return
            yield from page
            after = page[-1].email

    def _paced(self, subscribers: Iterable[store.Subscriber]) -> Iterator:
        """Subscribers in an order the per-domain pace allows; ``_FLUSH`` before any wait, so a
        batch never collects a minute's worth of one domain and then sends it at once."""
        held: deque[store.Subscriber] = deque()
        for subscriber in subscribers:
            if self.pace.take(recipient_domain(subscriber.email), self.clock()):
                yield subscriber
            else:
                held.append(subscriber)
        while held:
            progressed = False
            for _ in range(len(held)):
                subscriber = held.popleft()
                if self.pace.take(recipient_domain(subscriber.email), self.clock()):
                    progressed = True
                    yield subscriber
                else:
                    held.append(subscriber)
            if held and not progressed:
                yield _FLUSH
                now = self.clock()
                self.sleep(max(0.01, min(self.pace.wait(recipient_domain(s.email), now) for s in held)))

    def _deliver_batch(self, sender: MailSender | None, batch: list[store.Subscriber]) -> None:
        self.report.considered += len(batch)
        if self.dry_run:
            for subscriber in batch:
                self.report.count("empty" if self.builder.digest_for(subscriber).is_empty else "sent")
            self.on_progress(len(batch))
            return
        message_ids = {s.email: digest_message_id(self.period.key, s.email, self.renderer.domain) for s in batch}
        with self.ctx.database.write() as connection:
            won = store.claim(connection, self.period.key, message_ids, _utcnow())
        self.report.claimed_elsewhere += len(batch) - len(won)
        mine = [s for s in batch if s.email in won]
        self._deliver_claimed(sender, [(s, 1) for s in mine])
        self.on_progress(len(batch))

    def _deliver_claimed(self, sender: MailSender, claimed: list[tuple[store.Subscriber, int]]) -> None:
        """Send each claimed digest and record every outcome, even when the run must stop."""
        outcomes: list[store.Outcome] = []
        try:
            for index, (subscriber, attempt) in enumerate(claimed):
                try:
                    outcomes.append(self._deliver_one(sender, subscriber, attempt))
                except (MailConfigError, SourceUnavailable) as error:
                    # Nothing of the rest left: give their claims back as retryable.
                    outcomes += [
                        store.Outcome(s.email, store.DEFERRED, str(error), _utcnow()) for s, _ in claimed[index:]
                    ]
                    raise SourceUnavailable(f"digests stopped: {error}") from error
        finally:
            for outcome in outcomes:
                if outcome.status != store.DEFERRED:  # deferred rows are counted from the ledger at the end
                    self.report.count(outcome.status)
            with self.ctx.database.write() as connection:
                store.record_outcomes(connection, self.period.key, outcomes, _utcnow())

    def _deliver_one(self, sender: MailSender, subscriber: store.Subscriber, attempt: int) -> store.Outcome:
        email = subscriber.email
        digest = self.builder.digest_for(subscriber)
        if digest.is_empty:
            return store.Outcome(email, store.EMPTY)
        mail = self.renderer.render(email, digest)
        try:
            sender.send(mail)
        except TemporaryMailError as error:
            self._temporary_in_a_row += 1
            if self._temporary_in_a_row >= RELAY_DOWN_AFTER:
                raise SourceUnavailable(f"{RELAY_DOWN_AFTER} temporary SMTP failures in a row; last: {error}") from error
            if attempt >= self.settings.mail_max_attempts:
                return store.Outcome(email, store.FAILED, f"gave up after {attempt} attempts: {error}")
            wait = retry_delay(attempt, self.settings.mail_retry_base_seconds)
            return store.Outcome(email, store.DEFERRED, str(error), _utcnow() + timedelta(seconds=wait))
        except RecipientRefused as error:
            return store.Outcome(email, store.BOUNCED, str(error))
        except MessageRefused as error:
            return store.Outcome(email, store.FAILED, str(error))
        except MailInDoubt as error:
            return store.Outcome(email, store.IN_DOUBT, str(error))
        self._temporary_in_a_row = 0
        return store.Outcome(email, store.SENT)

    def _retry_deferred(self, sender: MailSender) -> None:
        """Retry deferred rows of this period as their backoff ends (this run's and earlier runs')."""
        while True:
            now = _utcnow()
            with self.ctx.database.read() as connection:
                ready = store.deferred_due(connection, self.period.key, now)
            if ready:
                with self.ctx.database.write() as connection:
                    mine = [(s, n + 1) for s, n in ready if store.reclaim_deferred(connection, s.email, self.period.key, now)]
                self._deliver_claimed(sender, mine)
                continue
            with self.ctx.database.read() as connection:
                next_at = store.next_deferred_at(connection, self.period.key)
            if next_at is None or next_at - now > LONGEST_WAIT_IN_RUN:
                return
            self.sleep(max(0.01, (next_at - now).total_seconds()))


# -- entry points -------------------------------------------------------------------------------
def resolve_period(frequency: str, day: date | None = None) -> DigestPeriod:
    if frequency not in FREQUENCIES:
        raise UserError(f"period must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    day = day or _utcnow().date()
    period = period_for(frequency, day)
    if period is None:
        raise UserError(f"there is no daily digest on {day:%A} {day.isoformat()}: daily digests go out on weekdays")
    return period


def send_digests(ctx: AppContext, frequency: str, *, day: date | None = None, **options) -> SendReport:
    """Send (or with ``dry_run=True`` only count) the digests of ``frequency`` for ``day``'s period."""
    return DigestRun(ctx, resolve_period(frequency, day), **options).run()


def run_scheduled_digests(ctx: AppContext, now: datetime | None = None) -> str | None:
    """The job of ``paperboard up`` / ``worker``: every period that is due now, once."""
    now = now or _utcnow()
    lines = []
    for frequency in FREQUENCIES:
        period = due_period(frequency, now, ctx.settings.digest_hour_utc)
        if period is None:
            continue
        run = DigestRun(ctx, period)
        if run.count_due() == 0:
            continue
        report = run.run()
        lines.append(report.summary())
    return "; ".join(lines) or None


@dataclass(frozen=True)
class Preview:
    email: str
    status: str
    digest: Digest
    mail: OutgoingMail | None


def preview_digest(
    ctx: AppContext, raw_email: str, *, frequency: str | None = None, day: date | None = None, search_papers: SearchPapers | None = None
) -> Preview:
    """The digest one subscriber would get for the period (nothing is claimed or sent)."""
    email = " ".join((raw_email or "").split()).lower()
    with ctx.database.read() as connection:
        subscriber = store.get_subscriber(connection, email)
    if subscriber is None:
        raise UserError(f"{email or 'that address'} is not subscribed")
    period = resolve_period(frequency or subscriber.frequency, day)
    builder = DigestBuilder(ctx, period, search_papers=search_papers)
    digest = builder.digest_for(subscriber)
    mail = None if digest.is_empty else DigestRenderer(ctx, builder).render(email, digest)
    return Preview(email, subscriber.status, digest, mail)

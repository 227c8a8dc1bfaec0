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

What goes in each mail, and how it reads, is ``digest_content.py``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone

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
from paperboard.domain.digest import FREQUENCIES, Digest, DigestPeriod, digest_message_id, due_period, period_for
from paperboard.domain.pacing import DomainPace, recipient_domain, retry_delay
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.context import AppContext
from paperboard.services.digest_content import DigestBuilder, DigestRenderer, SearchPapers

log = logging.getLogger("paperboard.digest")

CLAIM_BATCH = 50
RELAY_DOWN_AFTER = 10  # consecutive temporary failures that end a run early
LONGEST_WAIT_IN_RUN = timedelta(minutes=15)  # a retry due later is left for the next run
_FLUSH = object()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
        self.renderer = DigestRenderer(ctx)
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
        """Due subscribers, one claim batch per query: a fresh page leaves out what another
        worker claimed meanwhile, so two workers rarely reach for the same rows."""
        after = ""
        while True:
            with self.ctx.database.read() as connection:
                page = store.due_subscribers(
                    connection, self.period.frequency, self.period.key, after_email=after, limit=CLAIM_BATCH
                )
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
    mail = None if digest.is_empty else DigestRenderer(ctx).render(email, digest)
    return Preview(email, subscriber.status, digest, mail)

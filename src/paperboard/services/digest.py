"""Digest mail: build each subscriber's digest and send it once per period.

Send/commit order, and why
--------------------------
1. *Claim*: for a batch of due subscribers, ``INSERT`` a ledger row (subscriber, period) with
   status ``sending`` — ``ON CONFLICT DO NOTHING`` on the unique (subscriber, period_key) — and
   COMMIT. Exactly one inserter wins each row, on SQLite and PostgreSQL alike, whether the
   other contender is a second worker running now or a rerun after a crash.
2. *Send* each mail this run won, over one SMTP connection, renewing the claims' lease while the
   batch lasts.
3. *Record* what happened (``sent``, ``bounced``, ``failed``, ``empty``, ``cancelled``, or
   ``deferred`` / ``in_doubt`` with a retry time) every ``RECORD_EVERY`` mails, and COMMIT.

Nothing leaves before its claim is committed, and two live workers never hold the same row. A run
killed between 2 and 3 leaves rows in ``sending`` whose mail may or may not have left; once their
lease (``DIGEST_CLAIM_LEASE_SECONDS``) runs out, the next run takes them over and sends them
again, and so it does with a mail ``in_doubt`` (the relay took the whole message and the answer
never came). We choose *at least once* there because a missed digest is lost for good while a
second copy is harmless: every copy of a (subscriber, period) digest carries the same
``Message-ID`` (``digest_message_id``), by which mail stores and clients drop duplicates, and
recording every ``RECORD_EVERY`` mails bounds the copies a kill can cause. A failure that proves
the relay did not take the message (a 4xx reply, a refused or broken connection before the end
of DATA) makes a row ``deferred``; both are retried after an exponential backoff, up to
``mail_max_attempts``. A run that ends with rows it could not settle says so (``work_left``), and
``paperboard digest send`` then exits non-zero.

What goes in each mail, and how it reads, is ``digest_content.py``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from paperboard.adapters.mail.sender import MailConnection, OutgoingMail
from paperboard.adapters.store import digests as store
from paperboard.domain.digest import (
    FREQUENCIES,
    Digest,
    DigestPeriod,
    digest_message_id,
    due_period,
    period_for,
)
from paperboard.domain.pacing import DomainPace, recipient_domain, retry_delay
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.context import AppContext
from paperboard.services.digest_content import (
    DigestBuilder,
    DigestRenderer,
    SearchPapers,
)
from paperboard.services.digest_report import SendReport
from paperboard.services.mail import MISCONFIGURED, render_mail, send_mail

log = logging.getLogger("paperboard.digest")

CLAIM_BATCH = 50
RECORD_EVERY = 10  # outcomes written per transaction: a kill resends at most this many delivered mails
RELAY_DOWN_AFTER = 10  # consecutive temporary failures (or mails in doubt) that end a run early
LONGEST_WAIT_IN_RUN = timedelta(minutes=15)  # a retry due later is left for the next run
WATCH_SECONDS = 5.0  # how often a waiting run looks at rows another live worker holds
_FLUSH = object()


class DigestRun:
    """One run for one period: claim, send, record — see the module's notes."""

    def __init__(
        self,
        ctx: AppContext,
        period: DigestPeriod,
        *,
        dry_run: bool = False,
        search_papers: SearchPapers | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
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
        self.lease = timedelta(seconds=self.settings.digest_claim_lease_seconds)
        self.on_progress = on_progress or (lambda n: None)
        self.on_wait = on_wait or (lambda line: log.info("%s", line))
        self.sleep, self.clock = sleep, clock
        self._temporary_in_a_row = 0

    def count_due(self) -> int:
        with self.ctx.database.read() as connection:
            return store.count_due(connection, self.period.frequency, self.period.key)

    def run(self) -> SendReport:
        started = self.clock()
        outbox = None if self.dry_run else self.ctx.mail_sender.connect()  # one connection for the run
        try:
            batch: list[store.Subscriber] = []
            for item in self._paced(self._due()):
                if item is not _FLUSH:
                    batch.append(item)
                if batch and (item is _FLUSH or len(batch) >= CLAIM_BATCH):
                    self._deliver_batch(outbox, batch)
                    batch = []
            if batch:
                self._deliver_batch(outbox, batch)
            if not self.dry_run:
                self._settle_the_rest(outbox)
        except SourceUnavailable as error:
            self._finish(started)
            raise SourceUnavailable(
                f"{error}. So far {self.report.summary()}. Run again once the relay is back: "
                "deferred digests are retried, and a copy sent again keeps its Message-ID."
            ) from error
        finally:
            if outbox is not None:
                outbox.close()
        self._finish(started)
        return self.report

    def _finish(self, started: float) -> None:
        self.report.seconds = self.clock() - started
        if not self.dry_run:
            with self.ctx.database.read() as connection:
                counts = store.ledger_counts(connection, self.period.key)
            self.report.left_sending = counts.get(store.SENDING, 0)
            self.report.deferred = counts.get(store.DEFERRED, 0)
            self.report.in_doubt = counts.get(store.IN_DOUBT, 0)

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

    def _deliver_batch(self, outbox: MailConnection | None, batch: list[store.Subscriber]) -> None:
        self.report.considered += len(batch)
        if self.dry_run:
            for subscriber in batch:
                self.report.count("empty" if self.builder.digest_for(subscriber).is_empty else "sent")
            self.on_progress(len(batch))
            return
        message_ids = {s.email: digest_message_id(self.period.key, s.email, self.renderer.domain) for s in batch}
        with self.ctx.database.write() as connection:
            won = store.claim(connection, self.period.key, message_ids, self.ctx.now())
        self.report.claimed_elsewhere += len(batch) - len(won)
        self._deliver_claimed(outbox, [(s, 1) for s in batch if s.email in won])
        self.on_progress(len(batch))

    def _deliver_claimed(self, outbox: MailConnection, claimed: list[tuple[store.Subscriber, int]]) -> None:
        """Send each claimed digest and record every outcome, even when the run must stop."""
        pending = deque(claimed)
        outcomes: list[store.Outcome] = []
        renewed = self.clock()
        try:
            while pending:
                if self.clock() - renewed > self.lease.total_seconds() / 3:
                    self._record(outcomes)
                    outcomes = []
                    pending = self._renew(pending)
                    renewed = self.clock()
                    continue
                subscriber, attempt = pending.popleft()
                try:
                    outcomes.append(self._deliver_one(outbox, subscriber, attempt))
                except SourceUnavailable as error:
                    # Nothing of the rest left: give their claims back as retryable now.
                    outcomes += [
                        store.Outcome(s.email, store.DEFERRED, str(error), self.ctx.now(), attempt=n)
                        for s, n in [(subscriber, attempt), *pending]
                    ]
                    pending.clear()
                    raise SourceUnavailable(f"digests stopped: {error}") from error
                if len(outcomes) >= RECORD_EVERY:
                    self._record(outcomes)
                    outcomes = []
        finally:
            self._record(outcomes)

    def _renew(self, pending: deque[tuple[store.Subscriber, int]]) -> deque[tuple[store.Subscriber, int]]:
        """Move the lease of the claims still to send; drop any another worker took over."""
        with self.ctx.database.write() as connection:
            mine = store.renew_claims(connection, self.period.key, {s.email: n for s, n in pending}, self.ctx.now())
        if len(mine) < len(pending):
            log.warning("%s: %d claims were taken over by another worker before this one sent them", self.period.key, len(pending) - len(mine))
        return deque((s, n) for s, n in pending if s.email in mine)

    def _record(self, outcomes: list[store.Outcome]) -> None:
        if not outcomes:
            return
        with self.ctx.database.write() as connection:
            recorded = store.record_outcomes(connection, self.period.key, outcomes, self.ctx.now())
        for outcome in outcomes:
            if outcome.email not in recorded:
                # Our lease ran out while this mail was on its way and another run took the row:
                # it sends its own copy, under the same Message-ID.
                log.warning("%s: %s was taken over by another worker; its outcome is theirs to record", self.period.key, outcome.email)
            elif outcome.status not in store.RETRYABLE:  # those are counted from the ledger at the end
                self.report.count(outcome.status)

    def _deliver_one(self, outbox: MailConnection, subscriber: store.Subscriber, attempt: int) -> store.Outcome:
        email = subscriber.email
        digest = self.builder.digest_for(subscriber)
        if digest.is_empty:
            return store.Outcome(email, store.EMPTY, attempt=attempt)
        delivery = send_mail(self.ctx, self.renderer.letter(email, digest), connection=outbox)
        status, error = delivery.status, delivery.error
        if status == MISCONFIGURED:
            raise SourceUnavailable(str(error)) from error  # the settings, not this mail: stop
        if status in store.RETRYABLE:
            self._temporary_in_a_row += 1
            if self._temporary_in_a_row >= RELAY_DOWN_AFTER:
                raise SourceUnavailable(f"{RELAY_DOWN_AFTER} temporary SMTP failures in a row; last: {error}") from error
            if attempt >= self.settings.mail_max_attempts:
                # Out of attempts: a deferred mail surely did not leave (failed); one in doubt may
                # have, so it stays in doubt, with no retry time, for a person to look at.
                status = store.FAILED if status == store.DEFERRED else status
                return store.Outcome(email, status, f"gave up after {attempt} attempts: {error}", attempt=attempt)
            wait = retry_delay(attempt, self.settings.mail_retry_base_seconds)
            return store.Outcome(email, status, str(error), self.ctx.now() + timedelta(seconds=wait), attempt=attempt)
        if status != store.SENT:  # bounced or failed: for good
            return store.Outcome(email, status, str(error), attempt=attempt)
        self._temporary_in_a_row = 0
        return store.Outcome(email, store.SENT, attempt=attempt)

    def _settle_the_rest(self, outbox: MailConnection) -> None:
        """Take again what this period still owes as it becomes due: deferred and in-doubt rows
        after their backoff (this run's and earlier runs'), and rows a dead worker left in
        ``sending`` once their lease ends. Waits up to ``LONGEST_WAIT_IN_RUN`` for the next one,
        watching another live worker's rows settle meanwhile."""
        said_waiting = False
        while True:
            now = self.ctx.now()
            with self.ctx.database.read() as connection:
                ready = store.retries_due(connection, self.period.key, now, now - self.lease)
            if ready:
                self._take_over(outbox, ready, now)
                continue
            with self.ctx.database.read() as connection:
                retry_at, oldest_claim = store.next_retry_times(connection, self.period.key)
            due = [t for t in (retry_at, oldest_claim and oldest_claim + self.lease) if t is not None]
            if not due:
                return
            next_at = min(due)
            if next_at - now > LONGEST_WAIT_IN_RUN:
                return
            if not said_waiting and oldest_claim is not None:
                said_waiting = True
                self.on_wait(
                    f"{self.period.key}: waiting for digests another worker holds; those of a worker that "
                    f"stopped are sent again after their lease ({self.lease.total_seconds():.0f} s)"
                )
            self.sleep(max(0.01, min(WATCH_SECONDS, (next_at - now).total_seconds())))

    def _take_over(self, outbox: MailConnection, ready: list[store.Retry], now: datetime) -> None:
        mine: list[tuple[store.Subscriber, int]] = []
        cancelled: list[store.Outcome] = []
        with self.ctx.database.write() as connection:
            for retry in ready:
                subscriber, attempt = retry.subscriber, retry.attempts + 1
                if not store.take_over(connection, self.period.key, subscriber.email, retry.attempts, now, now - self.lease):
                    continue  # another worker took it first
                if subscriber.status != store.CONFIRMED or subscriber.bouncing:
                    reason = "address bouncing" if subscriber.bouncing else f"subscription {subscriber.status}"
                    cancelled.append(store.Outcome(subscriber.email, store.CANCELLED, reason, attempt=attempt))
                    continue
                mine.append((subscriber, attempt))
                if retry.status != store.DEFERRED:
                    self.report.resent += 1
        self._record(cancelled)
        self._deliver_claimed(outbox, mine)


# -- entry points -------------------------------------------------------------------------------
def resolve_period(frequency: str, day: date) -> DigestPeriod:
    if frequency not in FREQUENCIES:
        raise UserError(f"period must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    period = period_for(frequency, day)
    if period is None:
        raise UserError(f"there is no daily digest on {day:%A} {day.isoformat()}: daily digests go out on weekdays")
    return period


def periods_on(day: date, frequency: str | None = None) -> list[DigestPeriod]:
    """The periods of ``day``: one frequency's, or every frequency's that has one (no daily
    period on a weekend)."""
    if frequency is not None:
        return [resolve_period(frequency, day)]
    return [p for p in (period_for(f, day) for f in FREQUENCIES) if p is not None]


def send_digests(ctx: AppContext, frequency: str, *, day: date | None = None, **options) -> SendReport:
    """Send (or with ``dry_run=True`` only count) the digests of ``frequency`` for ``day``'s period."""
    return DigestRun(ctx, resolve_period(frequency, day or ctx.today()), **options).run()


def run_scheduled_digests(ctx: AppContext, now: datetime | None = None) -> str | None:
    """The job of ``paperboard up`` / ``worker``: every period that is due now, once."""
    now = now or ctx.now()
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
    period = resolve_period(frequency or subscriber.frequency, day or ctx.today())
    builder = DigestBuilder(ctx, period, search_papers=search_papers)
    digest = builder.digest_for(subscriber)
    mail = None if digest.is_empty else render_mail(ctx, DigestRenderer(ctx).letter(email, digest))
    return Preview(email, subscriber.status, digest, mail)

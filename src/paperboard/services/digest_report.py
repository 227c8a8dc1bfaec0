"""What a digest run did, and what a period's ledger holds: for ``digest send`` and ``digest status``.

A period is settled when no row is ``sending``, ``deferred`` or ``in_doubt``: each of those is a
digest still owed, which a rerun sends (see ``services/digest.py``). ``failed`` and ``bounced``
rows are settled, but a person may want to know about them, so ``digest status`` lists them too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from paperboard.adapters.store import digests as store
from paperboard.domain.digest import DigestPeriod, parse_period_key
from paperboard.services.context import AppContext

UNSETTLED = (store.SENDING, store.DEFERRED, store.IN_DOUBT)
SHOWN_ROWS = 1000  # rows needing attention listed per period; the counts cover all


def _options(period: DigestPeriod) -> str:
    return f"--period {period.frequency} --date {period.day.isoformat()}"


def _what_to_do(period: DigestPeriod, unsettled: int) -> str:
    return (
        f"{unsettled} digests of {period.key} not settled yet; run `paperboard digest send {_options(period)}` "
        "again to finish them (a copy sent again keeps its Message-ID, so receivers drop duplicates)"
    )


@dataclass
class SendReport:
    period: str
    dry_run: bool = False
    considered: int = 0
    sent: int = 0
    empty: int = 0
    bounced: int = 0
    failed: int = 0
    cancelled: int = 0
    resent: int = 0  # rows a dead worker left in sending, or in doubt, that this run sent again
    claimed_elsewhere: int = 0
    # Left after the run, read from the ledger: what a rerun (or another worker still running) settles.
    left_sending: int = 0
    deferred: int = 0
    in_doubt: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    @property
    def work_left(self) -> int:
        return 0 if self.dry_run else self.left_sending + self.deferred + self.in_doubt

    def as_dict(self) -> dict:
        return asdict(self) | {"work_left": self.work_left}

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        parts = [f"{self.period}: {verb} {self.sent} of {self.considered} due", f"{self.empty} with nothing new"]
        for name in ("bounced", "failed", "cancelled", "resent", "claimed_elsewhere", "left_sending", "deferred", "in_doubt"):
            value = getattr(self, name)
            if value:
                parts.append(f"{value} {name.replace('_', ' ')}")
        return ", ".join(parts) + f" ({self.seconds:.1f} s)"

    def what_is_left(self) -> str:
        """One line for a run that leaves work behind: what, and what to do."""
        left = [f"{n} {name}" for n, name in ((self.left_sending, "still sending"), (self.deferred, "deferred"), (self.in_doubt, "in doubt")) if n]
        return f"{_what_to_do(parse_period_key(self.period), self.work_left)} ({', '.join(left)})"


@dataclass
class LedgerStatus:
    period: str
    due: int  # subscribers of the frequency with no row for the period yet
    counts: dict[str, int]
    attention: list[dict]  # rows sending, deferred, in doubt or failed, at most SHOWN_ROWS
    advice: str | None  # what to do, when something is left

    @property
    def unsettled(self) -> int:
        return sum(self.counts.get(s, 0) for s in UNSETTLED)

    @property
    def attention_total(self) -> int:
        return sum(self.counts.get(s, 0) for s in store.NEEDS_ATTENTION)

    def as_dict(self) -> dict:
        rows = [{k: v for k, v in row.items() if k != "id"} for row in self.attention]
        return asdict(self) | {"attention": rows, "unsettled": self.unsettled, "attention_total": self.attention_total}


def ledger_status(ctx: AppContext, period: DigestPeriod) -> LedgerStatus:
    with ctx.database.read() as connection:
        due = store.count_due(connection, period.frequency, period.key)
        counts = store.ledger_counts(connection, period.key)
        attention = store.ledger_rows(connection, period.key, store.NEEDS_ATTENTION, limit=SHOWN_ROWS)
    status = LedgerStatus(period.key, due, counts, attention, None)
    if status.unsettled:
        status.advice = _what_to_do(period, status.unsettled)
    return status

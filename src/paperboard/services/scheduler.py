"""The in-process scheduler of the embedded shape: periodic jobs on one background thread.

Each job runs, then sleeps for its interval; a failing job logs one line and waits for its next
turn, so an unreachable arXiv never stops the site. In the scale-out shape the same jobs run in
``paperboard worker`` processes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("paperboard.scheduler")

AGAIN_SOON_SECONDS = 1.0


@dataclass
class Job:
    name: str
    interval_seconds: float
    run: Callable[[], str | None]
    next_run: float = 0.0
    last_message: str | None = None
    failures: int = field(default=0)


class Scheduler:
    def __init__(self, jobs: list[Job], *, report: Callable[[str], None] | None = None) -> None:
        self.jobs = jobs
        self.report = report or log.info
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="paperboard-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def run_due(self, now: float | None = None) -> None:
        """Run every job whose time has come (the loop's body; tests call it directly)."""
        now = time.monotonic() if now is None else now
        for job in self.jobs:
            if self._stop.is_set() or job.next_run > now:
                continue
            try:
                job.last_message = job.run()
                job.failures = 0
                if job.last_message:
                    self.report(f"{job.name}: {job.last_message}")
            except Exception as error:  # one job's failure must not stop the others
                job.failures += 1
                job.last_message = f"failed: {error}"
                self.report(f"{job.name}: {job.last_message}")
            # A job that stopped at its bound with work left (a big embedding backlog) goes again
            # right after the others' turns, not a whole interval later.
            again_soon = getattr(job.run, "again_soon", False)
            job.next_run = time.monotonic() + (AGAIN_SOON_SECONDS if again_soon else job.interval_seconds)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            wait = min((job.next_run for job in self.jobs), default=60.0) - time.monotonic()
            self._stop.wait(max(1.0, wait))

"""Indexing an unknown arXiv id when someone opens its page, within a short time budget.

Fetching from arXiv is slow and arXiv asks for gentle use, so one fetch runs at a time, a failed id
is not retried for ``_RETRY_AFTER_SECONDS``, and a page never waits longer than the timeout: a fetch
that is still running finishes in the background and the next visit finds the paper. When arXiv
cannot be reached at all (offline, no DNS), no fetch is tried for ``_OUTAGE_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import anyio

from paperboard.errors import SourceUnreachable, UserError
from paperboard.services.context import AppContext
from paperboard.services.harvest import index_one
from paperboard.services.indexing import index_keywords

log = logging.getLogger("paperboard.web.ondemand")
_RETRY_AFTER_SECONDS = 600
# An unreachable arXiv is the site's problem, not the id's: it is remembered for every id, so a
# crawler walking through unknown ids gets the answer at once instead of one lookup (queued behind
# the others, each perhaps waiting on a resolver) per page; briefly, so a network that comes back
# is noticed within half a minute.
_OUTAGE_SECONDS = 30


@dataclass(frozen=True)
class Outcome:
    indexed: bool
    reason: str = ""


class OnDemandIndexer:
    def __init__(self, ctx: AppContext, *, timeout_seconds: float) -> None:
        self.ctx = ctx
        self.timeout_seconds = timeout_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperboard-on-demand")
        self._running: dict[str, Future] = {}
        self._failed: dict[str, tuple[float, str]] = {}
        self._outage: tuple[float, str] | None = None
        self._lock = threading.Lock()

    async def index(self, arxiv_id: str) -> Outcome:
        """Try to fetch and store ``arxiv_id``; say why not when that did not happen in time."""
        if self.timeout_seconds <= 0:
            return Outcome(False, "This site does not fetch papers from arXiv on demand.")
        with self._lock:
            if self._outage and time.monotonic() - self._outage[0] < _OUTAGE_SECONDS:
                return Outcome(False, self._outage[1])
            failed = self._failed.get(arxiv_id)
            if failed and time.monotonic() - failed[0] < _RETRY_AFTER_SECONDS:
                return Outcome(False, failed[1])
            future = self._running.get(arxiv_id)
            if future is None:
                future = self._executor.submit(self._run, arxiv_id)
                self._running[arxiv_id] = future
        try:
            return await anyio.to_thread.run_sync(future.result, self.timeout_seconds)
        except FutureTimeout:
            return Outcome(False, "arXiv is taking long to answer; the paper is still being fetched. Reload in a minute.")

    def _run(self, arxiv_id: str) -> Outcome:
        unreachable = False
        try:
            found = index_one(self.ctx, arxiv_id)
            index_keywords(self.ctx)  # searchable at once; its vector comes with the next catch-up
        except SourceUnreachable as error:
            unreachable = True
            outcome = Outcome(False, f"It could not be fetched because {error}.")
        except UserError as error:
            outcome = Outcome(False, f"It could not be fetched from arXiv: {error}")
        except Exception as error:  # an outside service failing must not become a 500 page
            log.warning("on-demand indexing of %s failed: %r", arxiv_id, error)
            outcome = Outcome(False, "It could not be fetched from arXiv just now.")
        else:
            outcome = Outcome(True) if found else Outcome(False, "arXiv has no paper with this id.")
        with self._lock:
            self._running.pop(arxiv_id, None)
            now = time.monotonic()
            if unreachable:
                self._outage = (now, outcome.reason)
            elif not outcome.indexed:
                if len(self._failed) > 10_000:  # someone walks through made-up ids: forget the old ones
                    self._failed = {k: v for k, v in self._failed.items() if now - v[0] < _RETRY_AFTER_SECONDS}
                self._failed[arxiv_id] = (now, outcome.reason)
        return outcome

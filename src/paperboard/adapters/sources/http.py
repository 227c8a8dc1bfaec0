"""A polite HTTP client for arXiv: one request at a time, a pause between calls, patient retries.

arXiv asks API clients for one call every three seconds and answers overload with 429 or 503
plus ``Retry-After`` (its OAI-PMH endpoint uses 503 for ordinary flow control). This client
waits at least ``delay_seconds`` from the end of one call to the start of the next, honours
``Retry-After`` (seconds or an HTTP date), and otherwise backs off exponentially with jitter.
Dropped connections and bodies shorter than their ``Content-Length`` are retried the same way.
When it gives up it raises :class:`~paperboard.errors.SourceUnavailable` naming the URL. A host that
cannot be reached at all (its name does not resolve, the connection is refused, no route) raises
:class:`~paperboard.errors.SourceUnreachable` at once, naming the cause: waiting seconds between
retries does not bring a network back, and an offline site should say so, not hang.

Every answer is read through :func:`send_bounded` (the GitHub client's too): decompressed as it
arrives and refused past ``MAX_ANSWER_BYTES`` with a one-line :class:`AnswerTooLarge`, so a small
gzip bomb (2 MB that inflate to 2 GB) ends the run with a message instead of a MemoryError.
"""

from __future__ import annotations

import errno
import logging
import random
import socket
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from paperboard.errors import SourceUnavailable, SourceUnreachable

log = logging.getLogger("paperboard.http")

# Besides these, every 5xx is retried: the server failed, not the request.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# A Retry-After longer than this is a maintenance window, not back-pressure: give up and say so.
LONGEST_RETRY_AFTER_SECONDS = 600.0
LONGEST_BACKOFF_SECONDS = 120.0
# The largest answer once decompressed: an OAI-PMH page of 1,000 records is a few MB, an API page
# of 200 entries under one; a bomb inflates a thousandfold.
MAX_ANSWER_BYTES = 64 * 2**20
# Headers that describe the body as it came over the wire, not as it is once read.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class AnswerTooLarge(SourceUnavailable):
    """An answer past the size limit once decompressed: refused, not retried (a bomb stays one)."""


def send_bounded(http: httpx.Client, request: httpx.Request, limit: int = MAX_ANSWER_BYTES) -> httpx.Response:
    """``request``'s answer read whole, decompressed, and at most ``limit`` bytes of it: a declared
    ``Content-Length`` past the limit is refused before reading, a longer stream as it crosses it.
    The returned response holds the decoded body (``.content``, ``.json()``) and is closed."""
    response = http.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise AnswerTooLarge(f"{request.url} sent an answer of {int(declared):,} bytes (at most {limit:,} are read)")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(
                    f"{request.url} sent an answer larger than {limit:,} bytes once decompressed "
                    "(a decompression bomb?); refused"
                )
            chunks.append(chunk)
    finally:
        response.close()
    headers = [(name, value) for name, value in response.headers.multi_items() if name.lower() not in _WIRE_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request)


@dataclass(frozen=True)
class Fetched:
    """A complete response body and the exact URL (query included) that produced it."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class _Failure:
    reason: str
    retry_after: float | None = None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class PoliteClient:
    """Sequential GETs with a minimum spacing, retries and backoff. Use as a context manager."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout_seconds: float = 30.0,
        delay_seconds: float = 3.0,
        max_retries: int = 5,
        backoff_seconds: float | None = None,
        service: str = "the server",
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.service = service  # who is unreachable, in messages: "arXiv is unreachable: ..."
        self.max_answer_bytes = max_answer_bytes
        self.delay_seconds = delay_seconds
        self.max_retries = max_retries
        # The first backoff step equals the polite delay unless told otherwise; tests set both to ~0.
        self.backoff_seconds = delay_seconds if backoff_seconds is None else backoff_seconds
        self._lock = threading.Lock()
        self._last_call: float | None = None
        self._http = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=timeout_seconds,
            follow_redirects=True,
        )

    def __enter__(self) -> "PoliteClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        accept_statuses: Collection[int] = (),
    ) -> Fetched:
        """GET ``url``; return the whole body of a 2xx answer (or of a status in ``accept_statuses``).

        Raises SourceUnavailable after ``max_retries`` retries, on a Retry-After beyond
        LONGEST_RETRY_AFTER_SECONDS, or on any other error status.
        """
        request = self._http.build_request("GET", url, params=params)
        shown_url = str(request.url)
        attempt = 0
        with self._lock:
            while True:
                self._pause_between_calls()
                try:
                    outcome = self._attempt(request, shown_url, accept_statuses)
                finally:
                    # Counted from the end of a call, so a slow answer never shortens the pause.
                    self._last_call = time.monotonic()
                if isinstance(outcome, Fetched):
                    return outcome
                if attempt >= self.max_retries:
                    raise SourceUnavailable(
                        f"gave up on {shown_url} after {attempt + 1} attempts: {outcome.reason}"
                    )
                wait = outcome.retry_after
                if wait is None:
                    wait = self._backoff(attempt)
                elif wait > LONGEST_RETRY_AFTER_SECONDS:
                    raise SourceUnavailable(
                        f"{shown_url} asks to retry after {wait:.0f} s ({outcome.reason}); try again later"
                    )
                attempt += 1
                log.warning(
                    "%s: %s; retry %d of %d in %.1f s", shown_url, outcome.reason, attempt, self.max_retries, wait
                )
                time.sleep(wait)

    def _attempt(
        self, request: httpx.Request, shown_url: str, accept_statuses: Collection[int]
    ) -> Fetched | _Failure:
        """One try: the answer, or what went wrong (with the wait the server asked for, if any)."""
        try:
            response = send_bounded(self._http, request, self.max_answer_bytes)
            content = response.content
        except httpx.DecodingError as error:
            raise SourceUnavailable(f"{shown_url} sent an answer that cannot be decompressed ({_describe(error)})") from None
        except httpx.TimeoutException as error:
            return _Failure(f"timed out ({type(error).__name__})")
        except httpx.TransportError as error:
            if (cause := _unreachable(error, request.url)) is not None:
                raise SourceUnreachable(f"{self.service} is unreachable: {cause}") from None
            # Connections reset and bodies cut short of their Content-Length land here.
            return _Failure(f"connection failed ({_describe(error)})")
        status = response.status_code
        if status < 300 or status in accept_statuses:
            return Fetched(shown_url, status, content, response.headers)
        if status in RETRYABLE_STATUSES or status >= 500:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            reason = f"HTTP {status}" + (" with Retry-After" if wait is not None else "")
            return _Failure(reason, wait)
        raise SourceUnavailable(f"{shown_url} answered HTTP {status} {response.reason_phrase}".rstrip())

    def _pause_between_calls(self) -> None:
        if self._last_call is not None:
            remaining = self._last_call + self.delay_seconds - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    def _backoff(self, attempt: int) -> float:
        # Full jitter: many clients recovering at once do not all come back in the same second.
        ceiling = min(LONGEST_BACKOFF_SECONDS, self.backoff_seconds * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _unreachable(error: httpx.TransportError, url: httpx.URL) -> str | None:
    """Why ``url``'s host cannot be reached at all, in an admin's words; None for failures a retry may fix."""
    if not isinstance(error, httpx.ConnectError):
        return None
    cause: BaseException | None = error
    while cause is not None:  # httpx wraps httpcore's error, which wraps the socket's
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve {url.host} (no network or DNS?)"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {url.host}:{url.port or _DEFAULT_PORTS.get(url.scheme, '')}"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"no route to {url.host} (no network?)"
        cause = cause.__cause__ or cause.__context__
    return None


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]

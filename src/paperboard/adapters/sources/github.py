"""A GitHub REST client for one thing: a repository's star count, asked for politely.

* Conditional requests: the ETag of the last answer goes back as ``If-None-Match``; a 304 means
  "unchanged" and does not count against the rate limit.
* The primary rate limit (``x-ratelimit-remaining`` / ``x-ratelimit-reset``) is obeyed: once it
  reaches 0 no request leaves before the reset, and :class:`RateLimited` says when that is.
* Secondary limits (403/429 with ``retry-after``, or without it: wait a minute, as GitHub's
  documentation asks) are waited out when the wait is short, otherwise reported the same way.
* 404, 410 and 451 mean the repository is gone (deleted, made private, blocked); a renamed one
  redirects and is followed.
* Dropped connections and 5xx answers are retried with exponential backoff; then
  :class:`~paperboard.errors.SourceUnavailable`.

The token is optional (60 requests an hour without one, 5,000 with one).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from paperboard.adapters.sources.http import MAX_ANSWER_BYTES, send_bounded
from paperboard.domain.star_history import github_repository
from paperboard.errors import SourceUnavailable

log = logging.getLogger("paperboard.github")

GONE_STATUSES = frozenset({404, 410, 451})
# GitHub: "If you receive a secondary rate limit without retry-after, wait at least one minute."
SECONDARY_LIMIT_DEFAULT_WAIT = 60.0
LONGEST_BACKOFF_SECONDS = 60.0


class RateLimited(SourceUnavailable):
    """GitHub's rate limit is spent until ``resume_at`` (UTC)."""

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


@dataclass(frozen=True)
class RateLimit:
    limit: int | None
    remaining: int
    reset_at: float  # seconds since the epoch, as GitHub sends it


@dataclass(frozen=True)
class _Retry:
    reason: str
    wait: float | None = None


@dataclass(frozen=True)
class RepositoryCheck:
    """What GitHub said about one repository: ``ok`` (with the count), ``unchanged`` (304) or ``gone``."""

    url: str
    outcome: str
    stars: int | None = None
    etag: str | None = None
    created_at: datetime | None = None


class GitHubClient:
    """Sequential repository look-ups. Use as a context manager."""

    def __init__(
        self,
        *,
        api_url: str,
        user_agent: str,
        token: str | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        longest_wait_seconds: float = SECONDARY_LIMIT_DEFAULT_WAIT,
        clock: Callable[[], float] = time.time,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.max_retries = max_retries
        self.max_answer_bytes = max_answer_bytes
        self.backoff_seconds = backoff_seconds
        # A server-requested pause longer than this ends the run instead of stalling it.
        self.longest_wait_seconds = longest_wait_seconds
        self.rate_limit: RateLimit | None = None
        self.requests_sent = 0
        self._clock = clock
        headers = {
            "User-Agent": user_agent,
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        self._has_token = bool(token)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"), headers=headers, timeout=timeout_seconds, follow_redirects=True
        )

    def __enter__(self) -> "GitHubClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def check(self, url: str, etag: str | None = None) -> RepositoryCheck:
        """The star count of the repository at ``url`` (``https://github.com/owner/name``)."""
        repository = github_repository(url)
        if repository is None:
            raise ValueError(f"not a GitHub repository URL: {url}")
        owner, name = repository
        path = f"/repos/{owner}/{name}"
        headers = {"If-None-Match": etag} if etag else {}
        attempt = 0
        while True:
            self._refuse_while_exhausted()
            outcome = self._attempt(url, path, headers)
            if isinstance(outcome, RepositoryCheck):
                return outcome
            if attempt >= self.max_retries:
                raise SourceUnavailable(f"gave up on GitHub {path} after {attempt + 1} attempts: {outcome.reason}")
            wait = self._backoff(attempt) if outcome.wait is None else outcome.wait
            attempt += 1
            log.warning(
                "GitHub %s: %s; retry %d of %d in %.1f s", path, outcome.reason, attempt, self.max_retries, wait
            )
            time.sleep(wait)

    # -- one request ----------------------------------------------------------------------------
    def _attempt(self, url: str, path: str, headers: dict) -> RepositoryCheck | _Retry:
        """The answer, or why to try again and after how long (None: back off)."""
        try:
            self.requests_sent += 1
            response = send_bounded(self._http, self._http.build_request("GET", path, headers=headers), self.max_answer_bytes)
        except httpx.DecodingError as error:
            raise SourceUnavailable(f"GitHub {path} sent an answer that cannot be decompressed ({_first_line(error)})") from None
        except httpx.TransportError as error:
            # Refused, reset or cut connections and timeouts all land here.
            return _Retry(f"connection failed ({_first_line(error)})")
        self._note_rate_limit(response)
        status = response.status_code
        if status == 200:
            return _parse_repository(url, path, response)
        if status == 304:
            return RepositoryCheck(url, "unchanged", etag=headers.get("If-None-Match"))
        if status in GONE_STATUSES:
            return RepositoryCheck(url, "gone")
        if status in (403, 429):
            return _Retry(f"HTTP {status} (rate limited)", self._limited(path, response))
        if status == 401:
            raise SourceUnavailable("GitHub rejected the token (HTTP 401); check PAPERBOARD_GITHUB_TOKEN")
        if status >= 500:
            return _Retry(f"HTTP {status}", _retry_after(response))
        raise SourceUnavailable(f"GitHub {path} answered HTTP {status}: {_message(response)}")

    def _limited(self, path: str, response: httpx.Response) -> float:
        """Seconds to wait out a 403/429, or RateLimited when the wait is too long for this run."""
        wait = _retry_after(response)
        if wait is None and response.headers.get("x-ratelimit-remaining") == "0":
            self._refuse_while_exhausted()
            # GitHub says the limit is spent but its reset is already past by our clock: the clocks
            # disagree, so wait the minute GitHub asks for rather than retry at once.
            wait = SECONDARY_LIMIT_DEFAULT_WAIT
        if wait is None:
            if response.status_code == 403 and "rate limit" not in _message(response).lower():
                raise SourceUnavailable(f"GitHub refused {path} (HTTP 403): {_message(response)}")
            wait = SECONDARY_LIMIT_DEFAULT_WAIT
        if wait > self.longest_wait_seconds:
            resume_at = datetime.fromtimestamp(self._clock() + wait, timezone.utc)
            raise RateLimited(
                f"GitHub asks to pause for {wait:.0f} s (secondary rate limit); resume after "
                f"{resume_at:%H:%M:%S} UTC",
                resume_at,
            )
        return wait

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            limit = response.headers.get("x-ratelimit-limit")
            self.rate_limit = RateLimit(int(limit) if limit else None, int(remaining), float(reset))
        except ValueError:
            log.warning("unreadable rate-limit headers from GitHub: %r / %r", remaining, reset)

    def _refuse_while_exhausted(self) -> None:
        limit = self.rate_limit
        if limit is None or limit.remaining > 0 or self._clock() >= limit.reset_at:
            return
        resume_at = datetime.fromtimestamp(limit.reset_at, timezone.utc)
        hint = "" if self._has_token else " (set PAPERBOARD_GITHUB_TOKEN for 5,000 requests an hour)"
        raise RateLimited(
            f"GitHub rate limit of {limit.limit or '?'} requests is spent until {resume_at:%H:%M:%S} UTC{hint}",
            resume_at,
        )

    def _backoff(self, attempt: int) -> float:
        # Full jitter: many clients recovering at once do not all come back in the same second.
        ceiling = min(LONGEST_BACKOFF_SECONDS, self.backoff_seconds * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


def _parse_repository(url: str, path: str, response: httpx.Response) -> RepositoryCheck:
    try:
        body = response.json()
        stars = int(body["stargazers_count"])
    except (ValueError, KeyError, TypeError) as error:
        raise SourceUnavailable(f"GitHub {path} answered 200 without a star count ({error})") from error
    return RepositoryCheck(url, "ok", stars, response.headers.get("ETag"), _timestamp(body.get("created_at")))


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", "")).strip() or response.reason_phrase
    except (ValueError, AttributeError):
        return response.reason_phrase


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]

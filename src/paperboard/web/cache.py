"""A small in-process cache of whole GET responses, emptied when the data changes.

A route opts in by sending the ``x-pb-cache`` header (removed before the response leaves). The
cache keys on path, query string and whether markdown was asked for. It is emptied

- explicitly, by :meth:`PageCache.invalidate` (this process wrote something, e.g. an on-demand
  index), and
- whenever the database's data version changes; the version is read at most once every
  ``check_seconds``, so a harvest or import in another process shows up within that time.

Pages are served from here without touching the database or the router; that is what makes the
front page cheap under load. A request that carries a session cookie or an ``Authorization``
header bypasses the cache both ways: a member's page (their name in the header, their votes) is
never stored, and no member is served the anonymous copy.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import anyio

MARKER = b"x-pb-cache"
SESSION_COOKIE = b"pb_session="  # web.auth.COOKIE; bytes, matched in the raw header
_MAX_BODY = 512 * 1024


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: str


class PageCache:
    def __init__(
        self,
        data_version: Callable[[], object],
        *,
        check_seconds: float,
        max_bytes: int = 64 * 1024 * 1024,
        max_age_seconds: float = 600,
    ) -> None:
        self._data_version = data_version
        self.check_seconds = check_seconds
        # A byte budget, not an entry count: any query string makes a new key, so a crawler
        # inventing parameters must not be able to grow the process without bound.
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._entries: OrderedDict[tuple, tuple[float, CachedResponse]] = OrderedDict()
        self._bytes = 0
        self._version: object = None
        self._checked_at = float("-inf")
        self.hits = self.misses = 0  # what /metrics reports (paperboard_page_cache_hits and _misses)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        return self.check_seconds > 0

    def invalidate(self) -> None:
        self._clear()
        self._checked_at = float("-inf")

    def _clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    async def refresh(self) -> None:
        """Empty the cache if the data changed since the last check (at most one check per interval)."""
        now = time.monotonic()
        if now - self._checked_at < self.check_seconds:
            return
        self._checked_at = now
        version = await anyio.to_thread.run_sync(self._data_version)
        if version != self._version:
            self._clear()
            self._version = version

    def get(self, key: tuple) -> CachedResponse | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        stored_at, response = found
        if time.monotonic() - stored_at > self.max_age_seconds:
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return response

    def put(self, key: tuple, response: CachedResponse) -> None:
        if len(response.body) > _MAX_BODY:
            return
        self._drop(key)
        self._entries[key] = (time.monotonic(), response)
        self._bytes += len(response.body)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= len(found[1].body)


class CacheMiddleware:
    def __init__(self, app, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not self.cache.enabled:
            await self.app(scope, receive, send)
            return
        if _is_personal(scope):
            await self.app(scope, receive, _without_marker(send))
            return
        await self.cache.refresh()
        key = (scope["path"], scope.get("query_string", b""), _wants_markdown(scope))
        cached = self.cache.get(key)
        if cached is not None:
            scope["cached_route"] = cached.route
            await send({"type": "http.response.start", "status": cached.status, "headers": cached.headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else cached.body})
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if not any(k.lower() == MARKER for k, _ in headers):
                    await send(message)
                    return
                start = {**message, "headers": [(k, v) for k, v in headers if k.lower() != MARKER]}
                await send(start)
                return
            await send(message)
            if start is None or scope["method"] != "GET":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and start["status"] == 200:
                route = getattr(scope.get("route"), "path", scope["path"])
                self.cache.put(key, CachedResponse(start["status"], start["headers"], b"".join(chunks), route))

        await self.app(scope, receive, capture)


def _is_personal(scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"authorization" or (key == b"cookie" and SESSION_COOKIE in value):
            return True
    return False


def _without_marker(send):
    async def forward(message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [(k, v) for k, v in message.get("headers", []) if k.lower() != MARKER]}
        await send(message)

    return forward


def _wants_markdown(scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"accept":
            return b"text/markdown" in value
    return False

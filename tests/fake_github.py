"""A small GitHub REST server on 127.0.0.1 for the star tests: real HTTP, GitHub's behaviours.

It answers ``GET /repos/{owner}/{name}`` with ETags and 304s (which cost no rate limit), a
primary rate limit with ``x-ratelimit-*`` headers and a reset on its own clock, secondary-limit
403s with ``retry-after``, 404 and 451 for gone repositories, and connections cut before any
answer. Everything a client sent is kept in ``requests`` so tests can check what left.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Clock:
    """A clock the server and the client under test share, so a rate-limit reset needs no sleep."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeRepository:
    stars: int
    created_at: str = "2020-01-01T00:00:00Z"


@dataclass
class FakeGitHub:
    clock: Clock = field(default_factory=Clock)
    rate_limit: int = 60
    repositories: dict[str, FakeRepository] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)  # answered 451
    secondary_limited: Counter = field(default_factory=Counter)  # path -> 403s with retry-after left
    retry_after: int = 1
    cuts: Counter = field(default_factory=Counter)  # path -> connections to cut before answering
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.remaining = self.rate_limit
        self.reset_at = int(self.clock()) + 3600
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                fake._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths_requested(self) -> list[str]:
        return [r["path"] for r in self.requests]

    # -- the behaviours -------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            path = handler.path
            self.requests.append({"path": path, "headers": dict(handler.headers)})
            if self.cuts[path] > 0:
                self.cuts[path] -= 1
                handler.close_connection = True
                handler.connection.close()
                return
            if self.clock() >= self.reset_at:
                self.remaining, self.reset_at = self.rate_limit, int(self.clock()) + 3600
            if self.remaining <= 0:
                return self._send(handler, 403, {"message": "API rate limit exceeded for 127.0.0.1."})
            if self.secondary_limited[path] > 0:
                self.secondary_limited[path] -= 1
                return self._send(
                    handler,
                    403,
                    {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
                    {"retry-after": str(self.retry_after)},
                )
            name = path.removeprefix("/repos/")
            if not path.startswith("/repos/") or name not in self.repositories and name not in self.blocked:
                self.remaining -= 1
                return self._send(handler, 404, {"message": "Not Found"})
            if name in self.blocked:
                self.remaining -= 1
                return self._send(handler, 451, {"message": "Repository access blocked"})
            repository = self.repositories[name]
            body = {
                "full_name": name,
                "stargazers_count": repository.stars,
                "created_at": repository.created_at,
            }
            etag = 'W/"' + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:32] + '"'
            if handler.headers.get("If-None-Match") == etag:
                return self._send(handler, 304, None, {"ETag": etag})
            self.remaining -= 1
            self._send(handler, 200, body, {"ETag": etag})

    def _send(self, handler, status: int, body: dict | None, headers: dict | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-ratelimit-limit", str(self.rate_limit))
        handler.send_header("x-ratelimit-remaining", str(self.remaining))
        handler.send_header("x-ratelimit-reset", str(self.reset_at))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

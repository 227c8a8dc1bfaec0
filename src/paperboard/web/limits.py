"""Request bodies are bounded while they are read: 413 long before a hostile body fills memory.

Forms get ``max_form_bytes`` (at least enough for the longest comment the site accepts, percent-
encoded), the JSON API (``/api/``) ``max_api_body_bytes``. A ``Content-Length`` past the limit is
answered at once, unread; a body without one (chunked) is counted as the app pulls it in, and the
read that crosses the limit raises :class:`BodyTooLarge`, a 413 that FastAPI's body parsing passes
on to the error handlers (it turns other exceptions into a 400). A 200 MB JSON body once grew the
server to 838 MB before its 422; now at most the limit and one chunk are ever read.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

# A comment of N characters as a form sends it: up to 4 UTF-8 bytes each, each byte as %XX.
_FORM_BYTES_PER_CHAR = 12
_FORM_OVERHEAD = 16 * 1024  # the other fields: token, next, reply-to


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is too large: this address takes at most {_size(limit)}.")
        self.limit = limit


class BodyLimits:
    """The limits, and what the middleware saw (for tests and /metrics-style checks)."""

    def __init__(self, *, form_bytes: int, api_bytes: int, comment_chars: int = 0) -> None:
        self.form_bytes = max(form_bytes, comment_chars * _FORM_BYTES_PER_CHAR + _FORM_OVERHEAD)
        self.api_bytes = api_bytes
        self.refused = 0
        self.most_read = 0  # the most body bytes any one request had read when it was refused

    def limit_for(self, path: str) -> int:
        return self.api_bytes if path.startswith("/api/") else self.form_bytes


class BodyLimitMiddleware:
    def __init__(self, app, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            self.limits.refused += 1
            await _refuse(scope, receive, send, BodyTooLarge(limit))
            return
        read = 0
        started = False

        async def counting_receive():
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    self.limits.refused += 1
                    self.limits.most_read = max(self.limits.most_read, read)
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:
            # Raised where no handler turned it into a page (a read outside a route).
            if started:
                raise
            await _refuse(scope, receive, send, error)


async def _refuse(scope, receive, send, error: BodyTooLarge) -> None:
    from paperboard.web.errors import error_response  # errors → rendering → app state: imported late

    response = error_response(Request(scope, receive), 413, str(error.detail), heading="Too large")
    response.headers["connection"] = "close"  # the unread body is not worth reading to keep it open
    await response(scope, receive, send)


def _content_length(scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _size(limit: int) -> str:
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit // 1024} KB"

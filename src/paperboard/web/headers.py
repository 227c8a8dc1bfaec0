"""Security headers on every response: pages, JSON, feeds, static files, errors and /docs.

The site's pages need no script at all and take their style from /static/site.css only, so the
Content-Security-Policy allows nothing inline: were escaping ever missed somewhere, injected
markup could neither run script nor restyle the page (no ``style-src 'unsafe-inline'`` either:
there is no ``style=`` attribute or ``<style>`` element in the templates, and a test keeps it so).
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (for browsers before CSP 2) stop other
sites from framing the vote and account forms; ``nosniff`` stops a browser from reading a JSON
answer or a markdown copy that quotes HTML as a page. HSTS is sent only when the site's public URL
(BASE_URL) is https: over plain http it would be ignored, and on a site that really is plain http
it cannot help.

A route that needs more sets its own header, and this middleware leaves it alone: /docs (Swagger
UI's inline start-up script, by hash), the development mail viewer (a mail's inline styles) and
the pages behind mailed links (``Referrer-Policy: no-referrer``, so their token never leaves in a
Referer).

The middleware wraps the app outside Starlette's ``ServerErrorMiddleware`` (see ``wrap``), so an
unexpected error's 500 page carries the headers too.
"""

from __future__ import annotations

import base64
import hashlib
import re

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HSTS = "max-age=31536000"  # a year; subdomains are left to whoever runs them
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def mail_preview_policy() -> str:
    """The CSP of the development mail viewer, whose ``srcdoc`` frame inherits it: the site's, with
    inline styles allowed, since mail can only be styled inline. The frame is sandboxed (no script)
    and the viewer exists only with ``MAIL_DEV_VIEW`` in the dev environment."""
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def docs_policy(html: str) -> str:
    """The CSP of a Swagger UI page: its own inline start-up script by hash, the bundle and the
    spec from this site, and data: images (the icons its stylesheet and components draw). Its
    styles need nothing inline: the UI sets them through the DOM, which CSP does not govern."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' {hashes}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Adds each header a response does not already carry."""

    def __init__(self, app, *, https: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                missing = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", ()), *missing]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wrap(app, *, https: bool) -> None:
    """Put the middleware around the whole of ``app``, error pages included.

    ``add_middleware`` would place it inside ``ServerErrorMiddleware``, which answers an unexpected
    exception itself and so would send its 500 around it; the stack is built on the first request,
    so wrapping the builder puts it outside.
    """
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeadersMiddleware(build(), https=https)

"""CSRF protection: a signed double-submit token, and the key that signs it.

Every form carries ``csrf_token``; the same value lives in the ``pb_csrf`` cookie. An unsafe request
(POST, PUT, PATCH, DELETE) passes only when the two match and the value carries our signature, so
a page on another site can neither read the token nor plant a cookie of its own making.

The signature covers the session too: a hash of the ``pb_session`` cookie the visitor holds
(empty when logged out). A token taken from another browser or another session — planted as a
cookie by someone who can write cookies for the site (a sibling subdomain, plain http) — fails
for this session, and logging in or out makes the next page hand out a new token. The cookie is
``Secure`` when the site is served over https.

Pages are cached and shared between visitors, so templates write a placeholder where the token
goes and :class:`CsrfMiddleware` puts each visitor's own token in on the way out. The placeholder
starts with ``<``, which escaped third-party text can never contain, so a paper title cannot
smuggle one in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from http.cookies import CookieError, SimpleCookie

from fastapi import Request
from markupsafe import Markup

from paperboard.errors import UserError
from paperboard.services.site_secret import site_secret
from paperboard.settings import Settings
from paperboard.web.auth import COOKIE as SESSION_COOKIE
from paperboard.web.auth import bearer_token, current_member

COOKIE = "pb_csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
PLACEHOLDER = "<pb-csrf-token/>"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfRejected(UserError):
    """An unsafe request without a valid token: most often a form older than its cookie."""


def load_secret(settings: Settings) -> bytes:
    """The site's secret (``services.site_secret``) as the bytes the signers here want."""
    return site_secret(settings).encode()


class CsrfTokens:
    def __init__(self, secret: bytes, *, secure: bool = False) -> None:
        self._key = hashlib.sha256(b"paperboard csrf\x00" + secret).digest()
        self.secure = secure

    def new(self, session: str | None) -> str:
        """A token for the visitor holding session cookie ``session`` (None: logged out)."""
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce, session)}"

    def is_genuine(self, token: str | None, session: str | None) -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature, self._sign(nonce, session))

    def cookie(self, token: str) -> bytes:
        return f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{'; Secure' if self.secure else ''}".encode()

    def _sign(self, nonce: str, session: str | None) -> str:
        bound_to = hashlib.sha256((session or "").encode()).hexdigest()
        digest = hmac.new(self._key, f"{nonce}\x00{bound_to}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_field() -> Markup:
    """The hidden form input; the middleware replaces the placeholder with the visitor's token."""
    return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{PLACEHOLDER}">')


def csrf_exempt(endpoint):
    """Mark a route whose URL carries its own proof — a signed, single-purpose token — and that
    outside clients POST without our cookie: RFC 8058 one-click unsubscribe from a mail client."""
    endpoint.csrf_exempt = True
    return endpoint


async def require_csrf(request: Request) -> None:
    """FastAPI dependency on the whole app: unsafe methods need a matching, signed token."""
    if request.method in SAFE_METHODS:
        return
    if getattr(getattr(request.scope.get("route"), "endpoint", None), "csrf_exempt", False):
        return
    if bearer_token(request) is not None:
        # A script with a personal API token: its cookies are ignored, so there is no ambient
        # authority to forge. Resolving the token here answers 401 when it is not a valid one.
        await current_member(request)
        return
    if request.url.path.startswith("/api/") and await current_member(request) is None:
        # No token and no live session: a forged request could act as nobody. Every JSON write
        # needs a member, so the route answers 401 with WWW-Authenticate: a script that forgot its
        # token learns that, not "this form has expired".
        return
    tokens: CsrfTokens = request.app.state.csrf
    cookie = request.cookies.get(COOKIE)
    submitted = request.headers.get(HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(FORM_FIELD)
        submitted = value if isinstance(value, str) else None
    session = request.cookies.get(SESSION_COOKIE)
    if not (tokens.is_genuine(cookie, session) and submitted and hmac.compare_digest(cookie, submitted)):
        raise CsrfRejected(
            "This form has expired or was sent from another site. Reload the page and submit it again "
            "(cookies must be enabled)."
        )


class CsrfMiddleware:
    """Writes each visitor's token into HTML pages and sets the cookie when the visitor has none."""

    def __init__(self, app, tokens: CsrfTokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        session = _cookie(scope, SESSION_COOKIE)
        cookie = _cookie(scope, COOKIE)
        token = cookie if self.tokens.is_genuine(cookie, session) else None
        start: dict | None = None
        chunks: list[bytes] = []

        async def send_with_token(message) -> None:
            nonlocal start, token
            if message["type"] == "http.response.start":
                if not _is_html(message):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            if PLACEHOLDER.encode() in body:
                if token is None:
                    token = self.tokens.new(session)
                    headers.append((b"set-cookie", self.tokens.cookie(token)))
                body = body.replace(PLACEHOLDER.encode(), token.encode())
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_token)


def _is_html(start_message: dict) -> bool:
    for key, value in start_message.get("headers", []):
        if key.lower() == b"content-type":
            return value.startswith(b"text/html")
    return False


def _cookie(scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed Cookie header is the visitor's problem, not a 500
                return None
            if name in jar:
                return jar[name].value
    return None

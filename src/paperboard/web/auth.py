"""Who is asking: the signed session cookie, personal API tokens, and the dependencies routes use.

The cookie ``pb_session`` holds ``[user id, session version]`` signed and timestamped with the
site's secret (itsdangerous); nothing else, so it reveals nothing and carries no role that could
go stale. Each request with it reads the member's row: a deleted member, a changed role or a
bumped session version (log out everywhere, new password) takes effect at once.

A request with ``Authorization: Bearer <token>`` is a script using a personal API token: its
cookies are ignored entirely, which is why such a request needs no CSRF token (a browser never
adds that header to a cross-site request by itself).

Route dependencies: :func:`current_member` (Member or None), :func:`require_member` (pages go to
/login?next=…, /api answers 401), :func:`require_verified` (403 until the email is verified),
:func:`require_role` (403 below the role), :func:`api_member` (token or session, 401 JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException

from paperboard.domain.accounts import Role, has_role
from paperboard.services import accounts as account_service

COOKIE = "pb_session"
_UNRESOLVED = object()


@dataclass(frozen=True)
class Member:
    id: int
    username: str
    display_name: str | None
    role: str
    email_verified: bool

    def has_role(self, role: str) -> bool:
        return has_role(self.role, role)


class LoginRequired(Exception):
    """A page needs a member; the error handler redirects to the login page and back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class SessionCookies:
    def __init__(self, secret: bytes, *, secure: bool, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="paperboard.session")
        self.secure = secure
        self.max_age_seconds = max_age_seconds

    def encode(self, user_id: int, session_version: int) -> str:
        return self._serializer.dumps([user_id, session_version])

    def decode(self, value: str | None) -> tuple[int, int] | None:
        if not value:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:  # includes SignatureExpired
            return None
        if not (isinstance(payload, list) and len(payload) == 2 and all(type(p) is int for p in payload)):
            return None
        return payload[0], payload[1]

    def set(self, response, user_id: int, session_version: int) -> None:
        response.set_cookie(
            COOKIE, self.encode(user_id, session_version), max_age=self.max_age_seconds, path="/",
            httponly=True, samesite="lax", secure=self.secure,
        )

    def clear(self, response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" for a Bearer header without one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _member(user) -> Member:
    return Member(user.id, user.username, user.display_name, user.role, user.email_verified_at is not None)


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="paperboard"'})


async def current_member(request: Request) -> Member | None:
    """The member making the request (token or session cookie), or None; resolved once per request.

    A Bearer token that is unknown or revoked is a 401, not an anonymous request: a script should
    learn at once that its token stopped working.
    """
    found = getattr(request.state, "member", _UNRESOLVED)
    if found is not _UNRESOLVED:
        return found
    ctx = request.app.state.ctx
    token = bearer_token(request)
    if token is not None:
        user = await run_in_threadpool(account_service.user_for_api_token, ctx, token) if token else None
        if user is None:
            raise _unauthorised("This API token is not valid (revoked, mistyped or never issued).")
        member = _member(user)
    else:
        member = None
        session = request.app.state.sessions.decode(request.cookies.get(COOKIE))
        if session is not None:
            user = await run_in_threadpool(account_service.session_user, ctx, *session)
            member = _member(user) if user is not None else None
    request.state.member = member
    return member


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def require_member(request: Request, member: Member | None = Depends(current_member)) -> Member:
    if member is not None:
        return member
    if _is_api(request):
        raise _unauthorised("Log in or send a personal API token (Authorization: Bearer …).")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target)


async def require_verified(member: Member = Depends(require_member)) -> Member:
    """A member whose email address is verified: for actions others see (comments, submissions)."""
    if not member.email_verified:
        raise HTTPException(403, "Verify your email address first: open the link we mailed you (your account page can send it again).")
    return member


def require_role(role: str):
    """A dependency that lets through members of ``role`` or above, and answers 403 to others."""
    Role.parse(role)  # a typo in a route is caught when the app is built, not on a request

    async def dependency(member: Member = Depends(require_member)) -> Member:
        if not member.has_role(role):
            raise HTTPException(403, f"This needs the {role} role.")
        return member

    return dependency


async def api_member(request: Request, member: Member | None = Depends(current_member)) -> Member:
    """For JSON write endpoints: a personal API token, or the browser's session (then CSRF applies)."""
    if member is None:
        raise _unauthorised("Send a personal API token (Authorization: Bearer …) or log in.")
    return member


def login_path(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")

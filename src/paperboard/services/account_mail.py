"""The account flows that go through a mailbox: sign-up verification and password reset.

A link in these mails carries a random secret; the database keeps only its SHA-256 in
``user_tokens`` with its purpose, expiry and the time it was used. A token works once, for its
purpose only, until it expires; a new reset link voids the older ones.

Each mail leaves after the transaction that made its token committed: the web route hands
:func:`send_account_mail` to a background task that runs once the response has gone. The secret
exists only in that task's memory, so a crash between commit and send loses the mail (never sends
it twice); the member asks again (the "send the link again" button, or the reset form).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from paperboard.adapters.store import users as store
from paperboard.adapters.store.users import UserRow
from paperboard.domain.accounts import check_password, new_secret, secret_hash
from paperboard.errors import UserError
from paperboard.services import ratelimit
from paperboard.services.accounts import (
    AccountError,
    EmailTaken,
    checked_email,
    create_user,
    hash_password,
    rule,
)
from paperboard.services.ratelimit import RateLimited
from paperboard.services.context import AppContext
from paperboard.services.mail import Letter, send_mail

log = logging.getLogger("paperboard.accounts")

VERIFY, RESET = "verify", "reset"
SIGNUP_NOTICE = "signup_notice"  # to an owner: someone tried to sign up with your address (no link secret)
_KEEP_EXPIRED = timedelta(days=7)
_PATHS = {VERIFY: "/verify", RESET: "/password/reset"}
_TEMPLATES = {VERIFY: "verify_email", RESET: "password_reset", SIGNUP_NOTICE: "signup_notice"}


class TokenProblem(UserError):
    """A link from an account mail that is unknown, used or expired; the message says which."""


@dataclass(frozen=True)
class MailOwed:
    """A mail to send once the transaction committed: to whom, which kind, and the link's secret."""

    user_id: int
    purpose: str
    secret: str


def _lifetime(ctx: AppContext, purpose: str) -> timedelta:
    if purpose == VERIFY:
        return timedelta(hours=ctx.settings.account_verify_hours)
    return timedelta(minutes=ctx.settings.password_reset_minutes)


def _issue(connection, ctx: AppContext, user_id: int, purpose: str, now: datetime) -> MailOwed:
    secret = new_secret()
    if purpose == RESET:
        store.retire_mail_tokens(connection, user_id, RESET, now)
    store.add_mail_token(
        connection, user_id=user_id, purpose=purpose, token_hash=secret_hash(secret), now=now,
        expires_at=now + _lifetime(ctx, purpose),
    )
    return MailOwed(user_id, purpose, secret)


def link(ctx: AppContext, purpose: str, secret: str) -> str:
    return f"{ctx.settings.resolved_base_url}{_PATHS[purpose]}?token={quote(secret)}"


# -- sign-up and verification -------------------------------------------------------------------
def sign_up(
    ctx: AppContext, *, email: str, username: str, password: str, display_name: str | None = None, ip: str,
    now: datetime | None = None,
) -> MailOwed | None:
    """The mail a sign-up owes: a verification mail to a new, unverified member, or — when the
    address already has an account — a notice to its owner that someone tried to sign up with it
    (None past ``rate_limit_signup_notice``). The caller answers the same either way, so the form
    tells nobody which addresses have accounts; the same argon2 work is done for both."""
    now = now or ctx.now()
    ratelimit.check(ctx, "signup_ip", ip, now=now)
    try:
        user = create_user(ctx, email=email, username=username, password=password, display_name=display_name, now=now)
    except EmailTaken as taken:
        return _signup_notice(ctx, taken.email, now)
    with ctx.database.write() as connection:
        return _issue(connection, ctx, user.id, VERIFY, now)


def _signup_notice(ctx: AppContext, email: str, now: datetime) -> MailOwed | None:
    try:
        ratelimit.check(ctx, "signup_notice", email, now=now)
    except RateLimited:  # said to nobody: a 429 here would tell that the address has an account
        log.info("sign-up notice to an existing address not sent: over its limit")
        return None
    with ctx.database.read() as connection:
        owner = store.find_by_email(connection, email)
    return MailOwed(owner.id, SIGNUP_NOTICE, "") if owner is not None else None


def resend_verification(ctx: AppContext, user_id: int, *, now: datetime | None = None) -> MailOwed | None:
    """A fresh verification link for a member not yet verified (None when already verified)."""
    now = now or ctx.now()
    ratelimit.check(ctx, "verify_mail", str(user_id), now=now)
    with ctx.database.write() as connection:
        user = store.get_user(connection, user_id)
        if user is None or user.email_verified_at is not None:
            return None
        return _issue(connection, ctx, user_id, VERIFY, now)


def _check(token, purpose: str, now: datetime):
    what = "verification" if purpose == VERIFY else "password reset"
    if token is None:
        raise TokenProblem(f"This {what} link is not valid: it is damaged or was not made by this site. Copy the whole link from the mail.")
    if token.used_at is not None:
        raise TokenProblem(
            "This link was already used (each link works once)."
            + (" Your address is verified." if purpose == VERIFY else " Ask for a new one if you still need to reset your password.")
        )
    if token.expires_at <= now:
        raise TokenProblem(
            f"This {what} link has expired. "
            + ("Log in and ask for a new one from your account page." if purpose == VERIFY else "Ask for a new one.")
        )
    return token


def inspect_token(ctx: AppContext, purpose: str, secret: str, *, now: datetime | None = None) -> UserRow:
    """The member a link is for, or TokenProblem; changes nothing (for the page shown on GET)."""
    if not secret or len(secret) > 200:
        raise TokenProblem("This link is not complete. Copy the whole link from the mail.")
    with ctx.database.read() as connection:
        token = _check(store.find_mail_token(connection, purpose, secret_hash(secret)), purpose, now or ctx.now())
        user = store.get_user(connection, token.user_id)
    if user is None:
        raise TokenProblem("The account this link was for no longer exists.")
    return user


def _consume(connection, purpose: str, secret: str, now: datetime):
    token = _check(store.find_mail_token(connection, purpose, secret_hash(secret or "")), purpose, now)
    if not store.use_mail_token(connection, token.id, now):
        raise TokenProblem("This link was already used (each link works once).")
    return token


def verify_email(ctx: AppContext, secret: str, *, now: datetime | None = None) -> UserRow:
    now = now or ctx.now()
    with ctx.database.write() as connection:
        token = _consume(connection, VERIFY, secret, now)
        store.mark_verified(connection, token.user_id, now)
        return store.get_user(connection, token.user_id)


# -- password reset -----------------------------------------------------------------------------
def request_password_reset(ctx: AppContext, email: str, *, ip: str, now: datetime | None = None) -> MailOwed | None:
    """A reset mail owed to the account of ``email``, or None when there is none.

    The page says the same either way, so it cannot be used to learn who has an account.
    """
    ratelimit.check(ctx, "password_reset_ip", ip)
    email = checked_email(email)
    ratelimit.check(ctx, "password_reset_account", email)
    now = now or ctx.now()
    with ctx.database.write() as connection:
        user = store.find_by_email(connection, email)
        return _issue(connection, ctx, user.id, RESET, now) if user is not None else None


def reset_password(ctx: AppContext, secret: str, password: str, *, now: datetime | None = None) -> UserRow:
    """Set the password a reset link allows; every session ends, the address counts as verified."""
    now = now or ctx.now()
    user = inspect_token(ctx, RESET, secret, now=now)
    rule(check_password, password, email=user.email, username=user.username)
    new_hash = hash_password(ctx, password)
    with ctx.database.write() as connection:
        token = _consume(connection, RESET, secret, now)
        store.set_password(connection, token.user_id, new_hash)
        store.mark_verified(connection, token.user_id, now)
        return store.get_user(connection, token.user_id)


def prune_expired_tokens(ctx: AppContext, *, now: datetime | None = None) -> str | None:
    """The scheduled sweep: tokens expired over a week ago (until then a link still gets the clear
    "expired" or "already used" page rather than "not valid")."""
    with ctx.database.write() as connection:
        dropped = store.prune_mail_tokens(connection, (now or ctx.now()) - _KEEP_EXPIRED)
    return f"{dropped} expired account mail tokens dropped" if dropped else None


# -- sending ------------------------------------------------------------------------------------
def send_account_mail(ctx: AppContext, owed: MailOwed) -> bool:
    """Send one owed mail; True when the relay took it. A failure is logged by ``send_mail``, never
    raised (this runs after the response): the member can ask again."""
    settings = ctx.settings
    with ctx.database.read() as reading:
        user = store.get_user(reading, owed.user_id)
    if user is None:
        return False
    base_url = settings.resolved_base_url
    values = {
        "username": user.username,
        "link": link(ctx, owed.purpose, owed.secret) if owed.secret else f"{base_url}/login",
        "reset_url": f"{base_url}/password/forgot",
        "valid_hours": settings.account_verify_hours,
        "valid_minutes": settings.password_reset_minutes,
    }
    # A transactional mail the member asked for: no list to leave, so no unsubscribe link.
    return send_mail(ctx, Letter(_TEMPLATES[owed.purpose], user.email, values)).sent


__all__ = [
    "AccountError", "MailOwed", "RESET", "SIGNUP_NOTICE", "TokenProblem", "VERIFY", "inspect_token", "link", "request_password_reset",
    "resend_verification", "reset_password", "send_account_mail", "sign_up", "verify_email",
]

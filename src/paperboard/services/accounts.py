"""Members: creating them, checking passwords, sessions, personal API tokens, roles.

Passwords are hashed with argon2id at the cost the ``PASSWORD_HASH_*`` settings choose (by default
argon2-cffi's, RFC 9106's second recommendation; the tests run at the cheapest). A hash carries its
own parameters, so it verifies whatever the settings say now, and one made with other parameters is
replaced at the next successful login. Mail flows (sign-up verification, password reset) live in
:mod:`paperboard.services.account_mail`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from paperboard.adapters.store import users as store
from paperboard.adapters.store.users import ApiToken, UserRow
from paperboard.domain.accounts import (
    AccountRuleError,
    Role,
    check_password,
    clean_display_name,
    clean_token_name,
    new_api_token,
    normalise_username,
    secret_hash,
    shown_prefix,
)
from paperboard.domain.email_address import InvalidEmail, normalise_email
from paperboard.errors import UserError, WritesUnavailable
from paperboard.services import ratelimit
from paperboard.services.context import AppContext

log = logging.getLogger("paperboard.accounts")
_VERIFIER = PasswordHasher()  # verify() reads the parameters from the hash, not from the hasher
# A token's "last used" is written at most this often: a script calling the API in a loop should
# not turn every read into a write.
_TOUCH_EVERY = timedelta(minutes=5)


@lru_cache(maxsize=4)
def _hasher_with(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def password_hasher(ctx: AppContext) -> PasswordHasher:
    """The argon2id hasher of the ``PASSWORD_HASH_*`` settings: new hashes and the rehash check."""
    settings = ctx.settings
    return _hasher_with(settings.password_hash_time_cost, settings.password_hash_memory_kib, settings.password_hash_parallelism)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Checked against when a login names nobody, so a wrong email costs the same time as a wrong
    password and response times do not tell which addresses have accounts."""
    return hasher.hash("paperboard: no such member")


class AccountError(UserError):
    """A request about an account that cannot be done; the message is for a person."""


class EmailTaken(AccountError):
    """The address already has an account (sign-up answers as for a new one; see ``account_mail``)."""

    def __init__(self, message: str, email: str) -> None:
        super().__init__(message)
        self.email = email


@dataclass(frozen=True)
class NewApiToken:
    id: int
    name: str
    secret: str  # shown once, never stored



def hash_password(ctx: AppContext, password: str) -> str:
    return password_hasher(ctx).hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one hashed, at the parameters the hash names (any settings)."""
    try:
        return _VERIFIER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def checked_email(text: str) -> str:
    try:
        return normalise_email(text)
    except InvalidEmail as error:
        raise AccountError(f"Not a usable email address: {error}") from None


def rule(check, *args, **kwargs):
    """Run a domain rule, turning its complaint into an AccountError for the page."""
    try:
        return check(*args, **kwargs)
    except AccountRuleError as error:
        raise AccountError(str(error)[:1].upper() + str(error)[1:] + ".") from None


def create_user(
    ctx: AppContext, *, email: str, username: str, password: str, display_name: str | None = None,
    role: str = "user", verified: bool = False, now: datetime | None = None,
) -> UserRow:
    """A new member after every rule is checked; AccountError when the email or username is taken."""
    email = checked_email(email)
    username = rule(normalise_username, username)
    display_name = rule(clean_display_name, display_name)
    rule(check_password, password, email=email, username=username)
    role = rule(Role.parse, role).label
    password_hash = hash_password(ctx, password)
    with ctx.database.write() as connection:
        user_id = store.create_user(
            connection, email=email, username=username, password_hash=password_hash, now=now or ctx.now(),
            display_name=display_name, role=role, verified=verified,
        )
        if user_id is None:
            # The username first: usernames are public (profiles), addresses are not, so a form that
            # must not reveal addresses can say "taken" about a username only.
            email_taken, username_taken = store.taken(connection, email=email, username=username)
            if username_taken or not email_taken:
                raise AccountError(f"The username {username} is taken; choose another.")
            raise EmailTaken("An account with this email address already exists; log in or reset its password.", email)
        return store.get_user(connection, user_id)


def get_member(ctx: AppContext, user_id: int) -> UserRow | None:
    with ctx.database.read() as connection:
        return store.get_user(connection, user_id)


def member_by_email(ctx: AppContext, email: str) -> UserRow | None:
    with ctx.database.read() as connection:
        return store.find_by_email(connection, checked_email(email))


def session_user(ctx: AppContext, user_id: int, session_version: int) -> UserRow | None:
    """The member a session cookie names, if the session is still current."""
    with ctx.database.read() as connection:
        user = store.get_user(connection, user_id)
    if user is None or user.session_version != session_version:
        return None
    return user


# -- logging in and out, passwords --------------------------------------------------------------
WRONG_LOGIN = "Wrong email, username or password."


def log_in(ctx: AppContext, identifier: str, password: str, *, ip: str, now: datetime | None = None) -> UserRow:
    """The member whose login and password these are, or AccountError; counted by two limiters.

    The message is the same for an unknown login and a wrong password, and both cost one argon2
    check, so the form does not tell anyone which logins exist.
    """
    identifier = (identifier or "").strip().lower()[:320]
    ratelimit.check(ctx, "login_ip", ip)
    with ctx.database.read() as connection:
        user = store.find_for_login(connection, identifier) if identifier else None
    # Counted per account, whether its email or its username was typed; per text for no account.
    ratelimit.check(ctx, "login_account", str(user.id) if user is not None else identifier)
    if user is None:
        password_matches(_dummy_hash(password_hasher(ctx)), password or "")
        raise AccountError(WRONG_LOGIN)
    if not password_matches(user.password_hash, password or ""):
        raise AccountError(WRONG_LOGIN)
    with ctx.database.write() as connection:
        if password_hasher(ctx).check_needs_rehash(user.password_hash):
            store.update_password_hash(connection, user.id, user.password_hash, hash_password(ctx, password))
        store.record_login(connection, user.id, now or ctx.now())
        return store.get_user(connection, user.id)


def _own_password(ctx: AppContext, user_id: int, password: str) -> UserRow:
    """The member, once ``password`` is theirs (re-entry before a sensitive change)."""
    with ctx.database.read() as connection:
        user = store.get_user(connection, user_id)
    if user is None:
        raise AccountError("This account no longer exists.")
    ratelimit.check(ctx, "login_account", str(user.id))
    if not password_matches(user.password_hash, password or ""):
        raise AccountError("That is not your current password.")
    return user


def change_password(ctx: AppContext, user_id: int, current: str, new: str) -> UserRow:
    """Set a new password; every other session ends. The member with its new session version."""
    user = _own_password(ctx, user_id, current)
    rule(check_password, new, email=user.email, username=user.username)
    new_hash = hash_password(ctx, new)
    with ctx.database.write() as connection:
        store.set_password(connection, user.id, new_hash)
        return store.get_user(connection, user.id)


def log_out_everywhere(ctx: AppContext, user_id: int) -> None:
    with ctx.database.write() as connection:
        store.bump_session_version(connection, user_id)


def delete_account(ctx: AppContext, user_id: int, password: str) -> str:
    """Delete the member and every personal datum (see ``store.users.delete_user``); their username."""
    user = _own_password(ctx, user_id, password)
    with ctx.database.write() as connection:
        store.delete_user(connection, user.id)
    return user.username


# -- roles (the CLI) ----------------------------------------------------------------------------
def _available_username(connection, email: str) -> str:
    """A free username made from the address's local part (``ada.l+x@…`` → ``ada-l-x``, then ``ada-l-x2`` …)."""
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0].lower()).strip("-")[:30] or "member"
    base = base if len(base) >= 3 else f"{base}-member"
    for suffix in ["", *range(2, 10_000)]:
        candidate = f"{base}{suffix}"
        try:
            normalise_username(candidate)
        except AccountRuleError:
            continue
        if store.find_by_username(connection, candidate) is None:
            return candidate
    raise AccountError("No free username could be made from this address; pass --username.")


def create_admin(ctx: AppContext, email: str, *, password: str | None, username: str | None = None) -> tuple[UserRow, bool]:
    """Make ``email`` an admin: the existing account is promoted (its password untouched), or a new,
    verified account is created. Idempotent. The member and whether it was created."""
    email = checked_email(email)
    with ctx.database.write() as connection:
        existing = store.find_by_email(connection, email)
        if existing is not None:
            store.set_role(connection, existing.id, Role.ADMIN.label)
            return store.get_user(connection, existing.id), False
        username = username or _available_username(connection, email)
    if password is None:
        raise AccountError(f"There is no account for {email} yet: a password is needed to create one.")
    return create_user(ctx, email=email, username=username, password=password, role="admin", verified=True), True


def set_role(ctx: AppContext, email: str, role: str) -> UserRow:
    email = checked_email(email)
    role = rule(Role.parse, role).label
    with ctx.database.write() as connection:
        user = store.find_by_email(connection, email)
        if user is None:
            raise AccountError(f"There is no account for {email}.")
        store.set_role(connection, user.id, role)
        return store.get_user(connection, user.id)


def list_members(ctx: AppContext) -> list[UserRow]:
    with ctx.database.read() as connection:
        return store.list_users(connection)


# -- personal API tokens ------------------------------------------------------------------------
def user_for_api_token(ctx: AppContext, token: str, *, now: datetime | None = None) -> UserRow | None:
    if not token or len(token) > 200:
        return None
    with ctx.database.read() as connection:
        found = store.user_for_api_token(connection, secret_hash(token))
    if found is None:
        return None
    token_id, last_used_at, user = found
    now = now or ctx.now()
    if last_used_at is None or now - last_used_at > _TOUCH_EVERY:
        try:
            with ctx.database.write() as connection:
                store.touch_api_token(connection, token_id, now)
        except WritesUnavailable as error:  # bookkeeping only: a read-only site still answers the token's reads
            log.warning("api token %s last use not recorded: %s", token_id, error)
    return user


def create_api_token(ctx: AppContext, user_id: int, name: str, *, now: datetime | None = None) -> NewApiToken:
    name = rule(clean_token_name, name)
    ratelimit.check(ctx, "api_token", str(user_id))
    secret = new_api_token()
    with ctx.database.write() as connection:
        token_id = store.add_api_token(
            connection, user_id=user_id, name=name, token_hash=secret_hash(secret), token_prefix=shown_prefix(secret),
            now=now or ctx.now(),
        )
    return NewApiToken(token_id, name, secret)


def list_api_tokens(ctx: AppContext, user_id: int) -> list[ApiToken]:
    with ctx.database.read() as connection:
        return store.list_api_tokens(connection, user_id)


def revoke_api_token(ctx: AppContext, user_id: int, token_id: int) -> bool:
    with ctx.database.write() as connection:
        return store.revoke_api_token(connection, user_id, token_id)

"""Members, the single-use tokens mailed to them, and their personal API tokens.

Emails arrive normalised (``domain.email_address``) and usernames lower-cased
(``domain.accounts``); secrets arrive already hashed. Nothing here decides policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.adapters.store.schema import api_tokens, rate_limit_hits, subscriptions, user_tokens, users


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    username: str
    display_name: str | None
    password_hash: str
    role: str
    email_verified_at: datetime | None
    session_version: int
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class MailToken:
    id: int
    user_id: int
    purpose: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    token_prefix: str
    created_at: datetime
    last_used_at: datetime | None


def _user(row) -> UserRow | None:
    return UserRow(**row._mapping) if row is not None else None


def _insert(connection: Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


# -- users --------------------------------------------------------------------------------------
def create_user(
    connection: Connection, *, email: str, username: str, password_hash: str, now: datetime,
    display_name: str | None = None, role: str = "user", verified: bool = False,
) -> int | None:
    """The new member's id, or None when the email or the username is taken (nothing written)."""
    statement = (
        _insert(connection)(users)
        .values(
            email=email, username=username, display_name=display_name, password_hash=password_hash, role=role,
            email_verified_at=now if verified else None, session_version=0, created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(users.c.id)
    )
    return connection.execute(statement).scalar()


def get_user(connection: Connection, user_id: int) -> UserRow | None:
    return _user(connection.execute(select(users).where(users.c.id == user_id)).first())


def find_by_email(connection: Connection, email: str) -> UserRow | None:
    return _user(connection.execute(select(users).where(users.c.email == email)).first())


def find_by_username(connection: Connection, username: str) -> UserRow | None:
    return _user(connection.execute(select(users).where(users.c.username == username)).first())


def find_for_login(connection: Connection, identifier: str) -> UserRow | None:
    """A member by email or username (both stored lower-case)."""
    key = identifier.strip().lower()
    return _user(connection.execute(select(users).where(or_(users.c.email == key, users.c.username == key))).first())


def taken(connection: Connection, *, email: str, username: str) -> tuple[bool, bool]:
    """Whether the email and whether the username already belong to someone."""
    rows = connection.execute(select(users.c.email, users.c.username).where(or_(users.c.email == email, users.c.username == username))).all()
    return any(r.email == email for r in rows), any(r.username == username for r in rows)


def list_users(connection: Connection) -> list[UserRow]:
    return [_user(r) for r in connection.execute(select(users).order_by(users.c.id))]


def set_role(connection: Connection, user_id: int, role: str) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(role=role))


def mark_verified(connection: Connection, user_id: int, now: datetime) -> None:
    """Idempotent: the first verification time stays."""
    connection.execute(
        update(users).where(users.c.id == user_id, users.c.email_verified_at.is_(None)).values(email_verified_at=now)
    )


def set_password(connection: Connection, user_id: int, password_hash: str) -> None:
    """A new password ends every session issued before it (the session version moves on)."""
    connection.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash, session_version=users.c.session_version + 1)
    )


def update_password_hash(connection: Connection, user_id: int, old_hash: str, new_hash: str) -> None:
    """A rehash with new argon2 parameters at login: same password, sessions untouched."""
    connection.execute(update(users).where(users.c.id == user_id, users.c.password_hash == old_hash).values(password_hash=new_hash))


def bump_session_version(connection: Connection, user_id: int) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(session_version=users.c.session_version + 1))


def record_login(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(last_login_at=now))


def delete_user(connection: Connection, user_id: int) -> bool:
    """Remove a member and every personal datum: rows that reference the member go by CASCADE
    (tokens, upvotes, comments, collections, claims) or lose the reference (SET NULL). Two kinds
    of row name the member without a foreign key and are deleted here: the digest subscription
    linked to the account, and rate-limit counters keyed by its email, username or id."""
    user = get_user(connection, user_id)
    if user is None:
        return False
    connection.execute(delete(subscriptions).where(or_(subscriptions.c.user_id == str(user_id), subscriptions.c.email == user.email)))
    connection.execute(delete(rate_limit_hits).where(rate_limit_hits.c.key.in_([user.email, user.username, str(user_id)])))
    return connection.execute(delete(users).where(users.c.id == user_id)).rowcount > 0


# -- tokens mailed for one purpose (verify, reset) ---------------------------------------------
def add_mail_token(connection: Connection, *, user_id: int, purpose: str, token_hash: str, now: datetime, expires_at: datetime) -> None:
    connection.execute(
        insert(user_tokens).values(user_id=user_id, purpose=purpose, token_hash=token_hash, created_at=now, expires_at=expires_at)
    )


def find_mail_token(connection: Connection, purpose: str, token_hash: str) -> MailToken | None:
    row = connection.execute(
        select(user_tokens.c.id, user_tokens.c.user_id, user_tokens.c.purpose, user_tokens.c.expires_at, user_tokens.c.used_at)
        .where(user_tokens.c.token_hash == token_hash, user_tokens.c.purpose == purpose)
    ).first()
    return MailToken(**row._mapping) if row is not None else None


def use_mail_token(connection: Connection, token_id: int, now: datetime) -> bool:
    """Mark a token used; False when another request used it first (single use under races)."""
    result = connection.execute(
        update(user_tokens).where(user_tokens.c.id == token_id, user_tokens.c.used_at.is_(None)).values(used_at=now)
    )
    return result.rowcount == 1


def retire_mail_tokens(connection: Connection, user_id: int, purpose: str, now: datetime) -> None:
    """Every unused token of a purpose stops working (a new reset link voids the older ones)."""
    connection.execute(
        update(user_tokens)
        .where(user_tokens.c.user_id == user_id, user_tokens.c.purpose == purpose, user_tokens.c.used_at.is_(None))
        .values(used_at=now)
    )


def prune_mail_tokens(connection: Connection, before: datetime) -> int:
    return connection.execute(delete(user_tokens).where(user_tokens.c.expires_at < before)).rowcount


# -- personal API tokens ------------------------------------------------------------------------
def add_api_token(connection: Connection, *, user_id: int, name: str, token_hash: str, token_prefix: str, now: datetime) -> int:
    return connection.execute(
        insert(api_tokens)
        .values(user_id=user_id, name=name, token_hash=token_hash, token_prefix=token_prefix, created_at=now)
        .returning(api_tokens.c.id)
    ).scalar_one()


def list_api_tokens(connection: Connection, user_id: int) -> list[ApiToken]:
    rows = connection.execute(
        select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.token_prefix, api_tokens.c.created_at, api_tokens.c.last_used_at)
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.id)
    )
    return [ApiToken(**r._mapping) for r in rows]


def revoke_api_token(connection: Connection, user_id: int, token_id: int) -> bool:
    """Delete one of the member's own tokens; False when there is none by that id (idempotent)."""
    result = connection.execute(delete(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id))
    return result.rowcount == 1


def user_for_api_token(connection: Connection, token_hash: str) -> tuple[int, datetime | None, UserRow] | None:
    """The token's id, when it was last used, and its owner; None for an unknown (or revoked) token."""
    row = connection.execute(
        select(api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at.label("token_used_at"), users)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    values = dict(row._mapping)
    return values.pop("token_id"), values.pop("token_used_at"), UserRow(**values)


def touch_api_token(connection: Connection, token_id: int, now: datetime) -> None:
    connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))

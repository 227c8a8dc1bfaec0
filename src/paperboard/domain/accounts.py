"""Members as rules: roles and what they may do, usernames, the password policy, token secrets.

Pure: no database, no web. Secrets that travel (links in mail, API tokens) are random strings;
only their SHA-256 is ever stored, so a copy of the database holds no usable link or token. A
plain hash (not a slow one) is right for them: they carry 256 random bits, nothing to guess.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from enum import IntEnum

USERNAME_MIN, USERNAME_MAX = 3, 40
DISPLAY_NAME_MAX = 100
PASSWORD_MIN, PASSWORD_MAX = 10, 256
API_TOKEN_PREFIX = "pb_"
API_TOKEN_SHOWN = 10  # characters of a token its owner sees in the list, to tell tokens apart
TOKEN_NAME_MAX = 100

_USERNAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
# Names that would read as the site speaking, or collide with a path a profile URL could shadow.
RESERVED_USERNAMES = frozenset(
    {
        "admin", "administrator", "moderator", "mod", "root", "system", "paperboard", "support",
        "api", "account", "login", "logout", "signup", "settings", "static", "papers", "users",
        "me", "new", "edit", "delete", "anonymous", "null", "none", "help", "about", "security",
    }
)


class AccountRuleError(ValueError):
    """Input that breaks an account rule; the message is for a person."""


class Role(IntEnum):
    """Ordered: each role may do everything the roles below it may."""

    USER = 0
    MODERATOR = 1
    ADMIN = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Role":
        try:
            return cls[(text or "").strip().upper()]
        except KeyError:
            raise AccountRuleError(f"a role is one of {', '.join(r.label for r in cls)}, not {text!r}") from None



def has_role(actual: str, required: str) -> bool:
    """Whether a member whose role is ``actual`` may act as ``required`` (an unknown role: no)."""
    try:
        return Role.parse(actual) >= Role.parse(required)
    except AccountRuleError:
        return False


def normalise_username(text: str) -> str:
    """The handle as stored (lower case), or AccountRuleError saying which rule it breaks.

    Lower case keeps ``Alice`` and ``alice`` from being two people; the display name keeps the
    capitals a member wants shown.
    """
    candidate = (text or "").strip().lower()
    if not USERNAME_MIN <= len(candidate) <= USERNAME_MAX:
        raise AccountRuleError(f"a username has {USERNAME_MIN} to {USERNAME_MAX} characters")
    if not _USERNAME.fullmatch(candidate):
        raise AccountRuleError(
            "a username uses letters a-z, digits, '-' and '_', and starts and ends with a letter or digit"
        )
    if candidate in RESERVED_USERNAMES:
        raise AccountRuleError(f"the username {candidate!r} is reserved; choose another")
    return candidate


def clean_display_name(text: str | None) -> str | None:
    """The name shown beside the handle: one line, at most DISPLAY_NAME_MAX characters, or None."""
    name = " ".join((text or "").split())
    if not name:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise AccountRuleError("a display name cannot contain control characters")
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountRuleError(f"a display name has at most {DISPLAY_NAME_MAX} characters")
    return name


def check_password(password: str, *, email: str = "", username: str = "") -> None:
    """The password policy (NIST 800-63B in spirit): length matters, composition rules do not.

    At least PASSWORD_MIN characters; at most PASSWORD_MAX so nobody makes the server hash a
    megabyte; not the account's own email or username; not one character repeated.
    """
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise AccountRuleError(f"a password has at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise AccountRuleError(f"a password has at most {PASSWORD_MAX} characters")
    lowered = password.lower()
    if lowered in {email.lower(), username.lower(), email.lower().split("@")[0]} - {""}:
        raise AccountRuleError("a password cannot be your email address or username")
    if len(set(password)) == 1:
        raise AccountRuleError("a password cannot be one character repeated")


def new_secret() -> str:
    """A secret for a link in mail: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    """A personal API token; the prefix lets secret scanners and people recognise one."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def shown_prefix(token: str) -> str:
    return token[:API_TOKEN_SHOWN]


def secret_hash(secret: str) -> str:
    """What the database keeps of a secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def clean_token_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise AccountRuleError("give the token a name, e.g. the script that uses it")
    if len(name) > TOKEN_NAME_MAX:
        raise AccountRuleError(f"a token name has at most {TOKEN_NAME_MAX} characters")
    return name

"""The account rules and rate-limit arithmetic on their own (pure functions)."""

from __future__ import annotations

from datetime import datetime

import pytest

from paperboard.domain.accounts import (
    PASSWORD_MAX,
    AccountRuleError,
    Role,
    check_password,
    clean_display_name,
    clean_token_name,
    has_role,
    new_api_token,
    new_secret,
    normalise_username,
    secret_hash,
    shown_prefix,
)
from paperboard.domain.ratelimit import InvalidLimit, Limit, parse_limit


def test_roles_are_ordered_and_parsed():
    assert Role.USER < Role.MODERATOR < Role.ADMIN
    assert Role.parse(" Moderator ") is Role.MODERATOR and Role.ADMIN.label == "admin"
    with pytest.raises(AccountRuleError, match="one of user, moderator, admin"):
        Role.parse("superuser")


@pytest.mark.parametrize(
    "actual, required, allowed",
    [
        ("user", "user", True), ("user", "moderator", False), ("moderator", "moderator", True),
        ("admin", "moderator", True), ("moderator", "admin", False), ("admin", "admin", True),
        ("ghost", "user", False), ("admin", "ghost", False),
    ],
)
def test_permission_checks(actual, required, allowed):
    assert has_role(actual, required) is allowed


@pytest.mark.parametrize("raw, stored", [("Alice", "alice"), (" bob_99 ", "bob_99"), ("a-b", "a-b"), ("x" * 40, "x" * 40)])
def test_usernames_are_stored_lower_case(raw, stored):
    assert normalise_username(raw) == stored


@pytest.mark.parametrize(
    "raw, complaint",
    [
        ("ab", "3 to 40"), ("x" * 41, "3 to 40"), ("-alice", "starts and ends"), ("alice_", "starts and ends"),
        ("al ice", "letters"), ("<script>", "letters"), ("ålice", "letters"), ("admin", "reserved"), ("", "3 to 40"),
    ],
)
def test_bad_usernames_say_why(raw, complaint):
    with pytest.raises(AccountRuleError, match=complaint):
        normalise_username(raw)


def test_display_names_are_one_line_and_bounded():
    assert clean_display_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert clean_display_name("   ") is None and clean_display_name(None) is None
    with pytest.raises(AccountRuleError):
        clean_display_name("x" * 101)
    with pytest.raises(AccountRuleError, match="control"):
        clean_display_name("a\x00b")


@pytest.mark.parametrize(
    "password, complaint",
    [
        ("short", "at least 10"), ("a" * (PASSWORD_MAX + 1), "at most"), ("aaaaaaaaaaaa", "repeated"),
        ("ada@example.org", "email"), ("ADA@EXAMPLE.ORG", "email"), ("adalovelace", "username"), ("ada", "at least"),
    ],
)
def test_password_policy(password, complaint):
    with pytest.raises(AccountRuleError, match=complaint):
        check_password(password, email="ada@example.org", username="adalovelace")


def test_a_long_plain_passphrase_passes():
    check_password("correct horse battery staple", email="ada@example.org", username="ada")


def test_secrets_are_random_and_only_hashes_are_kept():
    first, second = new_secret(), new_secret()
    assert first != second and len(first) >= 43
    assert secret_hash(first) == secret_hash(first) != secret_hash(second)
    assert len(secret_hash(first)) == 64 and first not in secret_hash(first)
    token = new_api_token()
    assert token.startswith("pb_") and shown_prefix(token) == token[:10]


def test_token_names():
    assert clean_token_name(" my  script ") == "my script"
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(AccountRuleError):
            clean_token_name(bad)


@pytest.mark.parametrize(
    "text, limit",
    [("5/hour", Limit(5, 3600)), ("30/15minutes", Limit(30, 900)), ("100/day", Limit(100, 86400)),
     ("3/s", Limit(3, 1)), ("10/ 2 hours", Limit(10, 7200)), ("off", None), (" OFF ", None)],
)
def test_limits_parse(text, limit):
    assert parse_limit(text) == limit


@pytest.mark.parametrize("text", ["lots", "5", "0/hour", "5/0hours", "5/fortnight", "-1/hour", "5/40days", ""])
def test_bad_limits_are_refused(text):
    with pytest.raises(InvalidLimit):
        parse_limit(text)


def test_fixed_windows_and_retry_after():
    limit = Limit(5, 900)
    now = datetime(2026, 4, 14, 10, 7, 30)
    assert limit.window_start(now) == datetime(2026, 4, 14, 10, 0)
    assert limit.retry_after(now) == 450
    assert limit.window_start(datetime(2026, 4, 14, 10, 15)) == datetime(2026, 4, 14, 10, 15)
    assert Limit(1, 60).retry_after(datetime(2026, 1, 1, 0, 0, 59, 999999)) == 1

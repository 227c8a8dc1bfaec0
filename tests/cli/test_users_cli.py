"""``paperboard users …`` in-process, against each database."""

from __future__ import annotations

import json

import pytest

from paperboard.services import accounts
from paperboard.services.context import AppContext
from paperboard.settings import get_settings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cli(paperboard_env, monkeypatch, run_paperboard):
    return run_paperboard


def _ctx() -> AppContext:
    get_settings.cache_clear()
    ctx = AppContext(get_settings())
    ctx.migrate()
    return ctx


def test_create_admin_is_idempotent_and_promotes(cli):
    code, out, _ = cli("users", "create-admin", "Root@Example.org", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "admin root@example.org (root2) created" in out  # "root" is reserved
    code, out, _ = cli("users", "create-admin", "root@example.org")  # no password needed: it exists
    assert code == 0 and "already an admin" in out
    ctx = _ctx()
    (admin,) = accounts.list_members(ctx)
    assert admin.role == "admin" and admin.email_verified_at is not None
    assert accounts.log_in(ctx, "root@example.org", PASSWORD, ip="cli-test").id == admin.id

    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    code, out, _ = cli("users", "create-admin", "ada@example.org")
    assert code == 0 and "promoted from user to admin" in out
    ctx.database.dispose()


def test_set_role_and_list(cli):
    ctx = _ctx()
    accounts.create_user(ctx, email="ada@example.org", username="ada", password=PASSWORD)
    ctx.database.dispose()
    code, out, _ = cli("users", "set-role", "ada@example.org", "moderator")
    assert code == 0 and "is now moderator" in out
    code, out, _ = cli("users", "list", "--json")
    (row,) = json.loads(out)
    assert code == 0 and (row["username"], row["role"], row["verified"]) == ("ada", "moderator", False)
    code, out, _ = cli("users", "list")
    assert "ada" in out and "moderator" in out and "(unverified)" in out


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("users", "set-role", "ada@example.org", "emperor"), None, "A role is one of user, moderator, admin"),
        (("users", "set-role", "nobody@example.org", "admin"), None, "There is no account for nobody@example.org"),
        (("users", "create-admin", "not an address", "--password-stdin"), "x\n", "Not a usable email address"),
        (("users", "create-admin", "new@example.org", "--password-stdin"), "short\n", "at least 10 characters"),
        (("users", "create-admin", "new@example.org", "--password-stdin"), "", "read an empty line"),
        (("users", "create-admin", "new@example.org"), None, "use --password-stdin"),
    ],
)
def test_mistakes_are_one_line_errors(cli, args, stdin, message):
    code, out, err = cli(*args, stdin=stdin)
    assert code != 0 and message in err and err.count("\n") == 1 and "Traceback" not in err

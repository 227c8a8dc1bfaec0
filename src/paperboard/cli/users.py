"""``paperboard users create-admin|set-role|list``: members and their roles from the command line."""

from __future__ import annotations

import sys

import typer

from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, stdout
from paperboard.errors import UserError

users_app = typer.Typer(help="Members: make an admin, change a role, list members.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _password_from(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("--password-stdin read an empty line: pipe the password in, e.g. `printf '%s\\n' \"$PW\" | paperboard users create-admin …`")
        return password
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for a password on: use --password-stdin")
    return typer.prompt("Password for the new account", hide_input=True, confirmation_prompt=True)


@users_app.command("create-admin")
def create_admin(
    email: str = typer.Argument(..., help="The admin's email address."),
    username: str = typer.Option(None, help="Username of a new account (default: made from the address)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first line of stdin."),
) -> None:
    """Make EMAIL an admin: promote its account, or create a verified admin account (asks for a password)."""
    from paperboard.services import accounts

    ctx = context()
    existing = accounts.member_by_email(ctx, email)
    password = None if existing is not None else _password_from(password_stdin)
    user, created = accounts.create_admin(ctx, email, password=password, username=username)
    if created:
        message = f"admin {user.email} ({user.username}) created"
    elif existing.role == "admin":
        message = f"{user.email} ({user.username}) is already an admin"
    else:
        message = f"{user.email} ({user.username}) promoted from {existing.role} to admin"
    stdout.print(message, highlight=False)


@users_app.command("set-role")
def set_role(
    email: str = typer.Argument(..., help="The member's email address."),
    role: str = typer.Argument(..., help="user, moderator or admin."),
) -> None:
    """Give a member a role (user, moderator or admin)."""
    from paperboard.services import accounts

    user = accounts.set_role(context(), email, role)
    stdout.print(f"{user.email} ({user.username}) is now {user.role}", highlight=False)


@users_app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every member: id, username, email, role, verified, when they joined."""
    from paperboard.services import accounts

    members = accounts.list_members(context())
    rows = [
        {
            "id": u.id, "username": u.username, "email": u.email, "role": u.role,
            "verified": u.email_verified_at is not None, "createdAt": u.created_at, "lastLoginAt": u.last_login_at,
        }
        for u in members
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no members yet; make the first admin with `paperboard users create-admin EMAIL`")
        return
    for row in rows:
        flag = "" if row["verified"] else "  (unverified)"
        stdout.print(f"{row['id']:>6}  {row['username']:<24} {row['role']:<10} {row['email']}{flag}", highlight=False)

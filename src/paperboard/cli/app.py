"""The ``paperboard`` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from paperboard.errors import UserError, WritesUnavailable

app = typer.Typer(
    name="paperboard",
    help="Self-hostable research-paper discovery: arXiv ingest, daily feed, trending, search, digests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from paperboard import __version__

        print(f"paperboard {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    # Eager, so `paperboard --version` answers before click looks for a command.
    pass


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from paperboard.cli import config, db, embed, features, ingest, mail, search, stars, transfer, trending, up, users, web  # noqa: F401


def main() -> None:
    _register()
    try:
        app()
    except (UserError, WritesUnavailable) as error:
        print(f"paperboard: error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
    except ValidationError as error:
        problems = "; ".join(
            f"PAPERBOARD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        print(f"paperboard: error: invalid settings: {problems}", file=sys.stderr)
        sys.exit(2)

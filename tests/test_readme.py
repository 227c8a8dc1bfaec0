"""README's command table names every command the CLI has (groups by each of their subcommands)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from paperboard.cli.app import _register, app

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> list[str]:
    _register()
    names: list[str] = []

    def walk(command, prefix: str) -> None:
        if hasattr(command, "commands"):  # a group (typer bundles its own click)
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}")
        else:
            names.append(prefix)

    walk(typer.main.get_command(app), "paperboard")
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_a_row_in_the_readme(command):
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    assert any(row.startswith(f"| `{command}`") or row.startswith(f"| `{command} ") for row in rows), (
        f"README's command table lacks `{command}`"
    )

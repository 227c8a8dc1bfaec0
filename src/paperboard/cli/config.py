"""``paperboard settings``: the settings in force, or with ``--markdown`` docs/settings.md.

docs/settings.md is made from the declarations in ``paperboard.settings`` (name, default, help
text), never written by hand, and tests/test_settings.py fails when the committed file differs
from what this prints; after changing a setting:

    paperboard settings --markdown > docs/settings.md
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import SecretStr

from paperboard.cli.app import app
from paperboard.settings import ENV_PREFIX, Settings, get_settings

INTRO = """# Settings

Every setting is read from the environment as `PAPERBOARD_<NAME>` (upper case), or from
`paperboard.toml` (lower-case `name = value`; path from `PAPERBOARD_CONFIG`, default
`./paperboard.toml`). The environment wins. Lists are JSON in the environment
(`PAPERBOARD_HARVEST_CATEGORIES='["cs.CL","cs.LG"]'`). `paperboard settings` prints the values in force.

This file is generated from `src/paperboard/settings.py`: `paperboard settings --markdown > docs/settings.md`.
"""

_SECRET_FIELDS = {"secret_key"}  # plain strings that must not be printed either


def settings_markdown() -> str:
    """docs/settings.md: the intro, then one row per setting in declaration order."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {_shown_default(field.default)} | {_cell(field.description or '')} |")
    return INTRO + "\n" + "\n".join(rows) + "\n"


def _shown_default(value) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(value, separators=(',', ':'))}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _in_force(name: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, SecretStr) or name in _SECRET_FIELDS:
        return "(set, not shown)"
    if name == "database_url":
        from sqlalchemy.engine import make_url

        return make_url(value).render_as_string(hide_password=True)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if not isinstance(value, Path) else value.as_posix()


@app.command("settings")
def settings_command(
    markdown: bool = typer.Option(False, "--markdown", help="Print docs/settings.md (every setting, its default and help) instead."),
) -> None:
    """Print the settings in force (secrets hidden), one PAPERBOARD_NAME=value a line."""
    if markdown:
        print(settings_markdown(), end="")
        return
    settings = get_settings()
    for name in Settings.model_fields:
        print(f"{ENV_PREFIX}{name.upper()}={_in_force(name, getattr(settings, name))}")

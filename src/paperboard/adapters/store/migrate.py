"""Forward-only, numbered Alembic migrations applied programmatically (no alembic.ini needed).

Upgrades go to every head: two features developed side by side may each add a migration on the same
parent, and both apply (a later merge revision joins them). Revisions are reported as the sorted,
comma-joined heads, so one head reads as its plain id.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from paperboard.adapters.store.database import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(database: Database, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database, target: str = "heads") -> tuple[str | None, str]:
    """Apply every pending migration (up to ``target``, for tests that put rows in an older
    schema); return (revision before, revision after)."""
    before = current_revision(database)
    if target == "heads" and before == head_revision():
        # Every command migrates first: at the head, Alembic's scripts need not be loaded again.
        return before, before
    with database.write() as connection:
        command.upgrade(_config(database, connection), target)
    return before, head_revision() if target == "heads" else current_revision(database)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


@lru_cache(maxsize=1)
def head_revision() -> str:
    return ",".join(sorted(ScriptDirectory.from_config(_config_without_db()).get_heads()))


def _config_without_db() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config

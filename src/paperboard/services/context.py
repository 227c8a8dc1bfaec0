"""The application's wiring: settings plus the adapters they choose. Built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from paperboard.adapters.store.database import Database
from paperboard.settings import Settings, get_settings


@dataclass
class AppContext:
    settings: Settings

    @cached_property
    def database(self) -> Database:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.resolved_database_url, read_timeout_ms=self.settings.read_timeout_ms)

    @cached_property
    def embedder(self):
        """The text embedder the settings choose; loading the model takes a second, so once per process."""
        from paperboard.adapters.search.embedder import create_embedder

        return create_embedder(self.settings)

    def migrate(self) -> tuple[str | None, str]:
        from paperboard.adapters.store.migrate import upgrade

        return upgrade(self.database)


def default_context() -> AppContext:
    return AppContext(get_settings())

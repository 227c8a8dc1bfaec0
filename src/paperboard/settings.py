"""One typed settings object, read from ``PAPERBOARD_*`` variables and an optional TOML file.

Precedence: environment, then ``paperboard.toml`` (path from ``PAPERBOARD_CONFIG``, default
``./paperboard.toml``), then the defaults below. Every field carries its help text; a test fails
when a field is missing from ``docs/settings.md``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "PAPERBOARD_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    home: Path = Field(
        Path("paperboard-data"),
        description="Data directory: the SQLite database, search indexes, checkpoints and caches.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Empty means SQLite at HOME/paperboard.db; "
        "use postgresql+psycopg://user:pass@host/db to scale out.",
    )
    read_timeout_ms: int = Field(
        2000, ge=10, description="Time budget of one read query, in milliseconds."
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    base_url: str | None = Field(
        None, description="Public URL of the site, for links in feeds and mail. Empty means http://HOST:PORT."
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs CSRF tokens. Empty means a random key made on first start and kept "
        "in HOME/secret_key; set the same value on every web process that serves one site.",
    )
    web_cache_seconds: float = Field(
        2.0, ge=0, description="How often a web process checks the database for changes before serving "
        "a cached page, in seconds; 0 turns the page cache off.",
    )
    on_demand_timeout_seconds: float = Field(
        8.0, ge=0, description="How long a paper page waits for an unknown arXiv id to be fetched from "
        "arXiv; 0 turns on-demand indexing off.",
    )
    harvest_categories: list[str] = Field(
        ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        description="arXiv categories the scheduled harvest fetches (JSON list in the environment).",
    )
    harvest_initial_days: int = Field(
        7, ge=1, description="How many days back the first scheduled harvest reaches."
    )
    harvest_interval_minutes: int = Field(
        360, ge=1, description="Minutes between scheduled harvests while `paperboard up` runs."
    )
    harvest_enabled: bool = Field(True, description="Whether `paperboard up` harvests arXiv on a schedule.")
    harvest_max_per_run: int = Field(
        2000, ge=1, description="Upper bound on papers one scheduled harvest run fetches per category."
    )
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query", description="arXiv search API (Atom) endpoint."
    )
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint."
    )
    arxiv_delay_seconds: float = Field(
        3.0, ge=0, description="Pause between two calls to arXiv, as arXiv's terms ask."
    )
    http_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one outgoing HTTP request.")
    http_max_retries: int = Field(
        5, ge=0, description="Retries of an outgoing request after 429/503 or a dropped connection."
    )
    user_agent: str = Field(
        "paperboard/0.1 (self-hosted paper discovery)",
        description="User-Agent sent to arXiv and GitHub.",
    )

    @field_validator("harvest_categories")
    @classmethod
    def _categories_not_empty(cls, value: list[str]) -> list[str]:
        cleaned = [c.strip() for c in value if c.strip()]
        if not cleaned:
            raise ValueError("name at least one arXiv category")
        return cleaned

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'paperboard.db'}"

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("PAPERBOARD_CONFIG", "paperboard.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_path))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

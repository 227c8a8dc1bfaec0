"""The application's wiring: settings plus the adapters they choose. Built once per process.

One context carries every outside-world dependency a service needs: the database, the keyword
engine, the keyword postings and vector indexes kept in memory beside it, the embedding model,
the mail sender.
Services take them from here; adapters take plain values.

Reads get a time budget that fits their caller: a web request's reads ``READ_TIMEOUT_MS`` (a
page must answer or say it can't), a command's or a scheduled job's ``BATCH_READ_TIMEOUT_MS``
(a digest or an export reads far more, and on a loaded machine a page's budget is not theirs).
``paperboard up`` runs both in one process: ``for_jobs()`` gives its jobs a context of their own
that shares the database engine and the embedding model with the web's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cached_property

from paperboard.adapters.mail.sender import MailSender, make_sender
from paperboard.adapters.search.keyword import KeywordIndex, keyword_index
from paperboard.adapters.search.pgvector_index import PgVectorIndex
from paperboard.adapters.search.postings import TermPostings
from paperboard.adapters.search.vectors import VectorIndex
from paperboard.adapters.sources.github import GitHubClient
from paperboard.adapters.sources.http import PoliteClient
from paperboard.adapters.store.database import Database
from paperboard.settings import Settings, get_settings


@dataclass
class _Shared:
    """What sibling contexts of one process build once between them."""

    # Two locks: building the model can take seconds, and a page must not wait for it to get a database.
    database_lock: threading.Lock = field(default_factory=threading.Lock)
    embedder_lock: threading.Lock = field(default_factory=threading.Lock)
    database: Database | None = None
    embedder: object | None = None
    # The in-memory search indexes, loaded from files under HOME/index on first use.
    indexes_lock: threading.Lock = field(default_factory=threading.Lock)
    postings: TermPostings | None = None
    vector_indexes: dict[str, VectorIndex | PgVectorIndex] = field(default_factory=dict)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class AppContext:
    settings: Settings
    batch: bool = False  # a command or a scheduled job, not a web request
    _shared: _Shared = field(default_factory=_Shared, repr=False, compare=False)
    # The clock: naive UTC, as the database stores times. Tests pass another.
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False, compare=False)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in UTC: feeds, digests and harvest windows all count days in UTC."""
        return self.clock().date()

    @property
    def read_timeout_ms(self) -> int:
        return self.settings.batch_read_timeout_ms if self.batch else self.settings.read_timeout_ms

    @cached_property
    def database(self) -> Database:
        with self._shared.database_lock:
            if self._shared.database is None:
                self.settings.home.mkdir(parents=True, exist_ok=True)
                self._shared.database = Database(self.settings.resolved_database_url, read_timeout_ms=self.settings.read_timeout_ms)
            return self._shared.database.with_read_budget(self.read_timeout_ms)

    @property
    def embedder(self):
        """The text embedder the settings choose; loading the model takes a second, so once per process."""
        from paperboard.adapters.search.embedder import create_embedder

        with self._shared.embedder_lock:
            if self._shared.embedder is None:
                self._shared.embedder = create_embedder(self.settings)
            return self._shared.embedder

    @property
    def keywords(self) -> KeywordIndex:
        """The keyword index of this database's engine (stateless: the data is in the database)."""
        return keyword_index(self.database)

    @property
    def keyword_postings(self) -> TermPostings:
        """This process's in-memory postings of the keyword index (files in HOME/index)."""
        with self._shared.indexes_lock:
            if self._shared.postings is None:
                self._shared.postings = TermPostings(self.settings.home / "index")
            return self._shared.postings

    def vector_index(self, model: str) -> VectorIndex | PgVectorIndex:
        """The vector index for ``model``: on PostgreSQL pgvector's, in the database (nothing kept
        here); on SQLite, or with ``vector_index = "file"``, this process's copy (files in HOME/index)."""
        with self._shared.indexes_lock:
            if model not in self._shared.vector_indexes:
                if not self.database.is_sqlite and self.settings.vector_index == "auto":
                    self._shared.vector_indexes[model] = PgVectorIndex(model, self.database)
                else:
                    self._shared.vector_indexes[model] = VectorIndex(model, self.settings.home / "index")
            return self._shared.vector_indexes[model]

    @cached_property
    def mail_sender(self) -> MailSender:
        """The relay ``mail_backend`` names; it holds no connection: ``connect()`` opens one per batch."""
        settings = self.settings
        return make_sender(
            settings.mail_backend,
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )

    def arxiv_client(self) -> PoliteClient:
        """A new client for arXiv (a context manager): its pace, timeouts and retries from the settings."""
        settings = self.settings
        return PoliteClient(user_agent=settings.user_agent, timeout_seconds=settings.http_timeout_seconds,
                            delay_seconds=settings.arxiv_delay_seconds, max_retries=settings.http_max_retries,
                            service="arXiv")

    def github_client(self) -> GitHubClient:
        """A new client for GitHub's REST API (a context manager), with the token if one is set."""
        settings = self.settings
        token = settings.github_token.get_secret_value() if settings.github_token else None
        return GitHubClient(api_url=settings.github_api_url, user_agent=settings.user_agent, token=token,
                            timeout_seconds=settings.http_timeout_seconds, max_retries=settings.http_max_retries)

    def embedder_if_ready(self):
        """The embedder if it is built, else None while another thread builds it (the warm-up of
        ``up`` and ``web``): a page never waits the seconds a first build takes. With nobody
        building it, it is built now, as ``embedder`` does."""
        if self._shared.embedder is None and self._shared.embedder_lock.locked():
            return None
        return self.embedder

    @embedder.setter
    def embedder(self, embedder) -> None:
        self._shared.embedder = embedder

    def for_jobs(self) -> AppContext:
        """A sibling for scheduled jobs and commands: the batch read budget, the same adapters."""
        return AppContext(self.settings, batch=True, _shared=self._shared, clock=self.clock)

    def migrate(self) -> tuple[str | None, str]:
        from paperboard.adapters.store.migrate import upgrade

        return upgrade(self.database)


def default_context(*, batch: bool = False) -> AppContext:
    return AppContext(get_settings(), batch=batch)

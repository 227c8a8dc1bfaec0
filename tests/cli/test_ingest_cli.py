"""``paperboard ingest arxiv|oai`` and ``paperboard index`` against a real local server playing arXiv.

Most tests run the command in-process through ``main()`` (same code path as the console script,
exit codes included); the kill -9 test runs real subprocesses.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.adapters.store.schema import harvest_checkpoints, papers
from paperboard.settings import get_settings
from tests.factories import command_environment
from tests.fakes_arxiv import ApiCorpus, FakeArxiv, OaiChain, Reply, atom_entry, oai_error, raw_record
from tests.offline import closed_port


@pytest.fixture
def arxiv(paperboard_env, monkeypatch):
    with FakeArxiv() as server:
        monkeypatch.setenv("PAPERBOARD_ARXIV_API_URL", server.api_url)
        monkeypatch.setenv("PAPERBOARD_ARXIV_OAI_URL", server.oai_url)
        monkeypatch.setenv("PAPERBOARD_ARXIV_DELAY_SECONDS", "0")
        monkeypatch.setenv("PAPERBOARD_HTTP_MAX_RETRIES", "1")
        monkeypatch.setenv("PAPERBOARD_EMBEDDING_MODEL", "hashing")  # the search-index step, fast
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture
def paperboard(arxiv, monkeypatch, run_paperboard):
    """Run ``paperboard ARGS...`` in-process; returns (exit code, stdout, stderr)."""
    return run_paperboard


def _ids(n: int) -> list[str]:
    return [f"2401.{i:05d}" for i in range(1, n + 1)]


def _error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines and lines[-1].startswith("paperboard: error: "), stderr
    return lines[-1]


def test_ingest_arxiv_prints_counts_as_json(paperboard, arxiv):
    entries = {i: atom_entry(i, categories=("cs.LG",)) for i in _ids(3)}
    entries["bad"] = atom_entry("2401.99999", title=" ")
    arxiv.api = ApiCorpus(entries)
    code, out, _ = paperboard("ingest", "arxiv", "-c", "cs.LG", "--category", "stat.ML", "--from", "2024-01-01", "--until", "2024-01-07", "--json")
    assert code == 0
    counts = json.loads(out)
    search_index = counts.pop("search_index")
    assert (search_index["keyword_indexed"], search_index["embedded"], search_index["embedding_note"]) == (3, 3, None)
    assert counts == {
        "source": "arxiv-api",
        "read": 4,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": {"malformed Atom entry: no title": 1},
    }
    assert arxiv.requests[0].params["search_query"] == (
        "(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202401010000 TO 202401072359]"
    )


def test_ingest_arxiv_defaults_to_the_configured_categories_and_window(paperboard, arxiv, monkeypatch):
    monkeypatch.setenv("PAPERBOARD_HARVEST_CATEGORIES", '["cs.CV"]')
    monkeypatch.setenv("PAPERBOARD_HARVEST_INITIAL_DAYS", "3")
    get_settings.cache_clear()
    arxiv.api = ApiCorpus({i: atom_entry(i) for i in _ids(2)})
    code, out, _ = paperboard("ingest", "arxiv")
    assert code == 0
    today = date.today()
    assert arxiv.requests[0].params["search_query"] == (
        f"cat:cs.CV AND submittedDate:[{today - timedelta(days=3):%Y%m%d}0000 TO {today:%Y%m%d}2359]"
    )
    assert "arxiv-api harvest" in out and "inserted" in out


def test_ingest_arxiv_table_lists_skip_reasons(paperboard, arxiv):
    arxiv.api = ApiCorpus({"a": atom_entry("2401.00001"), "b": atom_entry("x", raw_id="[bold]nope")})
    code, out, _ = paperboard("ingest", "arxiv", "-c", "cs.CL", "--from", "2024-01-01", "--until", "2024-01-02", "--max", "10")
    assert code == 0
    assert "skipped 1: malformed Atom entry: no valid arXiv id" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "yesterday"], "--from: not a date (expected YYYY-MM-DD): 'yesterday'"),
        (["--until", "2024-02-30"], "--until: not a date (expected YYYY-MM-DD): '2024-02-30'"),
        (["--from", "2024-02-01", "--until", "2024-01-01"], "the date window is empty: 2024-02-01 is after 2024-01-01"),
        (["-c", "cs.CL) OR (all:x"], "not an arXiv category: 'cs.CL) OR (all:x' (expected e.g. cs.CL or hep-th)"),
    ],
)
def test_ingest_arxiv_bad_input_is_one_line_and_asks_nothing(paperboard, arxiv, args, message):
    code, out, err = paperboard("ingest", "arxiv", *args)
    assert code == 2
    assert err.strip() == f"paperboard: error: {message}"
    assert arxiv.requests == []


def test_a_dead_network_names_the_url_and_points_at_import(paperboard, arxiv):
    arxiv.api = lambda request: Reply(503, b"down")
    code, _, err = paperboard("ingest", "arxiv", "-c", "cs.CL", "--from", "2024-01-01", "--until", "2024-01-02")
    assert code == 3
    line = _error_line(err)
    assert arxiv.api_url in line and "after 2 attempts: HTTP 503" in line
    assert line.endswith("Working offline? Load papers from a file with `paperboard import FILE`.")
    assert "retry 1 of 1" in err  # the wait was shown while it happened


@pytest.mark.parametrize(
    "setting, command",
    [("PAPERBOARD_ARXIV_OAI_URL", ["ingest", "oai", "--set", "cs"]), ("PAPERBOARD_ARXIV_API_URL", ["index", "2401.00001"])],
)
def test_nothing_listening_is_said_at_once_and_points_at_import(paperboard, monkeypatch, setting, command):
    port = closed_port()
    monkeypatch.setenv(setting, f"http://127.0.0.1:{port}/arxiv")
    get_settings.cache_clear()
    code, _, err = paperboard(*command)
    assert code == 3
    assert _error_line(err) == (
        f"paperboard: error: arXiv is unreachable: connection refused by 127.0.0.1:{port}. "
        "Working offline? Load papers from a file with `paperboard import FILE`."
    )
    assert "retry" not in err


def test_ingest_oai_follows_the_chain_and_prints_json(paperboard, arxiv):
    arxiv.oai = OaiChain([[raw_record(i)] for i in _ids(3)])
    code, out, _ = paperboard("ingest", "oai", "--set", "cs", "--from", "2024-01-01", "--json")
    assert code == 0
    counts = json.loads(out)
    assert counts.pop("search_index")["embedded"] == 3
    assert counts == {"source": "arxiv-oai", "read": 3, "inserted": 3, "updated": 0, "unchanged": 0, "skipped": {}}
    assert arxiv.requests[0].params == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2024-01-01"}


def test_ingest_oai_reports_oai_errors_in_one_line(paperboard, arxiv):
    arxiv.oai = lambda request: Reply(body=oai_error("noSetHierarchy", "no such set"))
    code, _, err = paperboard("ingest", "oai", "--set", "nonsense", "--prefix", "arXiv")
    assert code == 2
    assert _error_line(err) == f"paperboard: error: OAI-PMH error from {arxiv.oai_url}?verb=ListRecords&metadataPrefix=arXiv&set=nonsense: noSetHierarchy: no such set"
    code, _, err = paperboard("ingest", "oai", "--prefix", "oai_dc")
    assert code == 2 and "oai_dc" in err


def test_ingest_oai_says_how_to_recover_from_an_expired_token(paperboard, arxiv):
    chain = OaiChain([[raw_record(i)] for i in _ids(3)])
    arxiv.oai = lambda request: Reply(503, b"down") if request.params.get("resumptionToken") else chain(request)
    code, _, _ = paperboard("ingest", "oai", "--set", "cs")
    assert code == 3
    arxiv.oai = lambda request: Reply(body=oai_error("badResumptionToken", "expired"))
    code, _, err = paperboard("ingest", "oai", "--set", "cs")
    assert code == 2
    assert _error_line(err).endswith("the saved position of this harvest has expired, run it again with --restart")
    arxiv.oai = chain
    code, out, _ = paperboard("ingest", "oai", "--set", "cs", "--restart", "--json")
    assert code == 0 and json.loads(out)["read"] == 3


def test_index_fetches_one_paper(paperboard, arxiv):
    arxiv.api = ApiCorpus({"2401.00001": atom_entry("2401.00001", version=2, title="One [red]paper[/red]")})
    code, out, _ = paperboard("index", "arXiv:2401.00001", "--json")
    assert code == 0
    result = json.loads(out)
    assert result.pop("search_index")["keyword_indexed"] == 1
    assert result | {"skipped": {}} == {
        "id": "2401.00001",
        "version": 2,
        "title": "One [red]paper[/red]",
        "outcome": "new",
        "read": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": {},
    }
    code, out, _ = paperboard("index", "2401.00001")
    assert code == 0 and out.strip() == "2401.00001v2: One [red]paper[/red] (already up to date)"


@pytest.mark.parametrize(
    "arxiv_id, message",
    [("2401.1", "not an arXiv id: '2401.1'"), ("2401.00002", "arXiv has no paper 2401.00002")],
)
def test_index_explains_bad_and_unknown_ids(paperboard, arxiv, arxiv_id, message):
    arxiv.api = ApiCorpus({})
    code, _, err = paperboard("index", arxiv_id)
    assert code == 2
    assert err.strip() == f"paperboard: error: {message}"


# -- kill -9 --------------------------------------------------------------------------------------
PAGES, PER_PAGE, KILL_WHILE_FETCHING = 8, 5, 4


def test_a_killed_oai_harvest_resumes_to_exactly_the_full_set(database_url, tmp_path):
    """SIGKILL the harvest while it waits for page 4 (pages 1-3 committed), rerun it, and find
    every record exactly once, the rerun having started from the saved resumption token."""
    ids = [f"2402.{n:05d}" for n in range(1, PAGES * PER_PAGE + 1)]
    chain = OaiChain([[raw_record(i) for i in ids[p * PER_PAGE : (p + 1) * PER_PAGE]] for p in range(PAGES)])
    held = threading.Event()
    chain.gates[KILL_WHILE_FETCHING] = held
    database = Database(database_url)
    upgrade(database)
    with FakeArxiv() as server:
        server.oai = chain
        env = _subprocess_env(tmp_path, database_url, server.oai_url)
        command = [sys.executable, "-m", "paperboard", "ingest", "oai", "--set", "cs", "--json"]
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: _asked_for(server, f"page-{KILL_WHILE_FETCHING}") or first.poll() is not None)
            assert first.poll() is None, first.communicate()
            # The request for page 4 is parked on the server, so pages 1-3 are committed, no more.
            assert _count(database) == (3 * PER_PAGE, 1)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            held.set()
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        asked_before = len(server.requests)

        second = subprocess.run(command, env=env, capture_output=True, timeout=120)
        assert second.returncode == 0, second.stderr.decode()
        rerun_tokens = [r.params.get("resumptionToken") for r in server.requests[asked_before:]]
    assert rerun_tokens == [f"page-{n}" for n in range(KILL_WHILE_FETCHING, PAGES + 1)]
    counts = json.loads(second.stdout)
    assert (counts["read"], counts["inserted"], counts["unchanged"]) == (25, 25, 0)
    with database.read() as connection:
        stored = connection.execute(select(papers.c.id).order_by(papers.c.id)).scalars().all()
    assert stored == ids  # every record, each once
    assert _count(database) == (len(ids), 0)  # and the finished harvest left no checkpoint
    database.dispose()


def _subprocess_env(tmp_path, database_url: str, oai_url: str) -> dict:
    return command_environment(
        PAPERBOARD_HOME=str(tmp_path / "home"),
        PAPERBOARD_DATABASE_URL=database_url,
        PAPERBOARD_CONFIG=str(tmp_path / "absent.toml"),
        PAPERBOARD_ARXIV_OAI_URL=oai_url,
        PAPERBOARD_EMBEDDING_MODEL="hashing",
        PAPERBOARD_ARXIV_DELAY_SECONDS="0",
        PAPERBOARD_HTTP_MAX_RETRIES="0",
    )


def _asked_for(server: FakeArxiv, token: str) -> bool:
    return any(r.params.get("resumptionToken") == token for r in server.requests)


def _count(database: Database) -> tuple[int, int]:
    with database.read() as connection:
        paper_count = connection.execute(select(func.count()).select_from(papers)).scalar_one()
        checkpoint_count = connection.execute(select(func.count()).select_from(harvest_checkpoints)).scalar_one()
    return paper_count, checkpoint_count


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the harvest never got that far")
        time.sleep(0.02)

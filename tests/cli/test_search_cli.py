"""``paperboard search``, ``reindex`` and ``eval beir`` run as real subprocesses."""

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


def paperboard(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = command_environment(
        PAPERBOARD_HOME=str(home),
        PAPERBOARD_DATABASE_URL=f"sqlite:///{home / 'paperboard.db'}",
        PAPERBOARD_CONFIG=str(home / "absent.toml"),
        PAPERBOARD_EMBEDDING_MODEL="hashing",
        COLUMNS="200",
    )
    return subprocess.run([sys.executable, "-m", "paperboard", *args], env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("cli-search")
    with gzip.open(FIRST_PART, "rb") as lines:
        head = [next(lines) for _ in range(150)]
    sample = home / "sample.jsonl.gz"
    sample.write_bytes(gzip.compress(b"".join(head)))
    imported = paperboard(home, "import", str(sample), "--json")
    assert imported.returncode == 0, imported.stderr
    search_index = json.loads(imported.stdout)["search_index"]
    assert (search_index["keyword_indexed"], search_index["embedded"]) == (150, 150)  # import indexes as it ends
    reindexed = paperboard(home, "reindex", "--json")
    assert reindexed.returncode == 0, reindexed.stderr
    assert (json.loads(reindexed.stdout)["keyword_indexed"], json.loads(reindexed.stdout)["embedded"]) == (0, 0)
    first = json.loads(head[0])
    return home, first


def test_search_prints_a_table_and_json(home):
    home, first = home
    table = paperboard(home, "search", first["title"])
    assert table.returncode == 0, table.stderr
    assert first["id"] in table.stdout and "Exact match" in table.stdout
    as_json = paperboard(home, "search", first["title"], "--json", "--limit", "3")
    data = json.loads(as_json.stdout)
    assert data["hits"][0]["id"] == first["id"] and data["hits"][0]["reason"] == "exact"
    assert len(data["hits"]) <= 3 and data["total"] >= 1


def test_search_explains_bad_input_in_one_line(home):
    home, _ = home
    bad = paperboard(home, "search", "graphs year:20x6")
    assert bad.returncode == 2 and bad.stderr.startswith("paperboard: error: year:20x6 is not a year")
    nothing = paperboard(home, "search", '"qwertyuiop asdfgh"')
    assert nothing.returncode == 0 and "No papers match" in nothing.stdout


def _tiny_beir(directory: Path) -> Path:
    (directory / "qrels").mkdir(parents=True)
    docs = [
        ("d1", "Aspirin and heart attacks", "Aspirin lowers the risk of myocardial infarction."),
        ("d2", "Statins", "Statins reduce cholesterol in adults."),
        ("d3", "Vitamin D", "Vitamin D deficiency and bone density in the elderly."),
        ("d4", "Sleep", "Short sleep raises blood pressure."),
    ]
    with gzip.open(directory / "corpus.jsonl.gz", "wt") as out:
        for doc_id, title, body in docs:
            out.write(json.dumps({"_id": doc_id, "title": title, "text": body}) + "\n")
    queries = [("q1", "aspirin reduces myocardial infarction"), ("q2", "vitamin D and bones")]
    (directory / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries))
    (directory / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    return directory


def test_eval_beir_scores_each_mode_beside_the_anchors(tmp_path):
    beir = _tiny_beir(tmp_path / "tiny")
    bm25 = paperboard(tmp_path, "eval", "beir", str(beir), "--mode", "bm25")
    assert bm25.returncode == 0, bm25.stderr
    assert "paperboard bm25" in bm25.stdout and "1.0000" in bm25.stdout and "0.687" in bm25.stdout
    hybrid = paperboard(tmp_path, "eval", "beir", str(beir), "--mode", "hybrid", "--fusion", "minmax", "--json")
    report = json.loads(hybrid.stdout)
    assert report["metrics"]["ndcg@10"] == pytest.approx(1.0) and report["fusion"]["method"] == "minmax"
    assert report["documents"] == 4 and report["queries"] == 2
    missing = paperboard(tmp_path, "eval", "beir", str(beir), "--split", "dev")
    assert missing.returncode == 2 and "no qrels for split 'dev'" in missing.stderr

"""bench/paraphrase.py: the builder's rule on a tiny corpus of our own, and the committed set
against the shared sample it is rebuilt from."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from paperboard.domain.analysis import analyze
from tests.conftest import LISTINGS

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_paraphrase", ROOT / "bench" / "paraphrase.py")
paraphrase = sys.modules["bench_paraphrase"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paraphrase)

RECORDS = [
    {"id": "2601.00001", "title": "Sparse Attention Models for Long Documents",
     "abstract": "Reading long texts is slow. We propose a sparse attention model that skips irrelevant "
                 "passages, cutting inference cost on books and legal contracts by 40% with $O(n \\log n)$ "
                 "memory while keeping answer quality on question answering benchmarks."},
    {"id": "2601.00002", "title": "Robots Grasping Unknown Objects",
     "abstract": "Picking up things never seen before remains hard for household machines. "
                 "This paper introduces a grasp planner trained in simulation with randomised friction, "
                 "shapes and lighting, which transfers to real kitchens without any fine tuning."},
    {"id": "2601.00003", "title": "Thermal Conductivity of Copper Alloys",
     "abstract": "Measurements at low temperature of heat transport in alloyed metals used for cryogenic "
                 "wiring show a steady decline with impurity content and a sharp drop below four kelvin."},
    {"id": "2601.00004", "title": "Short",
     "abstract": "We present 3 4 5 6 7 8 $x$ $y$."},
]


def _records():
    return [paraphrase.Record(r["id"], r["title"], " ".join(r["abstract"].split())) for r in RECORDS]


def _sample(directory: Path, records=RECORDS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with gzip.open(directory / "papers-2026-01-a.jsonl.gz", "wt", encoding="utf-8") as part:
        for record in records:
            part.write(json.dumps(record) + "\n")
    return directory


def _texts(queries, records):
    abstracts = {r.id: r.abstract for r in records}
    return {q.paper_id: paraphrase.query_text(abstracts[q.paper_id], q.spans) for q in queries}


def test_the_builder_is_deterministic_and_keeps_no_title_word():
    records = _records()
    first = paraphrase.build(records, coined_df=0)
    assert first == paraphrase.build(list(reversed(records)), coined_df=0)
    texts = _texts(first, records)
    # The paper of numbers and LaTeX only has no query.
    assert set(texts) == {"2601.00001", "2601.00002", "2601.00003"}
    titles = {r.id: set(analyze(r.title)) for r in records}
    for paper, text in texts.items():
        assert not titles[paper] & set(analyze(text)), text
        assert paraphrase.MIN_WORDS <= len(analyze(text)) <= paraphrase.MAX_WORDS
        assert not any(ch.isdigit() for ch in text) and "log" not in text.split()
    # The contribution starts after "We propose"; "model" goes with the title's "Models", "grasp"
    # with "Grasping", "alloyed" with "Alloys"; a query starts on a word that is not a stopword.
    assert texts["2601.00001"].startswith("skips irrelevant passages cutting")
    assert texts["2601.00002"].startswith("planner trained in simulation")
    assert "alloyed" not in texts["2601.00003"]
    # No contribution verb: the first sentence.
    assert texts["2601.00003"].startswith("Measurements at low temperature")
    assert all(q.relevant == (q.paper_id,) for q in first)
    assert all(q.split == paraphrase.split_of(q.paper_id) for q in first)


def test_coined_terms_are_dropped():
    records = _records()
    assert set(analyze("sparse friction kelvin")) <= paraphrase.coined_terms(records, 1)
    assert paraphrase.coined_terms(records, 0) == set()
    # Every word of these three papers is in one of them only: with all of them coined, no query.
    assert paraphrase.build(records, coined_df=1) == []


def test_a_set_is_rebuilt_from_the_sample_and_a_changed_text_fails_loudly(tmp_path):
    records = _records()
    queries = paraphrase.build(records, coined_df=0)
    path = tmp_path / "set.jsonl"
    paraphrase.write_set(queries, path)
    assert json.loads(path.read_text().splitlines()[0])["warning"].startswith("NEVER TUNE ON THE TEST")
    assert paraphrase.read_set(path) == queries
    sample = _sample(tmp_path / "sample")
    loaded = {}
    for split in paraphrase.SPLITS:
        texts, qrels = paraphrase.load(split, sample, path)
        loaded.update(texts)
        assert all(qrels[q] == {next(x.paper_id for x in queries if x.qid == q): 1} for q in qrels)
    assert sorted(loaded.values()) == sorted(_texts(queries, records).values())
    changed = [dict(r, abstract=r["abstract"].replace("sparse", "dense")) for r in RECORDS]
    _sample(tmp_path / "changed", changed)
    with pytest.raises(SystemExit, match="do not match the sample"):
        for split in paraphrase.SPLITS:
            paraphrase.load(split, tmp_path / "changed", path)


def test_the_committed_set_is_rebuilt_from_the_shared_sample():
    header = json.loads(paraphrase.SET_FILE.read_text().splitlines()[0])
    for split in paraphrase.SPLITS:
        queries, qrels = paraphrase.load(split, LISTINGS)  # fails on any hash that differs
        assert len(queries) == len(qrels) == header["splits"][split]
    committed = paraphrase.read_set()
    assert len({q.paper_id for q in committed}) == len(committed) == header["queries"]

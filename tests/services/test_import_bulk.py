"""The bulk import path: keyword-indexed with each batch, parsed and analyzed in worker processes,
resumed after a kill, and the same database whichever way it ran (both engines)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from paperboard.adapters.search.keyword import IndexedText
from paperboard.adapters.search.keyword.bulk import indexed_text
from paperboard.domain.paper import Paper, with_derived_fields
from paperboard.services import imports
from paperboard.services.context import AppContext
from paperboard.services.imports import import_files
from paperboard.services.indexing import index_papers
from paperboard.settings import Settings
from tests.conftest import LISTINGS

PARTS = sorted(LISTINGS.glob("papers-*.jsonl.gz"))


def _listings(n: int | None = None) -> list[dict]:
    papers = []
    for part in PARTS:
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            papers.extend(json.loads(line) for line in lines)
    return papers[:n] if n else papers


def _kaggle(paper: dict, version: int = 1) -> dict:
    authors = paper["authors"]
    return {
        "id": paper["id"], "submitter": authors[0] if authors else None, "authors": ", ".join(authors),
        "title": paper["title"], "comments": paper.get("comment"), "journal-ref": None, "doi": None,
        "report-no": None, "categories": " ".join(paper["categories"]), "license": None,
        "abstract": paper["abstract"],
        "versions": [{"version": f"v{v}", "created": f"Mon, {v} Mar 2026 10:00:00 GMT"} for v in range(1, version + 1)],
        "update_date": "2026-03-02",
        "authors_parsed": [[name.rpartition(" ")[2], name.rpartition(" ")[0], ""] for name in authors],
    }


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """450 real papers as Kaggle lines, with a bad line, a record without title, and a paper given
    twice (the second a newer version, so the batch merges and the merged paper is analyzed here)."""
    papers = _listings(450)
    lines = [json.dumps(_kaggle(p)) for p in papers]
    lines.insert(100, "{not json")
    lines.insert(200, json.dumps({**_kaggle(papers[0]), "title": ""}))
    lines.append(json.dumps({**_kaggle(papers[449], version=2), "title": papers[449]["title"] + " (revised)"}))
    path = tmp_path_factory.mktemp("snapshot") / "arxiv-metadata-oai-snapshot.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def contexts(database_engine, new_database_url, tmp_path):
    made = []

    def new(name: str) -> AppContext:
        context = AppContext(Settings(home=tmp_path / f"{name}-home",
                                      database_url=new_database_url(database_engine, tmp_path / name)))
        made.append(context)
        return context

    yield new
    for context in made:
        context.database.dispose()


def _state(ctx: AppContext) -> dict:
    """What an import leaves, without the clocks and the doc ids (which differ between runs)."""
    with ctx.database.read() as connection:
        def rows(sql: str) -> list:
            return [tuple(row) for row in connection.execute(text(sql))]

        return {
            "papers": rows("SELECT id, version, title, abstract, authors, categories, primary_category, published, "
                           "updated, comment, abs_url, code_urls, source FROM papers ORDER BY id"),
            "categories": rows("SELECT paper_id, category FROM paper_categories ORDER BY paper_id, category"),
            "documents": rows("SELECT paper_id, title_key, length, text_hash FROM search_documents ORDER BY paper_id"),
            "df": rows("SELECT term, df FROM search_term_stats WHERE df <> 0 ORDER BY term"),
            "corpus": rows("SELECT documents, total_length FROM search_corpus_stats"),
            "stale": ctx.keywords.count_stale(connection),
        }


def test_bulk_analysis_is_the_indexed_text_of_every_sample_paper():
    papers = [
        with_derived_fields(Paper(id=p["id"], title=p["title"], abstract=p["abstract"], authors=tuple(p["authors"]),
                                  categories=tuple(p["categories"])))
        for p in _listings()
    ]
    odd = [
        Paper(id="odd:1", title="DiffusionNet vs. GraphSAGE; BERTScore & Qwen3 on ResNet50 (3D, F1, 8B)",
              abstract="Schrödinger's cafe\u0301s: ½ of LoRA/CoT/LLaMA, mRNA, iPhone, PyTorch — the the a of",
              authors=("José Núñez", "C.-P. Yuan Jr", "O'Neil")),
        Paper(id="odd:2", title="", abstract="", authors=()),
        Paper(id="odd:3", title="A", abstract="The of and", authors=("A",)),
        Paper(id="odd:4", title="数据 Über naïve ﬁne-tuning", abstract="x\u0301y ﬀ Ⅻ ²", authors=("Zoë",)),
    ]
    for paper in papers + odd + papers[:50]:  # the last again, from what was remembered
        assert indexed_text(paper) == IndexedText.of(paper), paper.id


@pytest.mark.parametrize("workers", [0, 2])
def test_an_import_indexes_each_batch_and_ends_as_a_catch_up_would(contexts, snapshot, workers):
    bulk, reference = contexts("bulk"), contexts("reference")
    [report] = import_files(bulk, [snapshot], batch_size=100, workers=workers)
    assert (report.counts.inserted, report.rejected, report.keyword_indexed) == (450, 2, 450)
    assert _state(bulk)["stale"] == 0  # searchable with no catch-up
    # The reference: papers stored first, then indexed by the catch-up, as before.
    for path in [snapshot]:
        imports.import_file(reference.database, path, batch_size=100, workers=0)
    assert _state(reference)["stale"] == 450
    index_papers(reference, embed=False)
    assert _state(bulk) == _state(reference)
    assert index_papers(bulk, embed=False).keyword_indexed == 0


def test_a_killed_import_resumes_where_its_last_batch_committed(contexts, snapshot, monkeypatch):
    killed, reference = contexts("killed"), contexts("reference")
    write_batch = imports._write_batch
    batches = []

    def dies_on_the_third(*args):
        if len(batches) == 2:
            raise KeyboardInterrupt  # as Ctrl-C, or a kill, between two batches
        write_batch(*args)
        batches.append(1)

    monkeypatch.setattr(imports, "_write_batch", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        import_files(killed, [snapshot], batch_size=100, workers=2)
    monkeypatch.setattr(imports, "_write_batch", write_batch)
    left = _state(killed)
    assert (len(left["papers"]), len(left["documents"]), left["stale"]) == (200, 200, 0)
    [again] = import_files(killed, [snapshot], batch_size=100, workers=0)
    assert (again.counts.inserted, again.counts.unchanged, again.keyword_indexed) == (250, 200, 250)
    import_files(reference, [snapshot], batch_size=100, workers=0)
    assert _state(killed) == _state(reference)
    [third] = import_files(killed, [snapshot], batch_size=100)
    assert (third.counts.inserted, third.counts.updated, third.keyword_indexed) == (0, 0, 0)

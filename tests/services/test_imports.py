"""Imports and exports against real databases, on the real listings sample and SciFact corpus."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import pytest

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.services.imports import FileImportFailed, export_papers, import_files
from paperboard.settings import Settings
from tests.adapters.test_file_formats import HF_ITEM, KAGGLE
from tests.conftest import LISTINGS, SCIFACT

LISTING_PARTS = sorted(LISTINGS.glob("papers-*.jsonl.gz"))


def _context(url: str, home: Path) -> AppContext:
    return AppContext(Settings(home=home, database_url=url))


@pytest.fixture
def ctx(database_url, tmp_path):
    context = _context(database_url, tmp_path / "home")
    yield context
    context.database.dispose()


@pytest.fixture
def fresh_ctx(database_engine, new_database_url, tmp_path):
    """A second database, migrated and empty, on the same engine as ``ctx``."""
    context = _context(new_database_url(database_engine, tmp_path / "second"), tmp_path / "second-home")
    yield context
    context.database.dispose()


@pytest.fixture
def sqlite_ctx(new_database_url, tmp_path):
    context = _context(new_database_url("sqlite", tmp_path), tmp_path / "home")
    yield context
    context.database.dispose()


def _head(source: Path, target: Path, n: int) -> Path:
    """The first ``n`` records of a real gzip JSON-lines file, as a gzip file of their own."""
    with gzip.open(source, "rb") as lines:
        head = [next(lines) for _ in range(n)]
    target.write_bytes(gzip.compress(b"".join(head)))
    return target


def _hf_daily(path: Path, paper_id: str, upvotes: int = 42) -> Path:
    item = json.loads(json.dumps(HF_ITEM))
    item["paper"].update(id=paper_id, upvotes=upvotes)
    path.write_text(json.dumps([item]))
    return path


def _count(ctx: AppContext) -> int:
    with ctx.database.read() as connection:
        return paper_store.count_papers(connection)


def _everything(ctx: AppContext) -> tuple[list, dict]:
    with ctx.database.read(timeout_ms=60_000) as connection:
        papers = list(paper_store.iter_papers(connection))
        features = feature_store.features_for(connection, [p.id for p in papers])
    return papers, features


def _mixed_files(tmp_path: Path) -> list[Path]:
    """300 real listings, 100 SciFact documents, a Kaggle record, and a daily feature for the first listing."""
    listings = _head(LISTING_PARTS[0], tmp_path / "listings.jsonl.gz", 300)
    with gzip.open(listings, "rt") as lines:
        featured_id = json.loads(next(lines))["id"]
    kaggle = tmp_path / "kaggle.json"
    kaggle.write_text(json.dumps(KAGGLE) + "\n")
    return [
        listings,
        _head(SCIFACT / "corpus.jsonl.gz", tmp_path / "corpus.jsonl.gz", 100),
        kaggle,
        _hf_daily(tmp_path / "daily.json", featured_id),
    ]


# -- the real sample (SQLite; PostgreSQL runs the same code on the subsets below) ---------------
@pytest.mark.slow
def test_full_listings_sample_imports_once_and_reimports_unchanged(sqlite_ctx):
    first = import_files(sqlite_ctx, LISTING_PARTS)
    assert sum(r.counts.read for r in first) == 19_883
    assert sum(r.counts.inserted for r in first) == 19_883
    assert {r.format for r in first} == {"listings"} and not any(r.rejected for r in first)
    assert _count(sqlite_ctx) == 19_883
    with sqlite_ctx.database.read() as connection:
        assert tuple(paper_store.announced_range(connection)) == (date(2026, 3, 2), date(2026, 5, 29))

    again = import_files(sqlite_ctx, LISTING_PARTS)
    assert sum(r.counts.unchanged for r in again) == 19_883
    assert sum(r.counts.inserted + r.counts.updated for r in again) == 0
    assert _count(sqlite_ctx) == 19_883


@pytest.mark.slow
def test_scifact_corpus_imports_every_document(sqlite_ctx):
    [report] = import_files(sqlite_ctx, [SCIFACT / "corpus.jsonl.gz"])
    assert report.format == "beir"
    assert (report.counts.read, report.counts.inserted, report.rejected) == (5_183, 5_183, 0)
    assert _count(sqlite_ctx) == 5_183
    with sqlite_ctx.database.read() as connection:
        paper = paper_store.get_paper(connection, "beir:4983")
    assert paper.title.startswith("Microstructural development of human newborn cerebral white matter")
    assert not paper.is_arxiv and paper.abs_url is None and paper.source == "beir"


# -- both databases ---------------------------------------------------------------------------
def test_export_then_import_into_a_fresh_database_round_trips(ctx, fresh_ctx, tmp_path):
    import_files(ctx, _mixed_files(tmp_path))
    original = _everything(ctx)
    assert len(original[0]) == 401 and len(original[1]) == 1

    exported = export_papers(ctx, tmp_path / "export.jsonl.gz")
    assert (exported.papers, exported.features) == (401, 1)
    [report] = import_files(fresh_ctx, [tmp_path / "export.jsonl.gz"])
    assert (report.format, report.counts.inserted, report.features_inserted) == ("paperboard", 401, 1)
    assert _everything(fresh_ctx) == original

    # And the copy exports the same lines (after the header, which carries the time of export).
    export_papers(fresh_ctx, tmp_path / "again.jsonl")
    first = gzip.decompress((tmp_path / "export.jsonl.gz").read_bytes()).splitlines()
    second = (tmp_path / "again.jsonl").read_bytes().splitlines()
    assert first[1:] == second[1:] and len(second) == 402


def test_reimport_changes_nothing(ctx, tmp_path):
    files = _mixed_files(tmp_path)
    import_files(ctx, files)
    before = _everything(ctx)
    again = import_files(ctx, files)
    # 402 records for 401 papers: the daily paper is also the first of the listings.
    assert sum(r.counts.unchanged for r in again) == 402
    assert sum(r.counts.inserted + r.counts.updated for r in again) == 0
    assert sum(r.features_inserted + r.features_updated for r in again) == 0
    assert _everything(ctx) == before


def test_daily_papers_keep_feature_date_submitter_and_upvotes(ctx, tmp_path):
    import_files(ctx, [_hf_daily(tmp_path / "daily.json", "2405.00001", upvotes=42)])
    with ctx.database.read() as connection:
        feature = feature_store.features_for(connection, ["2405.00001"])["2405.00001"]
        paper = paper_store.get_paper(connection, "2405.00001")
    assert (feature.featured_on, feature.submitter, feature.upvotes) == (date(2024, 5, 1), "akhaliq", 42)
    assert paper.title == "A Paper on the Daily Feed" and paper.code_urls[0] == "https://github.com/Owner/Repo"

    [report] = import_files(ctx, [_hf_daily(tmp_path / "later.json", "2405.00001", upvotes=50)])
    assert (report.features_inserted, report.features_updated) == (0, 1)
    with ctx.database.read() as connection:
        assert feature_store.features_for(connection, ["2405.00001"])["2405.00001"].upvotes == 50


def test_a_corrected_versionless_reimport_is_applied_and_reported(ctx, tmp_path):
    """Issue 16: a file without versions imported again after a correction was reported unchanged
    and the correction dropped. The same source correcting its own record wins (domain/merge.py)."""
    original = _hf_daily(tmp_path / "daily.json", "2405.00001")
    import_files(ctx, [original])
    item = json.loads(original.read_text())
    item[0]["paper"]["title"] = "A Paper on the Daily Feed, Corrected"
    (tmp_path / "corrected.json").write_text(json.dumps(item))
    [report] = import_files(ctx, [tmp_path / "corrected.json"])
    assert (report.counts.updated, report.counts.unchanged) == (1, 0)
    with ctx.database.read() as connection:
        assert paper_store.get_paper(connection, "2405.00001").title == "A Paper on the Daily Feed, Corrected"
    [again] = import_files(ctx, [tmp_path / "corrected.json"])
    assert (again.counts.updated, again.counts.unchanged) == (0, 1)


def test_a_newer_kaggle_version_replaces_the_older(ctx, tmp_path):
    v1 = {**KAGGLE, "title": "First title", "versions": KAGGLE["versions"][:1]}
    (tmp_path / "v1.json").write_text(json.dumps(v1) + "\n")
    (tmp_path / "v2.json").write_text(json.dumps(KAGGLE) + "\n")
    import_files(ctx, [tmp_path / "v1.json"])
    [report] = import_files(ctx, [tmp_path / "v2.json"])
    [stale] = import_files(ctx, [tmp_path / "v1.json"])
    assert (report.counts.updated, stale.counts.unchanged) == (1, 1)
    with ctx.database.read() as connection:
        paper = paper_store.get_paper(connection, "0704.0001")
    assert paper.version == 2 and paper.title.startswith("Calculation of prompt diphoton")


def test_truncated_gzip_keeps_the_committed_batches_and_a_rerun_completes(ctx, tmp_path):
    whole = _head(LISTING_PARTS[1], tmp_path / "whole.jsonl.gz", 1000)
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])

    with pytest.raises(FileImportFailed) as raised:
        import_files(ctx, [truncated], batch_size=100)
    message = str(raised.value)
    assert message.startswith(f"{truncated} line ") and "truncated" in message
    kept = int(re.search(r"the ([\d,]+) papers of this file committed before that line are kept", message)[1])
    assert 0 < kept < 1000 and kept % 100 == 0
    assert _count(ctx) == kept  # whole batches only: nothing half-written

    [report] = import_files(ctx, [whole], batch_size=100)
    assert (report.counts.inserted, report.counts.unchanged) == (1000 - kept, kept)
    assert _count(ctx) == 1000


def test_an_unknown_format_anywhere_stops_before_anything_is_written(ctx, tmp_path):
    good = _head(LISTING_PARTS[0], tmp_path / "good.jsonl.gz", 50)
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"name": "not a paper"}\n')
    with pytest.raises(UserError, match=r"odd\.jsonl line 1: unknown format"):
        import_files(ctx, [good, odd])
    assert _count(ctx) == 0


def test_bad_records_are_skipped_and_reported_by_file_and_line(ctx, tmp_path):
    good = gzip.decompress(_head(LISTING_PARTS[0], tmp_path / "h.jsonl.gz", 3).read_bytes()).splitlines()
    lines = [good[0], b"{broken", good[1], b'{"id": "2603.99999", "title": ""}', b'{"id": "x", "title": "y"}', good[2]]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    [report] = import_files(ctx, [path], format="listings")
    assert (report.counts.read, report.counts.inserted, report.rejected) == (6, 3, 3)
    assert report.counts.skipped == {"not valid JSON": 1, "missing field": 1, "not an arXiv id": 1}
    assert report.examples[0].startswith(f"{path} line 2: not valid JSON")
    assert [e.split(":")[0] for e in report.examples] == [f"{path} line {n}" for n in (2, 4, 5)]
    assert _count(ctx) == 3

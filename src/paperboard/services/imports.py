"""Import paper files into the store, and export the store as a file another instance imports.

Each batch of records is one transaction (papers, then their daily features). Records that cannot
become papers (a bad JSON line, a missing title, a bad arXiv id) are skipped and reported with their
file and line; the rest of the file still imports. When the file itself gives out part-way (a
truncated gzip), the batches committed before that point stay: they are complete, valid rows, and
re-importing the repaired file is idempotent. The records read since the last commit are dropped,
and the error says how many papers were kept.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from paperboard.adapters.search.keyword import IndexedText, KeywordIndex
from paperboard.adapters.search.keyword.bulk import indexed_text
from paperboard.adapters.sources.files import FileFormatError, PaperFile, Skipped
from paperboard.adapters.sources.formats import Parsed, export_header, export_record
from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.database import Database
from paperboard.domain.paper import ImportCounts, Paper
from paperboard.errors import UserError
from paperboard.services import import_workers
from paperboard.services.context import AppContext
from paperboard.services.import_workers import default_workers

DEFAULT_BATCH_SIZE = 1000
EXAMPLES_KEPT = 5  # skipped lines reported by file and line; the rest only counted
# An export is one deliberate bulk read of a consistent snapshot, not a page view under a budget.
_EXPORT_READ_BUDGET_MS = 6 * 60 * 60 * 1000

Progress = Callable[[Path, int, int], None]


@dataclass
class FileReport:
    """What importing one file did."""

    path: Path
    format: str | None = None
    counts: ImportCounts = field(default_factory=ImportCounts)
    rejected: int = 0  # records skipped as bad input (a subset of counts.skipped)
    examples: list[str] = field(default_factory=list)
    features_inserted: int = 0
    features_updated: int = 0
    keyword_indexed: int = 0  # papers keyword-indexed with their batch

    def reject(self, item: Skipped) -> None:
        self.counts.read += 1
        self.counts.skip(item.reason)
        self.rejected += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(f"{self.path} {item.where}: {item.detail}")

    def as_dict(self) -> dict:
        return {
            "file": str(self.path),
            "format": self.format,
            **self.counts.as_dict(),
            "rejected": self.rejected,
            "rejected_examples": list(self.examples),
            "features_inserted": self.features_inserted,
            "features_updated": self.features_updated,
            "keyword_indexed": self.keyword_indexed,
        }


class FileImportFailed(UserError):
    """A file could not be read on. ``completed`` holds the files imported before it."""

    def __init__(self, message: str, completed: list[FileReport]) -> None:
        super().__init__(message)
        self.completed = completed


def import_files(
    ctx: AppContext,
    paths: Sequence[Path | str],
    format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
    workers: int | None = None,
) -> list[FileReport]:
    """Import every file in order; ``format`` None means detect each file's own.

    All files are opened and their format told first, so an unreadable file or an unknown format
    anywhere stops the run before it changes the database. Each batch's papers are keyword-indexed
    in the batch's own transaction; ``workers`` processes parse and analyze (None: one per core
    for big files, ``import_workers.default_workers``).
    """
    if batch_size < 1:
        raise UserError(f"the batch size must be at least 1, not {batch_size}")
    paths = [Path(p) for p in paths]
    for path in paths:
        with PaperFile(path, format):
            pass
    reports: list[FileReport] = []
    for path in paths:
        try:
            reports.append(
                import_file(ctx.database, path, format, batch_size, on_progress, keywords=ctx.keywords, workers=workers)
            )
        except FileImportFailed as error:
            error.completed = reports
            raise
    return reports


def import_file(
    database: Database,
    path: Path,
    format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
    *,
    keywords: KeywordIndex | None = None,
    workers: int | None = None,
) -> FileReport:
    """Import one file; with ``keywords``, each batch is keyword-indexed in its own transaction,
    so a killed import leaves nothing stored and not indexed."""
    report = FileReport(path)
    with PaperFile(path, format) as source:
        report.format = source.format
        if on_progress:
            on_progress(path, 0, source.size)
        workers = default_workers(source) if workers is None else workers
        batch: list[tuple[Parsed, IndexedText | None]] = []
        try:
            for item, indexed in import_workers.items(source, workers, analyze=keywords is not None):
                if isinstance(item, Skipped):
                    report.reject(item)
                    continue
                batch.append((item.parsed, indexed))
                if len(batch) >= batch_size:
                    _write_batch(database, keywords, batch, report)
                    batch = []
                    if on_progress:
                        on_progress(path, source.position, source.size)
        except FileFormatError as error:
            kept = report.counts.inserted + report.counts.updated + report.counts.unchanged
            outcome = (
                f"the {kept:,} papers of this file committed before that line are kept"
                if kept
                else "nothing from this file was written"
            )
            raise FileImportFailed(
                f"{error}; {outcome}. Fix the file and import it again (re-importing changes nothing twice)",
                completed=[],
            ) from None
        _write_batch(database, keywords, batch, report)
        if on_progress:
            on_progress(path, source.size, source.size)
    return report


def _write_batch(
    database: Database,
    keywords: KeywordIndex | None,
    batch: list[tuple[Parsed, IndexedText | None]],
    report: FileReport,
) -> None:
    if not batch:
        return
    features = [parsed.feature for parsed, _ in batch if parsed.feature is not None]
    analyzed = {parsed.paper.id: (parsed.paper, indexed) for parsed, indexed in batch if indexed is not None}
    written: list[Paper] = []
    with database.write() as connection:
        counts = paper_store.upsert_papers(connection, (parsed.paper for parsed, _ in batch), derived=True,
                                           written=written)
        if features:
            inserted, updated = feature_store.upsert_features(connection, features)
        if keywords is not None and written:
            # A worker analyzed the paper as it came; one merged with a stored record is analyzed here.
            texts = []
            for paper in written:
                incoming, indexed = analyzed.get(paper.id, (None, None))
                texts.append(indexed if incoming is paper else indexed_text(paper))
            indexed_now = keywords.index_texts(connection, texts)
    report.counts.add(counts)
    if keywords is not None and written:
        report.keyword_indexed += indexed_now
    if features:
        report.features_inserted += inserted
        report.features_updated += updated


@dataclass
class ExportReport:
    papers: int = 0
    features: int = 0
    path: str = "-"

    def as_dict(self) -> dict:
        return {"path": self.path, "papers": self.papers, "features": self.features}


def export_papers(
    ctx: AppContext,
    out: Path | str | BinaryIO,
    on_progress: Callable[[int, int], None] | None = None,
    page_size: int = 1000,
) -> ExportReport:
    """Write every paper (and its daily feature) as paperboard JSON lines.

    ``out`` is a path (gzip when it ends in ``.gz``; written beside, then renamed into place, so a
    failed export never leaves half a file) or an open binary stream such as stdout.
    """
    if not isinstance(out, (str, Path)):
        return _export_to(ctx.database, out, ExportReport(), on_progress, page_size)
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as raw:
            # Level 3: nearly level 6's (the default's) size in well under half its time.
            stream = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) if target.suffix == ".gz" else raw
            report = _export_to(ctx.database, stream, ExportReport(path=str(target)), on_progress, page_size)
            if stream is not raw:
                stream.close()
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserError(f"{target}: cannot write the export ({error.strerror or error})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return report


def _export_to(
    database: Database,
    stream: BinaryIO,
    report: ExportReport,
    on_progress: Callable[[int, int], None] | None,
    page_size: int,
) -> ExportReport:
    with database.read(timeout_ms=_EXPORT_READ_BUDGET_MS) as connection:
        total = paper_store.count_papers(connection)
        _write_line(stream, export_header(datetime.now(timezone.utc), total))
        page = []
        for paper in paper_store.iter_papers(connection, batch_size=page_size):
            page.append(paper)
            if len(page) >= page_size:
                _write_page(connection, stream, page, report)
                page = []
                if on_progress:
                    on_progress(report.papers, total)
        _write_page(connection, stream, page, report)
    if on_progress:
        on_progress(report.papers, total)
    return report


def _write_page(connection, stream: BinaryIO, page: Iterable, report: ExportReport) -> None:
    page = list(page)
    features = feature_store.features_for(connection, [p.id for p in page])
    for paper in page:
        feature = features.get(paper.id)
        _write_line(stream, export_record(paper, feature))
        report.papers += 1
        report.features += feature is not None


def _write_line(stream: BinaryIO, record: dict) -> None:
    stream.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")

"""Hostile import files: over-long records are skipped and named, over-long lines are not even read,
gzip bombs are refused with one line naming the file, and what was stored before stays."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

from paperboard.adapters.sources import files as files_module
from paperboard.adapters.sources.files import PaperFile
from paperboard.adapters.store import papers as paper_store
from paperboard.domain import record_limits
from paperboard.services.imports import FileImportFailed, import_files
from tests.conftest import LISTINGS

FIRST_PART = sorted(LISTINGS.glob("papers-*.jsonl.gz"))[0]


def _real_records(n: int) -> list[dict]:
    with gzip.open(FIRST_PART, "rt", encoding="utf-8") as lines:
        return [json.loads(next(lines)) for _ in range(n)]


def _count(ctx) -> int:
    with ctx.database.read() as connection:
        return paper_store.count_papers(connection)


def test_every_real_record_of_the_sample_fits_far_below_the_caps():
    from paperboard.adapters.sources.formats import parse_record

    for part in sorted(LISTINGS.glob("papers-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                paper = parse_record("listings", json.loads(line)).paper
                assert len(paper.abstract) * 10 < record_limits.ABSTRACT_CHARS
                assert len(paper.title) * 5 < record_limits.TITLE_CHARS
                assert len(paper.authors) * 10 < record_limits.AUTHORS


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("abstract", "x" * 240_000, "the abstract has 240,000 characters (at most 100,000)"),
        ("title", "T" * 2_001, "the title has 2,001 characters (at most 2,000)"),
        ("authors", [f"Author {n}" for n in range(20_001)], "20,001 authors (at most 20,000)"),
        ("authors", ["A" * 1_001], "an author name has 1,001 characters (at most 1,000)"),
        ("comment", "c" * 10_001, "the comment has 10,001 characters (at most 10,000)"),
    ],
    ids=["abstract", "title", "authors", "author-name", "comment"],
)
def test_an_over_long_record_is_skipped_and_named_by_file_and_line(ctx, tmp_path, field, value, said):
    records = _real_records(3)
    crafted = {**records[1], field: value}
    path = tmp_path / "crafted.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (records[0], crafted, records[2])))
    [report] = import_files(ctx, [path])
    assert (report.counts.read, report.counts.inserted, report.rejected) == (3, 2, 1)
    assert report.counts.skipped == {"record too large": 1}
    assert report.examples == [f"{path} line 2: record too large: {records[1]['id']}: {said}"]
    assert _count(ctx) == 2


def test_a_line_past_the_line_limit_is_skipped_without_being_read_whole(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "LINE_BYTES", 64 * 1024)
    records = _real_records(2)
    huge = {**records[1], "abstract": "x" * 1_000_000}  # as a 50 MB abstract would be, smaller
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps(records[0]) + "\n" + json.dumps(huge) + "\n" + json.dumps(records[1] | {"id": "2603.99998"}) + "\n")
    read_sizes = []
    original = files_module.PaperFile._pieces

    def watched(self):
        for number, piece, ends in original(self):
            read_sizes.append(len(piece))
            yield number, piece, ends

    monkeypatch.setattr(files_module.PaperFile, "_pieces", watched)
    [report] = import_files(ctx, [path])
    assert max(read_sizes) <= 64 * 1024  # never more than a piece at a time
    assert (report.counts.inserted, report.counts.skipped) == (2, {"line too long": 1})
    assert report.examples == [f"{path} line 2: longer than 65,536 bytes, not read"]


def _bomb(path: Path, first_lines: bytes, expanded_mb: int) -> Path:
    """A gzip file of ``first_lines`` then ``expanded_mb`` MB of spaces: a few hundred KB on disk."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b" " * 2**20
    with open(path, "wb") as out:
        out.write(compressor.compress(first_lines))
        for _ in range(expanded_mb):
            out.write(compressor.compress(chunk))
        out.write(compressor.compress(b"\n") + compressor.flush())
    return path


def test_a_gzip_bomb_is_refused_naming_the_file_and_what_was_stored_stays(ctx, tmp_path):
    records = _real_records(250)
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", lines, 256)  # 256 MB of spaces in under 1 MB
    assert bomb.stat().st_size < 2**20
    with pytest.raises(FileImportFailed) as raised:
        import_files(ctx, [bomb], batch_size=100)
    message = str(raised.value)
    assert message.startswith(f"{bomb} line 251: the gzip data expands more than 100-fold")
    assert "refused as a decompression bomb" in message and "\n" not in message
    assert "the 200 papers of this file committed before that line are kept" in message
    assert _count(ctx) == 200


def test_a_gzip_bomb_as_a_json_array_is_refused_too(tmp_path):
    bomb = _bomb(tmp_path / "array.json.gz", b"[", 256)
    with pytest.raises(Exception) as raised:
        with PaperFile(bomb):
            pass
    assert str(raised.value).startswith(f"{bomb} line 1: the gzip data expands more than 100-fold")


def test_the_import_command_refuses_a_bomb_in_one_line_with_a_non_zero_exit(tmp_path):
    from tests.cli.test_transfer_cli import paperboard

    bomb = _bomb(tmp_path / "bomb.jsonl.gz", json.dumps(_real_records(1)[0]).encode() + b"\n", 256)
    result = paperboard(tmp_path / "home", "import", str(bomb))
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"paperboard: error: {bomb} line 2: the gzip data expands")

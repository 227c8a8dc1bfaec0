"""Reading paper files: gzip or plain, JSON-lines or one JSON array, any format of ``formats``.

A ``PaperFile`` is opened once, tells its format (given, or detected from the first record) and
yields one item per record: ``Record`` (a parsed paper) or ``Skipped`` (why that line was not
usable). Problems with the file as a whole — unreadable, a truncated or corrupt gzip stream, a
malformed JSON array, a format it cannot tell — raise ``FileFormatError`` naming file and line.

JSON-lines files are streamed, so their size is unbounded; a line is read in pieces of at most
``LINE_BYTES`` and one longer than that is skipped unread. A JSON array (the shape of Hugging
Face's ``/api/daily_papers``) is read whole, up to ``ARRAY_BYTES``: such files are small, and big
ones belong in JSON lines. Gzip data that expands more than ``GZIP_RATIO``-fold is refused as a
decompression bomb (JSON text compresses three- to tenfold; a bomb a thousandfold), so memory stays
bounded whatever a file holds.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paperboard.adapters.sources.formats import (
    FORMATS,
    Parsed,
    RecordError,
    UnreadableFile,
    detect_format,
    parse_record,
)
from paperboard.errors import UserError

_GZIP_MAGIC = b"\x1f\x8b"
LINE_BYTES = 8 * 2**20  # real records are under 100 KB, the largest author lists a few hundred
ARRAY_BYTES = 512 * 2**20
GZIP_RATIO = 100
_GZIP_RATIO_FROM = 64 * 2**20  # the ratio is judged once this much has come out
_BOM = b"\xef\xbb\xbf"
# What a broken gzip stream raises while it is read: cut short, bad CRC, or corrupt deflate data.
_STREAM_ERRORS = (EOFError, zlib.error, OSError)


class FileFormatError(UserError):
    """The file as a whole cannot be read on. ``line`` is where reading stopped, when known."""

    def __init__(self, path: Path, problem: str, line: int | None = None, unit: str = "line") -> None:
        where = f"{path} {unit} {line:,}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.line = path, problem, line


@dataclass(frozen=True)
class Record:
    line: int
    parsed: Parsed


@dataclass(frozen=True)
class Skipped:
    """A record that was not imported. ``reason`` is generic (it groups counts), ``detail`` specific."""

    line: int
    reason: str
    detail: str
    unit: str = "line"  # "item" in a JSON array

    @property
    def where(self) -> str:
        return f"{self.unit} {self.line:,}"


class PaperFile:
    """``with PaperFile(path) as f: for item in f.records(): ...`` — see the module docstring.

    In a JSON array, ``line`` counts array items (1 = the first item) and ``unit`` says "item".
    """

    def __init__(self, path: Path | str, format: str | None = None) -> None:
        if format is not None and format not in FORMATS:
            raise UserError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
        self.path = Path(path)
        self.format = format
        self.compressed = False
        self.is_array = False
        self.size = 0
        self._raw: io.BufferedReader | None = None
        self._stream = None
        self._first: tuple[int, bytes] | None = None
        self._rest: Iterator[tuple[int, bytes]] = iter(())
        self._items: list | None = None
        self._expanded = 0  # bytes read out of the (decompressed) stream

    # -- opening and sniffing ---------------------------------------------------------------
    def __enter__(self) -> "PaperFile":
        try:
            self._raw = open(self.path, "rb")
            self.size = self.path.stat().st_size
            self.compressed = self._raw.read(2) == _GZIP_MAGIC
            self._raw.seek(0)
        except OSError as error:
            self.close()
            raise FileFormatError(self.path, f"cannot read the file ({error.strerror or error})") from None
        self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.compressed else self._raw
        try:
            self._sniff()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._stream is not None and self._stream is not self._raw:
            self._stream.close()
        if self._raw is not None:
            self._raw.close()
        self._stream = self._raw = None

    @property
    def unit(self) -> str:
        return "item" if self.is_array else "line"

    @property
    def position(self) -> int:
        """Bytes of the file on disk consumed so far (compressed bytes for gzip): for progress bars."""
        if self._raw is None or self._raw.closed:
            return self.size
        return min(self._raw.tell(), self.size)

    def _sniff(self) -> None:
        """Find the first record: it tells JSON array from JSON-lines, and (unless given) the format."""
        pieces = self._pieces()
        for number, piece, _ends in pieces:
            if piece.strip():
                if piece.lstrip().startswith(b"["):
                    self._first = (number, piece)
                    self._load_array(piece, pieces)
                    break
                self._first = self._whole_line(number, piece, _ends, pieces)
                break
        self._rest = self._lines(pieces)
        if self._first is None:
            return  # an empty file: nothing to import, nothing to detect
        number, line = self._first
        if self._items is not None:
            first = self._items[0] if self._items else None
            where = 1
        elif line is None:
            if self.format is None:
                raise FileFormatError(
                    self.path, f"the first record is longer than {LINE_BYTES:,} bytes, so the format cannot be told; "
                    "pass --format", number)
            return
        else:
            try:
                first = json.loads(line)
            except ValueError as error:
                if self.format is not None:
                    return  # the given format decides; this line is skipped like any bad line
                problem = getattr(error, "msg", "not UTF-8 text")
                raise FileFormatError(
                    self.path, f"not JSON lines or a JSON array ({problem}), so the format cannot be told", number
                ) from None
            where = number
        if self.format is None and (self._items is None or self._items):
            self.format = detect_format(first)
            if self.format is None:
                shape = (
                    f"has the keys {', '.join(sorted(first)[:8])}"
                    if isinstance(first, dict)
                    else f"is a JSON {type(first).__name__}, not an object"
                )
                raise FileFormatError(
                    self.path,
                    f"unknown format: the first record {shape}; pass --format, one of: {', '.join(FORMATS)}",
                    where,
                    self.unit,
                )

    def _load_array(self, first_piece: bytes, pieces: Iterator[tuple[int, bytes, bool]]) -> None:
        chunks, size = [first_piece], len(first_piece)
        for number, piece, _ends in pieces:
            size += len(piece)
            if size > ARRAY_BYTES:
                raise FileFormatError(
                    self.path, f"a JSON array larger than {ARRAY_BYTES // 2**20} MB; write big files as JSON lines", number)
            chunks.append(piece)
        try:
            items = json.loads(b"".join(chunks))
        except ValueError as error:
            # The decoder counts lines from the array's first line, which may follow blank ones.
            line = error.lineno + self._first[0] - 1 if hasattr(error, "lineno") else None
            raise FileFormatError(self.path, f"malformed JSON array ({getattr(error, 'msg', error)})", line) from None
        if not isinstance(items, list):
            raise FileFormatError(self.path, "a JSON document that is not an array or JSON lines")
        self.is_array = True
        self._items = items

    def _pieces(self) -> Iterator[tuple[int, bytes, bool]]:
        """(line number, bytes, whether they end the line): a line longer than ``LINE_BYTES``
        comes in several pieces, so no read holds more than that."""
        number = 1
        while True:
            try:
                piece = self._stream.readline(LINE_BYTES)
            except _STREAM_ERRORS as error:
                if isinstance(error, EOFError):
                    problem = "the gzip data ends early: the file is truncated"
                elif self.compressed:
                    problem = f"the gzip data is corrupt ({error})"
                else:
                    problem = f"cannot read the file ({error})"
                raise FileFormatError(self.path, problem, number) from None
            if not piece:
                return
            self._expanded += len(piece)
            if self.compressed and self._expanded > _GZIP_RATIO_FROM and self._expanded > GZIP_RATIO * self._raw.tell():
                raise FileFormatError(
                    self.path,
                    f"the gzip data expands more than {GZIP_RATIO}-fold ({self._expanded // 2**20:,} MB out of "
                    f"{self._raw.tell() / 2**20:.1f} MB): refused as a decompression bomb",
                    number,
                )
            if number == 1 and piece.startswith(_BOM) and self._expanded == len(piece):
                piece = piece[len(_BOM):]
            ends = piece.endswith(b"\n")
            yield number, piece, ends
            number += ends

    def _whole_line(self, number: int, piece: bytes, ends: bool, pieces) -> tuple[int, bytes | None]:
        """The line that ``piece`` begins, or None (its other pieces read and dropped) when longer
        than ``LINE_BYTES``."""
        if ends or len(piece) < LINE_BYTES:
            return number, piece
        for _number, _piece, ends in pieces:
            if ends:
                break
        return number, None

    def _lines(self, pieces: Iterator[tuple[int, bytes, bool]]) -> Iterator[tuple[int, bytes | None]]:
        for number, piece, ends in pieces:
            yield self._whole_line(number, piece, ends, pieces)

    # -- records --------------------------------------------------------------------------
    def records(self) -> Iterator[Record | Skipped]:
        if self._first is None:
            return iter(())
        if self._items is not None:
            items = (self.parser.parse(index, item) for index, item in enumerate(self._items, start=1))
        else:
            items = (self.parser.parse_line(number, line) for number, line in self.lines())
        # Our export's header line carries no paper and parses to None.
        return (item for item in items if item is not None)

    def lines(self) -> Iterator[tuple[int, bytes | None]]:
        """The JSON lines ``records`` parses, unparsed (None: a line too long to read), so that
        other processes can parse them (``LineParser``); not for a JSON array."""
        if self._first is None or self._items is not None:
            return iter(())
        lines = itertools.chain([self._first], self._rest)
        return ((number, line) for number, line in lines if line is None or line.strip())

    @property
    def parser(self) -> "LineParser":
        return LineParser(self.path, self.format, self.unit)


@dataclass(frozen=True)
class LineParser:
    """Turns one line or item of a file into a ``Record`` or ``Skipped``; plain data, so it can
    travel to a worker process."""

    path: Path
    format: str | None
    unit: str = "line"

    def parse_line(self, number: int, line: bytes | None) -> Record | Skipped | None:
        if line is None:
            return Skipped(number, "line too long", f"longer than {LINE_BYTES:,} bytes, not read")
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            return Skipped(number, "not UTF-8 text", "the line is not UTF-8 text")
        except json.JSONDecodeError as error:
            return Skipped(number, "not valid JSON", f"not valid JSON ({error.msg} at column {error.colno})")
        return self.parse(number, record)

    def parse(self, number: int, record: object) -> Record | Skipped | None:
        try:
            parsed = parse_record(self.format, record)
        except UnreadableFile as error:
            raise FileFormatError(self.path, str(error), number, self.unit) from None
        except RecordError as error:
            return Skipped(number, error.reason, str(error), self.unit)
        return None if parsed is None else Record(number, parsed)

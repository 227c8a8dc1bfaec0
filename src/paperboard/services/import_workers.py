"""The CPU half of an import, in worker processes: parsing lines, deriving papers, analyzing them.

A file's lines are read here, in order, and sent in chunks to a pool of processes; each returns,
for every line, the ``Record`` (its paper through ``with_derived_fields``) or ``Skipped``, and the
paper's ``IndexedText`` for the keyword index. The importing process keeps only the writes. The
items come back in file order, so batches, counts and what a file cut short keeps are exactly
those of a single-process import. At most two chunks per worker are in flight: memory stays
bounded whatever the file's size.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace

from paperboard.adapters.search.keyword import IndexedText
from paperboard.adapters.search.keyword.bulk import indexed_text
from paperboard.adapters.sources.files import (
    FileFormatError,
    LineParser,
    PaperFile,
    Record,
    Skipped,
)
from paperboard.domain.paper import with_derived_fields

CHUNK_LINES = 500
# Below this a pool costs more to start (a process importing paperboard: ~1 s) than it saves.
POOL_FROM_BYTES = 32 * 2**20

Item = tuple[Record | Skipped, IndexedText | None]


def default_workers(source: PaperFile) -> int:
    """Worker processes for this file: none for small files or JSON arrays, else one per core."""
    if source.is_array or source.size < POOL_FROM_BYTES:
        return 0
    return min(4, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0


def derived(item: Record | Skipped) -> Record | Skipped:
    """The record with its paper's derived fields (links, URLs) filled, as it will be stored."""
    if isinstance(item, Skipped):
        return item
    return replace(item, parsed=replace(item.parsed, paper=with_derived_fields(item.parsed.paper)))


def items(source: PaperFile, workers: int, *, analyze: bool) -> Iterator[Item]:
    """Every record of ``source`` in order, derived, with its ``IndexedText`` when ``analyze`` and
    ``workers`` (without workers the writer analyzes what it stores)."""
    if workers < 1 or source.is_array:
        for item in source.records():
            yield derived(item), None
        return
    context = multiprocessing.get_context("spawn")  # not fork: this process holds connections
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)) as pool:
        pending: deque[Future] = deque()
        parser = source.parser
        chunk: list[tuple[int, bytes | None]] = []
        try:
            for line in source.lines():
                chunk.append(line)
                if len(chunk) >= CHUNK_LINES:
                    pending.append(pool.submit(_work, parser, chunk, analyze))
                    chunk = []
                    while len(pending) > 2 * workers:
                        yield from _finished(pending.popleft())
        except FileFormatError:
            # What was read before the file gave out is imported as a single process would.
            if chunk:
                pending.append(pool.submit(_work, parser, chunk, analyze))
            while pending:
                yield from _finished(pending.popleft())
            raise
        if chunk:
            pending.append(pool.submit(_work, parser, chunk, analyze))
        while pending:
            yield from _finished(pending.popleft())


def _finished(future: Future) -> Iterator[Item]:
    done, unreadable = future.result()
    yield from done
    if unreadable is not None:
        raise FileFormatError(*unreadable)


def _exit_with(importer: int) -> None:
    """In a worker: end when the importing process is gone. Killed (SIGKILL, OOM), it cannot stop
    its pool, and a worker blocked writing a result to it would otherwise stay forever."""

    def watch() -> None:
        while os.getppid() == importer:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _work(parser: LineParser, lines: list[tuple[int, bytes | None]], analyze: bool):
    """In a worker: (items of these lines, or the arguments of the FileFormatError that stopped them)."""
    done: list[Item] = []
    try:
        for number, line in lines:
            item = parser.parse_line(number, line)
            if item is None:
                continue
            item = derived(item)
            indexed = indexed_text(item.parsed.paper) if analyze and isinstance(item, Record) else None
            done.append((item, indexed))
    except FileFormatError as error:  # its arguments cross processes, the exception would not
        return done, (error.path, error.problem, error.line, parser.unit)
    return done, None

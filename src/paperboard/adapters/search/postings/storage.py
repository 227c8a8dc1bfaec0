"""The postings' files beside the database (``HOME/index/keyword-postings``): each save a fresh
folder of ``.npy`` arrays (memory-mapped when loaded, so processes share the pages) and a
``meta.json``, then ``current.json`` pointed at it atomically. An unchanged main segment is
hard-linked from the previous save instead of written again; old folders go after an hour (another
process may still be reading one). A missing or damaged save reads as none: a rebuild, never a
wrong answer."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperboard.adapters.search.postings.segment import ARRAYS, Segment

FORMAT = 4
DIRECTORY = "keyword-postings"
KEEP_OLD_FILES_S = 3600  # another process may still be reading an older save


@dataclass
class Saved:
    """What one save holds."""

    main: Segment
    tail: Segment
    lengths: np.ndarray  # document length by doc id
    announced: np.ndarray  # date.toordinal() by doc id; 0: not announced
    terms: list[str]  # by column
    watermark: int
    documents: int
    average_length: float
    folder: Path | None = None


def write(directory: Path, saved: Saved, *, main_saved_in: Path | None) -> Path:
    """Write ``saved`` to a new folder (sharing the main segment's files with ``main_saved_in``
    when it holds them), point ``current.json`` at it, and return the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    folder = directory / f"v{int(time.time())}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    if main_saved_in is None or not _link_main(main_saved_in, folder):
        _write_segment(saved.main, folder, "main")
    _write_segment(saved.tail, folder, "tail")
    np.save(folder / "lengths.npy", saved.lengths)
    np.save(folder / "announced.npy", saved.announced)
    meta = {"format": FORMAT, "watermark": saved.watermark, "documents": saved.documents,
            "average_length": saved.average_length, "terms": saved.terms}
    (folder / "meta.json").write_text(json.dumps(meta))
    pointer = directory / "current.json"
    Path(str(pointer) + ".tmp").write_text(json.dumps({"folder": folder.name}))
    os.replace(str(pointer) + ".tmp", pointer)
    _remove_old(directory, keep=folder.name)
    return folder


def read(directory: Path) -> Saved | None:
    """The current save, its segments widened to every term; None when there is none usable."""
    try:
        folder = directory / json.loads((directory / "current.json").read_text())["folder"]
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT:
            return None
        main, tail = _read_segment(folder, "main"), _read_segment(folder, "tail")
        lengths = np.array(np.load(folder / "lengths.npy"), dtype=np.float32)
        announced = np.array(np.load(folder / "announced.npy"), dtype=np.int32)
        terms = meta["terms"]
        if main.columns > len(terms) or tail.columns > len(terms):
            return None
        return Saved(main.widened(len(terms)), tail.widened(len(terms)), lengths, announced, terms,
                     int(meta["watermark"]), int(meta["documents"]), float(meta["average_length"]), folder)
    except (OSError, ValueError, KeyError, IndexError):
        return None


def _write_segment(segment: Segment, folder: Path, prefix: str) -> None:
    for name in ARRAYS:
        np.save(folder / f"{prefix}-{name}.npy", np.asarray(getattr(segment, name)))


def _read_segment(folder: Path, prefix: str) -> Segment:
    arrays = {name: np.load(folder / f"{prefix}-{name}.npy", mmap_mode="r") for name in ARRAYS}
    if not (len(arrays["rows"]) == len(arrays["tf"]) == len(arrays["impact"]) == int(arrays["indptr"][-1])
            and len(arrays["exact_at"]) == len(arrays["exact_tf"])):
        raise ValueError("postings arrays disagree")
    return Segment(**arrays)


def _link_main(source: Path, folder: Path) -> bool:
    try:
        for name in ARRAYS:
            os.link(source / f"main-{name}.npy", folder / f"main-{name}.npy")
        return True
    except OSError:  # gone, or a file system without hard links
        for name in ARRAYS:
            (folder / f"main-{name}.npy").unlink(missing_ok=True)
        return False


def _remove_old(directory: Path, keep: str) -> None:
    for folder in directory.iterdir():
        if folder.is_dir() and folder.name != keep and time.time() - folder.stat().st_mtime > KEEP_OLD_FILES_S:
            shutil.rmtree(folder, ignore_errors=True)

"""Exact BM25 for words that match much of the corpus: a process-local inverted index.

The engines rank small matches themselves. At a million papers a common word matches hundreds of
thousands of rows, and both engines score row by row (FTS5 about 1.2 µs a row, PostgreSQL far
more), so one query would take seconds. This index holds, per term, the documents that contain it
(ascending doc ids) with each one's weighted term frequency and its BM25 *impact*, tf·(k1+1) /
(tf + k1·(1 - b + b·length/avgdl)), as the columns of a sparse matrix. A query is a column slice
and a matrix-vector product with the terms' IDFs, in scipy's C loops, then the best candidates are
rescored with the exact formula from their term frequencies, the corpus totals and the document
frequencies the database keeps (``domain.bm25``), so a paper gets the same score here as from the
engine. Impacts are recomputed only when the average length moves by more than a fraction of a
percent; until then they only choose which candidates are rescored, with room to spare.

It is kept like the vector index: loaded from files beside the database (``HOME/index``, memory-
mapped, so processes share the pages), then brought up to date by doc id: the keyword index gives
every (re)indexed document a doc id larger than any before (``last_doc_id``, migration 0010), so
"doc ids above the last one loaded" is exactly what changed. A re-indexed or deleted paper's old
doc id stays in the matrix but no longer maps to a paper, so it is dropped when hits are turned
into papers; when such dead documents pass a quarter of the index it is rebuilt.

New documents go to a small *tail* segment, merged into the main one when it grows past a
twentieth of it, so catching up costs little per search and per save.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import scipy.sparse

from paperboard.domain import bm25

if TYPE_CHECKING:
    from paperboard.adapters.search.filters import PaperFilter

_FORMAT = 4
_DIRECTORY = "keyword-postings"
_MERGE_SHARE = 20  # merge the tail once it holds a twentieth of the main segment's postings
_MERGE_MIN = 200_000  # ...and at least this many
_STALE_SHARE = 0.25  # rebuild once this share of the loaded documents no longer exists
_AVGDL_TOLERANCE = 0.002  # recompute impacts once the average length moves this much
_SELECTION_SLACK = 2  # candidates rescored exactly per wanted hit (impacts may use an older avgdl)
_NEGLIGIBLE_IDF = 1e-3  # FTS5 floors the IDF of a word in most documents at 1e-6
_KEEP_OLD_FILES_S = 3600  # another process may still be reading an older save
_ARRAYS = ("indptr", "rows", "tf", "impact", "exact_at", "exact_tf")



class Document(NamedTuple):
    """One document as the engine stores it. A term may repeat (one entry per token, weighted by
    its field) or appear once with its weighted count. The paper's filterable metadata comes along
    (its doc id changes whenever they do: they are part of the keyword index's text hash)."""

    doc_id: int
    length: int
    terms: Sequence[str]
    weights: Sequence[float]
    announced: date | None = None
    categories: Sequence[str] = ()
    has_code: bool = False


# Metadata ride along as pseudo-terms with no weight: analyzed terms hold only letters and digits,
# so these cannot collide with one.
_CATEGORY = "category:"
_HAS_CODE = "has:code"
# Reads documents with doc ids above ``after``, ascending, at most ``limit``.
DocumentSource = Callable[[int, int], list[Document]]


@dataclass(frozen=True)
class Corpus:
    """The database's totals, which BM25 uses."""

    documents: int
    average_length: float


@dataclass
class _Segment:
    """Postings in compressed-column form: column j's doc ids are rows[indptr[j]:indptr[j + 1]]."""

    indptr: np.ndarray  # int32 (int64 past 2**31 postings), columns + 1
    rows: np.ndarray  # int32 doc ids, ascending within a column
    # float16 weighted term frequencies: two bytes a posting, exact for counts up to 2,048. A value
    # float16 cannot hold (past 65,504 it is inf, and the impact NaN: one crafted record with a
    # word repeated a million times did that) keeps its nearest float16 here and its exact value
    # in ``exact_tf`` at posting index ``exact_at`` (ascending): rare, so the memory stays small.
    tf: np.ndarray
    impact: np.ndarray | None = None  # float32, for the index's average-length snapshot
    exact_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    exact_tf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    matrix: scipy.sparse.csc_matrix | None = None

    @property
    def postings(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def empty(cls, columns: int = 0) -> "_Segment":
        return cls(np.zeros(columns + 1, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float16))

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], width: int) -> "_Segment":
        """From parts of (doc id, column, tf) triples: within a part, a column's entries in ascending
        doc id order, and a part's doc ids above the earlier parts'. A counting sort by column into
        arrays allocated once; ``parts`` is emptied as it is copied, so a caller that hands over its
        only reference never holds a million papers' postings twice."""
        counts = np.zeros(width, np.int64)
        for _rows, columns, _tf in parts:
            counts += np.bincount(columns, minlength=width)
        indptr = np.zeros(width + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        rows_out = np.empty(int(indptr[-1]), np.int32)
        tf_out = np.empty(int(indptr[-1]), np.float16)
        exact_at, exact_tf = [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
        fill = indptr[:-1].copy()  # where each column's next posting goes
        while parts:
            rows, columns, tf = parts.pop(0)
            order = np.argsort(columns, kind="stable")  # stable: doc ids stay ascending in a column
            sorted_columns = columns[order]
            part_counts = np.bincount(sorted_columns, minlength=width)
            first_in_part = np.cumsum(part_counts) - part_counts
            positions = fill[sorted_columns] + (np.arange(len(order)) - first_in_part[sorted_columns])
            rows_out[positions] = rows[order]
            sorted_tf = tf[order]
            tf_out[positions] = _as_float16(sorted_tf)
            inexact = tf_out[positions] != sorted_tf
            exact_at.append(positions[inexact].astype(np.int64))
            exact_tf.append(sorted_tf[inexact].astype(np.float32))
            fill += part_counts
        # scipy keeps int32 indices only when the pointers are int32 too (else it copies both).
        indptr = indptr.astype(np.int32) if indptr[-1] < 2**31 - 1 else indptr
        at, values = np.concatenate(exact_at), np.concatenate(exact_tf)
        order = np.argsort(at)
        return cls(indptr, rows_out, tf_out, exact_at=at[order], exact_tf=values[order])

    def widened(self, width: int) -> "_Segment":
        """The same postings with room for terms seen since (empty columns)."""
        if width == self.columns:
            return self
        padding = np.full(width - self.columns, self.indptr[-1], self.indptr.dtype)
        return _Segment(np.concatenate([self.indptr, padding]), self.rows, self.tf, self.impact,
                        self.exact_at, self.exact_tf)

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        columns = np.repeat(np.arange(self.columns, dtype=np.int32), np.diff(self.indptr))
        if not len(self.exact_at):
            return np.asarray(self.rows), columns, np.asarray(self.tf)
        tf = np.asarray(self.tf, dtype=np.float32)
        tf[self.exact_at] = self.exact_tf
        return np.asarray(self.rows), columns, tf

    def refresh(self, norms: np.ndarray) -> None:
        """Impacts for these per-document length norms (finite: every tf is, in float32)."""
        tf = np.asarray(self.tf, dtype=np.float32)
        if len(self.exact_at):
            tf[self.exact_at] = self.exact_tf
        self.impact = tf * np.float32(bm25.K1 + 1) / (tf + norms[self.rows])
        self.matrix = None

    def shape_for(self, height: int) -> None:
        """The matrix over the impacts, ``height`` doc ids tall (no copy of the postings)."""
        if self.matrix is None or self.matrix.shape != (height, self.columns):
            self.matrix = scipy.sparse.csc_matrix((self.impact, self.rows, self.indptr),
                                                  shape=(height, self.columns), copy=False)

    def scores(self, columns: list[int], weights: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[:, columns] @ weights).ravel()

    def holders(self, column: int) -> np.ndarray:
        return self.rows[self.indptr[column] : self.indptr[column + 1]]

    def frequencies(self, column: int, doc_ids: np.ndarray) -> np.ndarray:
        """tf of ``column``'s term in each of ``doc_ids`` (0 where absent)."""
        start = int(self.indptr[column])
        rows = self.holders(column)
        found = np.zeros(len(doc_ids), np.float64)
        if not len(rows):
            return found
        at = np.searchsorted(rows, doc_ids)
        inside = at < len(rows)
        hit = np.zeros(len(doc_ids), bool)
        hit[inside] = rows[at[inside]] == doc_ids[inside]
        positions = start + at[hit]
        found[hit] = self.tf[positions]
        if len(self.exact_at):
            where = np.minimum(np.searchsorted(self.exact_at, positions), len(self.exact_at) - 1)
            held = self.exact_at[where] == positions
            found[np.flatnonzero(hit)[held]] = self.exact_tf[where[held]]
        return found

    def save(self, folder: Path, prefix: str) -> None:
        for name in _ARRAYS:
            np.save(folder / f"{prefix}-{name}.npy", np.asarray(getattr(self, name)))

    @classmethod
    def load(cls, folder: Path, prefix: str) -> "_Segment":
        arrays = {name: np.load(folder / f"{prefix}-{name}.npy", mmap_mode="r") for name in _ARRAYS}
        if not (len(arrays["rows"]) == len(arrays["tf"]) == len(arrays["impact"]) == int(arrays["indptr"][-1])
                and len(arrays["exact_at"]) == len(arrays["exact_tf"])):
            raise ValueError("postings arrays disagree")
        return cls(**arrays)


def _as_float16(values: np.ndarray) -> np.ndarray:
    """The nearest float16 of each value, the largest finite one past its range (not inf)."""
    limit = np.finfo(np.float16).max
    return np.clip(values, -limit, limit).astype(np.float16)


class Ranking:
    """One query's impact scores over every document; ``best`` gives the top, rescored exactly."""

    def __init__(self, scores: np.ndarray, segments: tuple[_Segment, ...], lengths: np.ndarray,
                 known: list[tuple[str, int, float]], corpus: Corpus,
                 everything: Callable[[], np.ndarray] | None = None) -> None:
        self._scores, self._segments, self._lengths = scores, segments, lengths
        self._known, self._corpus = known, corpus
        self._everything = everything  # the scores with the negligible words too, when left out
        self.matched = int(np.count_nonzero(scores))

    def best(self, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` best (doc id, BM25), best first (ties by doc id)."""
        if self._everything is not None and self.matched < depth * _SELECTION_SLACK + 50:
            # Too few papers hold the telling words: those holding only common ones count too.
            self._scores, self._everything = self._everything(), None
            self.matched = int(np.count_nonzero(self._scores))
        wanted = min(self.matched, depth * _SELECTION_SLACK + 50)
        if wanted <= 0 or depth <= 0:
            return []
        scores = self._scores
        # Partitioned at the front of the negated scores: at the back of the scores, the many
        # zeros make numpy's introselect several times slower (measured: 95 ms against 25).
        chosen = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < len(scores) else np.arange(len(scores))
        chosen = np.sort(chosen[scores[chosen] > 0]).astype(np.int64)
        exact = self._exact(chosen)
        order = np.lexsort((chosen, -exact))[:depth]
        return list(zip(chosen[order].tolist(), exact[order].tolist()))

    def _exact(self, doc_ids: np.ndarray) -> np.ndarray:
        """BM25 as ``domain.bm25.score`` computes it (same terms, same order, in float64)."""
        norm = bm25.K1 * (1 - bm25.B + bm25.B * self._lengths[doc_ids].astype(np.float64)
                          / (self._corpus.average_length or 1.0))
        total = np.zeros(len(doc_ids), np.float64)
        for _term, column, weight in self._known:
            tf = sum(segment.frequencies(column, doc_ids) for segment in self._segments)
            with np.errstate(invalid="ignore", divide="ignore"):
                total += np.where(tf > 0, weight * tf * (bm25.K1 + 1) / (tf + norm), 0.0)
        return total


class TermPostings:
    """The inverted index of one keyword index (see the module doc)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory / _DIRECTORY if directory is not None else None
        self._lock = threading.Lock()
        self._terms: dict[str, int] = {}
        self._categories: set[str] = set()  # the category pseudo-terms among the terms
        self._main = _Segment.empty()
        self._tail: _Segment | None = _Segment.empty()  # None: parts added since it was built
        self._tail_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lengths = np.zeros(0, np.float32)
        self._announced = np.zeros(0, np.int32)  # date.toordinal() by doc id; 0: not announced
        self._watermark = 0  # the largest doc id loaded
        self._loaded_documents = 0
        self._avgdl = 0.0  # the average length the impacts were computed with
        self._loaded_files = False
        self._dirty = False  # holds documents the saved files lack
        self._main_saved_in: Path | None = None  # a folder holding the main segment as it is now

    # -- keeping current ----------------------------------------------------------------------
    def sync(self, source: DocumentSource, newest: int, live_documents: int, *, limit: int | None = None,
             batch: int = 20_000) -> bool:
        """Load the documents above the watermark up to ``newest`` (the largest doc id stored),
        at most ``limit`` of them; return whether the index is now complete."""
        with self._lock:
            if not self._loaded_files:
                self._loaded_files = True
                self._load()
            if newest < self._watermark or self._dead_share(live_documents) > _STALE_SHARE:
                self._reset()  # the index was rebuilt or emptied, or too much of ours is gone
            loaded = 0
            while self._watermark < newest and (limit is None or loaded < limit):
                wanted = batch if limit is None else min(batch, limit - loaded)
                documents = source(self._watermark, wanted)
                if not documents:
                    break
                self._append(documents)
                loaded += len(documents)
            return self._watermark >= newest

    def _dead_share(self, live_documents: int) -> float:
        if not self._loaded_documents:
            return 0.0
        return max(0, self._loaded_documents - live_documents) / self._loaded_documents

    def _reset(self) -> None:
        self._main_saved_in = None
        self._terms, self._main, self._tail, self._tail_parts = {}, _Segment.empty(), _Segment.empty(), []
        self._categories = set()
        self._lengths, self._watermark, self._loaded_documents, self._avgdl = np.zeros(0, np.float32), 0, 0, 0.0
        self._announced = np.zeros(0, np.int32)
        self._dirty = True

    def _append(self, documents: list[Document]) -> None:
        terms = self._terms
        doc_ids, columns, weights = [], [], []
        for document in documents:
            categories = [_CATEGORY + category for category in document.categories]
            self._categories.update(categories)
            words = [*document.terms, *categories, *[_HAS_CODE] * document.has_code]
            doc_ids.extend([document.doc_id] * len(words))
            columns.extend(terms.setdefault(word, len(terms)) for word in words)
            weights.extend(document.weights)
            weights.extend([0.0] * (len(words) - len(document.terms)))
        width = len(terms) + 1
        # One posting per (document, term): the weighted counts of its tokens summed.
        keys, inverse = np.unique(np.asarray(doc_ids, np.int64) * width + np.asarray(columns, np.int64),
                                  return_inverse=True)
        tf = np.bincount(inverse, weights=np.asarray(weights, np.float64))  # float16 once merged (``of``)
        self._tail_parts.append(((keys // width).astype(np.int32), (keys % width).astype(np.int32), tf))
        newest = max(document.doc_id for document in documents)
        if newest >= len(self._lengths):
            size = max(newest + 1, int(len(self._lengths) * 1.25))
            self._lengths = np.concatenate([self._lengths, np.zeros(size - len(self._lengths), np.float32)])
            self._announced = np.concatenate([self._announced, np.zeros(size - len(self._announced), np.int32)])
        for document in documents:
            self._lengths[document.doc_id] = document.length
            self._announced[document.doc_id] = document.announced.toordinal() if document.announced else 0
        self._watermark = max(self._watermark, newest)
        self._loaded_documents += len(documents)
        self._tail = None
        self._dirty = True

    def _settle(self, average_length: float) -> None:
        """Build the tail from its parts (merging it into the main segment when large) and keep
        impacts current for ``average_length``."""
        width, height = len(self._terms), len(self._lengths)
        if self._tail is None:
            if sum(len(part[0]) for part in self._tail_parts) >= max(_MERGE_MIN, self._main.postings // _MERGE_SHARE):
                parts = [self._main.triples(), *self._tail_parts] if self._main.postings else self._tail_parts
                self._tail_parts = []  # ``of`` lets each part go once copied
                self._main = _Segment.of(parts, width)
                self._tail, self._main_saved_in = _Segment.empty(width), None
            else:
                self._tail = _Segment.of(list(self._tail_parts), width)
        # Widening adds empty columns only: files saved narrower still load (and widen) the same.
        self._main, self._tail = self._main.widened(width), self._tail.widened(width)
        drifted = not self._avgdl or abs(average_length - self._avgdl) > _AVGDL_TOLERANCE * self._avgdl
        if drifted:
            self._avgdl = average_length or 1.0
            self._main_saved_in = None
        norms = None
        for segment in (self._main, self._tail):
            if drifted or segment.impact is None:
                if norms is None:
                    norms = (bm25.K1 * (1 - bm25.B + bm25.B * self._lengths / self._avgdl)).astype(np.float32)
                segment.refresh(norms)
            segment.shape_for(height)

    def _settled(self, average_length: float) -> None:
        stale = self._tail is None or self._main.matrix is None or self._tail.matrix is None
        if stale or abs(average_length - self._avgdl) > _AVGDL_TOLERANCE * self._avgdl:
            self._settle(average_length)

    # -- searching ----------------------------------------------------------------------------
    def rank(self, idfs: dict[str, float], corpus: Corpus, *, excluded: Iterable[str] = (),
             required: Iterable[str] = (), among: Sequence[int] | None = None,
             paper_filter: "PaperFilter | None" = None) -> Ranking:
        """Score every document for terms weighted by ``idfs``: none holding an ``excluded`` term,
        only those holding every ``required`` term, passing ``paper_filter``, and ``among`` these
        doc ids when given."""
        with self._lock:
            self._settled(corpus.average_length)
            known = [(term, self._terms[term], weight) for term, weight in idfs.items() if term in self._terms]
            segments = (self._main, self._tail)
            if not known:
                return Ranking(np.zeros(0, np.float32), segments, self._lengths, [], corpus)
            size = len(self._lengths)
            masks = [~self._holding({term}, size, segments) for term in excluded]
            masks += [self._holding({term}, size, segments) for term in required]
            if paper_filter is not None and paper_filter.active:
                masks.append(self._passing(paper_filter, size, segments))
            if among is not None:
                listed = np.zeros(size, bool)
                listed[np.asarray([doc_id for doc_id in among if doc_id < size], np.int64)] = True
                masks.append(listed)
            keep = np.logical_and.reduce(masks) if masks else None  # which documents may match at all

            def scores(terms: list[tuple[str, int, float]]) -> np.ndarray:
                columns = [column for _, column, _ in terms]
                weights = np.array([weight for _, _, weight in terms], np.float32)
                found = sum(segment.scores(columns, weights) for segment in segments if segment.postings)
                if not isinstance(found, np.ndarray):  # no postings at all
                    found = np.zeros(size, np.float32)
                if keep is not None:
                    found[~keep] = 0
                return found

            # A word in most papers has FTS5's floor IDF (1e-6): it only breaks ties, so it is left
            # out of choosing the candidates (half a million postings saved), not out of their scores.
            telling = [term for term in known if term[2] > _NEGLIGIBLE_IDF]
            if not telling or len(telling) == len(known):
                return Ranking(scores(known), segments, self._lengths, known, corpus)
            return Ranking(scores(telling), segments, self._lengths, known, corpus, everything=lambda: scores(known))

    def _passing(self, paper_filter: "PaperFilter", size: int, segments) -> np.ndarray:
        """Which doc ids pass the filter, as ``PaperFilter.condition`` reads it in SQL."""
        passing = np.ones(size, bool)
        announced = self._announced[:size]
        if paper_filter.date_from or paper_filter.date_until:
            passing &= announced > 0
        if paper_filter.date_from:
            passing &= announced >= paper_filter.date_from.toordinal()
        if paper_filter.date_until:
            passing &= announced <= paper_filter.date_until.toordinal()
        if paper_filter.categories:
            wanted = set()
            for category in paper_filter.categories:
                wanted.add(_CATEGORY + category)
                if "." not in category:  # an archive: cat:cs means cs.* as well
                    wanted.update(t for t in self._categories if t.startswith(f"{_CATEGORY}{category}."))
            passing &= self._holding(wanted, size, segments)
        if paper_filter.has_code:
            passing &= self._holding({_HAS_CODE}, size, segments)
        return passing

    def _holding(self, terms: set[str], size: int, segments) -> np.ndarray:
        """Which doc ids hold any of ``terms``."""
        holding = np.zeros(size, bool)
        for term in terms:
            if term in self._terms:
                for segment in segments:
                    holding[segment.holders(self._terms[term])] = True
        return holding

    def top(self, idfs: dict[str, float], corpus: Corpus, depth: int, **options) -> list[tuple[int, float]]:
        """The ``depth`` best (doc id, exact BM25), best first."""
        return self.rank(idfs, corpus, **options).best(depth)

    @property
    def watermark(self) -> int:
        return self._watermark

    @property
    def postings(self) -> int:
        return self._main.postings + sum(len(part[0]) for part in self._tail_parts)

    @property
    def saved(self) -> bool:
        """Whether the files hold all this index holds (always, without a folder)."""
        return self.directory is None or (self._loaded_files and not self._dirty)

    # -- files beside the database ------------------------------------------------------------
    def save(self) -> None:
        """Write the index to a fresh folder, then point ``current.json`` at it (atomically)."""
        if self.directory is None:
            return
        with self._lock:
            if not self._avgdl:
                live = self._lengths[self._lengths > 0]
                self._avgdl = float(live.mean()) if len(live) else 1.0
            self._settle(self._avgdl)  # impacts are saved with the average length they assume
            self.directory.mkdir(parents=True, exist_ok=True)
            folder = self.directory / f"v{int(time.time())}-{uuid.uuid4().hex[:8]}"
            folder.mkdir()
            if self._main_saved_in is not None and self._link_main(self._main_saved_in, folder):
                pass  # the main segment is unchanged: its files are shared, not written again
            else:
                self._main.save(folder, "main")
            self._main_saved_in = folder
            self._tail.save(folder, "tail")
            np.save(folder / "lengths.npy", self._lengths[: self._watermark + 1])
            np.save(folder / "announced.npy", self._announced[: self._watermark + 1])
            meta = {"format": _FORMAT, "watermark": self._watermark, "documents": self._loaded_documents,
                    "average_length": self._avgdl, "terms": sorted(self._terms, key=self._terms.__getitem__)}
            (folder / "meta.json").write_text(json.dumps(meta))
            pointer = self.directory / "current.json"
            Path(str(pointer) + ".tmp").write_text(json.dumps({"folder": folder.name}))
            os.replace(str(pointer) + ".tmp", pointer)
            self._dirty = False
            self._remove_old(keep=folder.name)

    @staticmethod
    def _link_main(source: Path, folder: Path) -> bool:
        try:
            for name in _ARRAYS:
                os.link(source / f"main-{name}.npy", folder / f"main-{name}.npy")
            return True
        except OSError:  # gone, or a file system without hard links
            for name in _ARRAYS:
                (folder / f"main-{name}.npy").unlink(missing_ok=True)
            return False

    def _remove_old(self, keep: str) -> None:
        for folder in self.directory.iterdir():
            if folder.is_dir() and folder.name != keep and time.time() - folder.stat().st_mtime > _KEEP_OLD_FILES_S:
                shutil.rmtree(folder, ignore_errors=True)

    def _load(self) -> None:
        if self.directory is None:
            return
        try:
            folder = self.directory / json.loads((self.directory / "current.json").read_text())["folder"]
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("format") != _FORMAT:
                return
            main, tail = _Segment.load(folder, "main"), _Segment.load(folder, "tail")
            lengths = np.array(np.load(folder / "lengths.npy"), dtype=np.float32)
            announced = np.array(np.load(folder / "announced.npy"), dtype=np.int32)
            terms = meta["terms"]
            if main.columns > len(terms) or tail.columns > len(terms):
                return
            main, tail = main.widened(len(terms)), tail.widened(len(terms))
        except (OSError, ValueError, KeyError, IndexError):
            # A missing or damaged save costs a rebuild from the database, never a wrong answer.
            return
        self._terms = {term: column for column, term in enumerate(terms)}
        self._categories = {term for term in terms if term.startswith(_CATEGORY)}
        # The saved tail stays a part of the tail, so documents added later join it, not replace it.
        self._main, self._tail, self._tail_parts = main, tail, [tail.triples()] if tail.postings else []
        self._main_saved_in = folder
        self._lengths, self._announced = lengths, announced
        self._watermark = int(meta["watermark"])
        self._loaded_documents = int(meta["documents"])
        self._avgdl = float(meta["average_length"])

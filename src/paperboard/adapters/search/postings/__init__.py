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

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from paperboard.adapters.search.postings import storage
from paperboard.adapters.search.postings.identities import Identities
from paperboard.adapters.search.postings.ranking import Corpus, Ranking
from paperboard.adapters.search.postings.segment import Segment
from paperboard.domain import bm25

if TYPE_CHECKING:
    from paperboard.adapters.search.filters import PaperFilter

_MERGE_SHARE = 20  # merge the tail once it holds a twentieth of the main segment's postings
_MERGE_MIN = 200_000  # ...and at least this many
_STALE_SHARE = 0.25  # rebuild once this share of the loaded documents no longer exists
_AVGDL_TOLERANCE = 0.002  # recompute impacts once the average length moves this much
_NEGLIGIBLE_IDF = 1e-3  # FTS5 floors the IDF of a word in most documents at 1e-6


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
    paper_id: str = ""  # "": unknown (the paper's identity then comes from ``set_identities``)


# Metadata ride along as pseudo-terms with no weight: analyzed terms hold only letters and digits,
# so these cannot collide with one.
_CATEGORY = "category:"
_HAS_CODE = "has:code"
# Reads documents with doc ids above ``after``, ascending, at most ``limit``.
DocumentSource = Callable[[int, int], list[Document]]


class TermPostings:
    """The inverted index of one keyword index (see the module doc)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory / storage.DIRECTORY if directory is not None else None
        self._lock = threading.Lock()
        self._terms: dict[str, int] = {}
        self._categories: set[str] = set()  # the category pseudo-terms among the terms
        self._main = Segment.empty()
        self._tail: Segment | None = Segment.empty()  # None: parts added since it was built
        self._tail_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lengths = np.zeros(0, np.float32)
        self._announced = np.zeros(0, np.int32)  # date.toordinal() by doc id; 0: not announced
        self._watermark = 0  # the largest doc id loaded
        self._loaded_documents = 0
        self._avgdl = 0.0  # the average length the impacts were computed with
        self._loaded_files = False
        self._dirty = False  # holds documents the saved files lack
        self._main_saved_in: Path | None = None  # a folder holding the main segment as it is now
        self._identities = Identities()

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
        self._terms, self._main, self._tail, self._tail_parts = {}, Segment.empty(), Segment.empty(), []
        self._categories = set()
        self._lengths, self._watermark, self._loaded_documents, self._avgdl = np.zeros(0, np.float32), 0, 0, 0.0
        self._announced = np.zeros(0, np.int32)
        self._identities.reset()
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
        self._identities.add((document.doc_id, document.paper_id) for document in documents if document.paper_id)
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
                self._main = Segment.of(parts, width)
                self._tail, self._main_saved_in = Segment.empty(width), None
            else:
                self._tail = Segment.of(list(self._tail_parts), width)
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

    # -- the match set: every live document holding all of a query's words ----------------------
    def identities_current(self, live_documents: int) -> bool:
        """Whether every live doc id's paper is known (else ``set_identities`` first)."""
        with self._lock:
            return self._identities.complete and self._identities.live_count == live_documents

    def set_identities(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Every live (doc id, paper id) of the keyword index."""
        with self._lock:
            self._identities.replace(pairs)

    def holding_all(self, terms: Iterable[str], *, excluded: Iterable[str] = (),
                    paper_filter: "PaperFilter | None" = None) -> np.ndarray:
        """The live doc ids (ascending) holding every one of ``terms`` and none of ``excluded``,
        passing ``paper_filter``."""
        with self._lock:
            self._settled(self._avgdl or 1.0)  # the segments built (their impacts are not used here)
            size, segments = len(self._lengths), (self._main, self._tail)
            masks = [self._identities.live(size)]
            masks += [self._holding({term}, size, segments) for term in terms]
            masks += [~self._holding({term}, size, segments) for term in excluded]
            if paper_filter is not None and paper_filter.active:
                masks.append(self._passing(paper_filter, size, segments))
            return np.flatnonzero(np.logical_and.reduce(masks))

    def term_counts(self, terms: Sequence[str], doc_ids: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The length of each of ``doc_ids``, and each term's weighted count in each (0: absent):
        what ``domain.bm25`` scores a few given documents with, without reading their text."""
        doc_ids = np.asarray(doc_ids, np.int64)
        with self._lock:
            self._settled(self._avgdl or 1.0)  # the tail's parts in its segment
            segments = (self._main, self._tail)
            counts = [sum((segment.frequencies(self._terms[term], doc_ids) for segment in segments),
                          np.zeros(len(doc_ids), np.float64)) if term in self._terms
                      else np.zeros(len(doc_ids), np.float64) for term in terms]
            return self._lengths[doc_ids], counts

    def papers_of(self, doc_ids: Sequence[int]) -> list[str]:
        with self._lock:
            return self._identities.papers(doc_ids)

    def docs_of(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """paper id → live doc id, for those of ``paper_ids`` the postings hold."""
        with self._lock:
            return self._identities.docs(paper_ids)

    def announced_of(self, doc_ids: np.ndarray) -> np.ndarray:
        """date.toordinal() of each document's announcement (0: none)."""
        with self._lock:
            return self._announced[np.asarray(doc_ids, np.int64)]

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

    # -- files beside the database (``storage``) ----------------------------------------------
    def save(self) -> None:
        """Write the index to a fresh folder, then point ``current.json`` at it (atomically)."""
        if self.directory is None:
            return
        with self._lock:
            if not self._avgdl:
                live = self._lengths[self._lengths > 0]
                self._avgdl = float(live.mean()) if len(live) else 1.0
            self._settle(self._avgdl)  # impacts are saved with the average length they assume
            saved = storage.Saved(
                self._main, self._tail, self._lengths[: self._watermark + 1], self._announced[: self._watermark + 1],
                sorted(self._terms, key=self._terms.__getitem__), self._watermark, self._loaded_documents, self._avgdl,
            )
            # The main segment is unchanged since it was saved there: its files are shared.
            self._main_saved_in = storage.write(self.directory, saved, main_saved_in=self._main_saved_in)
            self._dirty = False

    def _load(self) -> None:
        saved = storage.read(self.directory) if self.directory is not None else None
        if saved is None:
            return
        self._terms = {term: column for column, term in enumerate(saved.terms)}
        self._categories = {term for term in saved.terms if term.startswith(_CATEGORY)}
        # The saved tail stays a part of the tail, so documents added later join it, not replace it.
        self._main, self._tail = saved.main, saved.tail
        self._tail_parts = [saved.tail.triples()] if saved.tail.postings else []
        self._main_saved_in = saved.folder
        self._lengths, self._announced = saved.lengths, saved.announced
        self._identities.reset(complete=False)  # the files keep no paper ids
        self._watermark, self._loaded_documents, self._avgdl = saved.watermark, saved.documents, saved.average_length


__all__ = ["Corpus", "Document", "DocumentSource", "Ranking", "TermPostings"]

"""One segment of the postings: a term's documents in compressed-column form, with their weighted
term frequencies and BM25 impacts, as a scipy sparse matrix for a query's columns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from paperboard.domain import bm25

ARRAYS = ("indptr", "rows", "tf", "impact", "exact_at", "exact_tf")  # what a save keeps of a segment


@dataclass
class Segment:
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
    def empty(cls, columns: int = 0) -> "Segment":
        return cls(np.zeros(columns + 1, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float16))

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], width: int) -> "Segment":
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
            tf_out[positions] = as_float16(sorted_tf)
            inexact = tf_out[positions] != sorted_tf
            exact_at.append(positions[inexact].astype(np.int64))
            exact_tf.append(sorted_tf[inexact].astype(np.float32))
            fill += part_counts
        # scipy keeps int32 indices only when the pointers are int32 too (else it copies both).
        indptr = indptr.astype(np.int32) if indptr[-1] < 2**31 - 1 else indptr
        at, values = np.concatenate(exact_at), np.concatenate(exact_tf)
        order = np.argsort(at)
        return cls(indptr, rows_out, tf_out, exact_at=at[order], exact_tf=values[order])

    def widened(self, width: int) -> "Segment":
        """The same postings with room for terms seen since (empty columns)."""
        if width == self.columns:
            return self
        padding = np.full(width - self.columns, self.indptr[-1], self.indptr.dtype)
        return Segment(np.concatenate([self.indptr, padding]), self.rows, self.tf, self.impact,
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


def as_float16(values: np.ndarray) -> np.ndarray:
    """The nearest float16 of each value, the largest finite one past its range (not inf)."""
    limit = np.finfo(np.float16).max
    return np.clip(values, -limit, limit).astype(np.float16)

"""One query's ranking over the postings: impact scores for choosing candidates, the exact BM25
(``domain.bm25``'s formula, term by term in float64) for the scores they get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from paperboard.adapters.search.postings.segment import Segment
from paperboard.domain import bm25

SELECTION_SLACK = 2  # candidates rescored exactly per wanted hit (impacts may use an older avgdl)


@dataclass(frozen=True)
class Corpus:
    """The database's totals, which BM25 uses."""

    documents: int
    average_length: float


class Ranking:
    """One query's impact scores over every document; ``best`` gives the top, rescored exactly."""

    def __init__(self, scores: np.ndarray, segments: tuple[Segment, ...], lengths: np.ndarray,
                 known: list[tuple[str, int, float]], corpus: Corpus,
                 everything: Callable[[], np.ndarray] | None = None) -> None:
        self._scores, self._segments, self._lengths = scores, segments, lengths
        self._known, self._corpus = known, corpus
        self._everything = everything  # the scores with the negligible words too, when left out
        self.matched = int(np.count_nonzero(scores))

    def best(self, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` best (doc id, BM25), best first (ties by doc id)."""
        if self._everything is not None and self.matched < depth * SELECTION_SLACK + 50:
            # Too few papers hold the telling words: those holding only common ones count too.
            self._scores, self._everything = self._everything(), None
            self.matched = int(np.count_nonzero(self._scores))
        wanted = min(self.matched, depth * SELECTION_SLACK + 50)
        if wanted <= 0 or depth <= 0:
            return []
        scores = self._scores
        # Partitioned at the front of the negated scores: at the back of the scores, the many
        # zeros make numpy's introselect several times slower.
        chosen = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < len(scores) else np.arange(len(scores))
        chosen = np.sort(chosen[scores[chosen] > 0]).astype(np.int64)
        exact = self._exact(chosen)
        order = np.lexsort((chosen, -exact))[:depth]
        return list(zip(chosen[order].tolist(), exact[order].tolist()))

    def _exact(self, doc_ids: np.ndarray) -> np.ndarray:
        """BM25 as ``domain.bm25.score`` computes it (same terms, same order, in float64)."""
        frequencies = [sum(segment.frequencies(column, doc_ids) for segment in self._segments)
                       for _term, column, _weight in self._known]
        return bm25.scores(frequencies, self._lengths[doc_ids], [weight for _, _, weight in self._known],
                           self._corpus.average_length)

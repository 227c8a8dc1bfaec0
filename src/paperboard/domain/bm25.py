"""BM25 as FTS5's ``bm25()`` computes it, for scoring a bounded candidate set outside the engine.

Both keyword engines rank small matches natively (FTS5's C code, PostgreSQL's SQL) and large ones
by scoring a candidate set here, with the same constants and IDF, so a paper gets the same score
whichever path or engine ranked it. The term frequency is column-weighted: the sum over fields of
the field's weight times the term's count in it; ``length`` is the document's analyzed length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

K1 = 1.2
B = 0.75


def idf(documents: int, frequency: int) -> float:
    """FTS5's IDF: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 for words in most documents."""
    value = math.log((documents - frequency + 0.5) / (frequency + 0.5)) if documents else 0.0
    return value if value > 0 else 1e-6


def score(frequencies: Mapping[str, float], length: int, idfs: Mapping[str, float], average_length: float) -> float:
    """One document's BM25 for the query terms in ``idfs``; ``frequencies`` are its weighted counts."""
    norm = K1 * (1 - B + B * length / (average_length or 1.0))
    total = 0.0
    for term, weight in idfs.items():
        tf = frequencies.get(term, 0.0)
        if tf:
            total += weight * tf * (K1 + 1) / (tf + norm)
    return total


def scores(frequencies: Sequence[np.ndarray], lengths: np.ndarray, weights: Sequence[float],
           average_length: float) -> np.ndarray:
    """``score`` of many documents at once, term by term in the same order and in float64, so each
    equals ``score`` exactly: ``frequencies[i]`` holds term i's weighted count in each document
    (0: absent), ``weights[i]`` its IDF."""
    norm = K1 * (1 - B + B * np.asarray(lengths, np.float64) / (average_length or 1.0))
    total = np.zeros(len(norm), np.float64)
    for tf, weight in zip(frequencies, weights):
        with np.errstate(invalid="ignore", divide="ignore"):
            total += np.where(tf > 0, weight * tf * (K1 + 1) / (tf + norm), 0.0)
    return total

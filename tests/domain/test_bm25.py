"""BM25 as FTS5 computes it (the keyword engines check the same numbers against the real thing)."""

import math

import pytest

from paperboard.domain import bm25


def test_idf_is_fts5s_and_floored_for_words_in_most_documents():
    assert bm25.idf(1000, 10) == pytest.approx(math.log(990.5 / 10.5))
    assert bm25.idf(1000, 600) == 1e-6
    assert bm25.idf(0, 0) == 1e-6


def test_score_saturates_and_normalises_by_length():
    idfs = {"graph": 2.0, "neural": 1.0}
    once = bm25.score({"graph": 1}, 10, idfs, 10.0)
    assert once == pytest.approx(2.0 * 1 * 2.2 / (1 + 1.2))
    assert bm25.score({"graph": 2}, 10, idfs, 10.0) > once
    assert bm25.score({"graph": 1}, 40, idfs, 10.0) < once
    assert bm25.score({"other": 3}, 10, idfs, 10.0) == 0.0
    assert bm25.score({"graph": 1, "neural": 1}, 10, idfs, 10.0) > once

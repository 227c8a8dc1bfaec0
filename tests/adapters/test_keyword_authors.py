"""author: on both engines, on every path that reads it: the engine's ranking, the in-memory
postings, the constraint check, the listings (browse, the vector leg's candidates)."""

from __future__ import annotations

import pytest

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery, keyword_index
from paperboard.adapters.search.keyword import ranking as keyword_ranking
from paperboard.adapters.search.postings import TermPostings
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.paper import Paper

KANG_LIAO = "2604.00001"
KANG_LIAO_ACCENTED = "2604.00002"
K_LIAO_ONLY = "2604.00003"
PAIRS = ("2604.00011", "2604.00012", "2604.00013", "2604.00014")

PAPERS = [
    Paper(KANG_LIAO, "Image stitching with graphs", "Graphs align images.",
          authors=("Yinxi He", "Kang Liao", "Chunyu Lin")),
    Paper(KANG_LIAO_ACCENTED, "Fisheye rectification", "A graph of distortions.",
          authors=("KÁNG LIÁO",)),
    Paper(K_LIAO_ONLY, "Depth from a graph", "Depth.", authors=("K. Liao", "Yao Zhao")),
    # A "Kang" and a "Liao" of two different authors: each scores higher on "graph" than the above.
    Paper(PAIRS[0], "Graph graph localization", "Graph graph graph.", authors=("Youqi Liao", "Shuhao Kang")),
    Paper(PAIRS[1], "Graph graph safety", "Graph graph graph.", authors=("Hankun Kang", "Liao Zhirong")),
    Paper(PAIRS[2], "Graph graph clustering", "Graph graph graph.", authors=("Zhifei Liao", "Zhao Kang")),
    Paper(PAIRS[3], "Graph graph reasoning", "Graph graph graph.", authors=("Kang Liaoning", "Jun Liao")),
]


@pytest.fixture
def indexed(database):
    index = keyword_index(database)
    with database.write() as connection:
        upsert_papers(connection, PAPERS)
        index.index(connection, PAPERS)
    return database, index


def _query(text: str) -> KeywordQuery:
    from paperboard.domain.query import parse_query

    return KeywordQuery.of(parse_query(text))


def _ranked(database, index, text, limit=10, postings=None):
    with database.read() as connection:
        return [paper_id for paper_id, _ in index.search(connection, _query(text), PaperFilter(), limit, postings).hits]


@pytest.mark.parametrize(
    "name, expected",
    [
        ('"Kang Liao"', {KANG_LIAO, KANG_LIAO_ACCENTED}),
        ('"kang liao"', {KANG_LIAO, KANG_LIAO_ACCENTED}),
        ('"K. Liao"', {KANG_LIAO, KANG_LIAO_ACCENTED, K_LIAO_ONLY}),
        ('"K Liao"', {KANG_LIAO, KANG_LIAO_ACCENTED, K_LIAO_ONLY}),
        ('"Liao, Kang"', {KANG_LIAO, KANG_LIAO_ACCENTED}),
        ("liao", {KANG_LIAO, KANG_LIAO_ACCENTED, K_LIAO_ONLY, *PAIRS}),
        ('"Zhao Kang"', {PAIRS[2]}),
    ],
)
def test_one_authors_full_name_on_every_path(indexed, monkeypatch, name, expected):
    database, index = indexed
    # The engine's own ranking; the best-scoring papers are the false pairs, so the check must
    # come before the limit.
    assert set(_ranked(database, index, f"graph author:{name}")) == expected
    assert len(_ranked(database, index, f"graph author:{name}", limit=1)) == 1
    assert set(_ranked(database, index, f"graph author:{name}", limit=1)) <= expected
    with database.read() as connection:
        query = _query(f"author:{name}")
        assert index.satisfying(connection, query, [p.id for p in PAPERS]) == expected
        assert set(index.constrained_ids(connection, query, cap=10)) == expected
        assert set(index.constrained_ids_if_cheap(connection, query, cap=10)) == expected
        docs = index._constrained_doc_ids(connection, query, cap=10)
        assert set(index._paper_ids(connection, docs).values()) == expected
        assert set(index._papers_meeting(connection, query, docs).values()) == expected
    # The in-memory postings' path (the words are "common": over the budget).
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    assert set(_ranked(database, index, f"graph author:{name}", postings=postings)) == expected
    assert postings.watermark > 0
    assert _ranked(database, index, f"graph author:{name}", limit=1, postings=postings)[0] in expected


def test_the_cap_counts_papers_that_bear_the_name_not_those_holding_its_words(indexed):
    database, index = indexed
    with database.read() as connection:
        # Six papers hold both words, two bear the name.
        assert set(index.constrained_ids(connection, _query('author:"Kang Liao"'), cap=2)) == {
            KANG_LIAO, KANG_LIAO_ACCENTED}
        assert index.constrained_ids(connection, _query('author:"Kang Liao"'), cap=1) is None
        assert index.constrained_ids(connection, _query("author:liao"), cap=6) is None


def test_a_name_with_a_phrase_and_an_exclusion(indexed):
    database, index = indexed
    assert _ranked(database, index, 'graph author:"K. Liao" -fisheye -depth') == [KANG_LIAO]
    with database.read() as connection:
        kept = index.satisfying(connection, _query('"image stitching" author:"Kang Liao"'), [p.id for p in PAPERS])
    assert kept == {KANG_LIAO}


def test_two_author_filters_may_be_two_people(indexed):
    database, index = indexed
    assert set(_ranked(database, index, 'graph author:"Shuhao Kang" author:"Youqi Liao"')) == {PAIRS[0]}
    assert _ranked(database, index, 'graph author:"Shuhao Kang" author:"Kang Liao"') == []

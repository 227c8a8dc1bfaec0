"""The keyword leg against real SQLite (FTS5) and real PostgreSQL: same analysis, same BM25."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from paperboard.adapters.search.keyword import matching as keyword_matching
from paperboard.adapters.search.keyword import ranking as keyword_ranking
from paperboard.adapters.search.keyword import statistics
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery, keyword_index
from paperboard.adapters.search.postings import TermPostings
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain import bm25
from paperboard.domain.paper import Paper
from paperboard.domain.query import parse_query

PAPERS = [
    Paper("2603.00001", "Graph neural networks for molecules", "We learn message passing on molecular graphs.",
          authors=("Ada Lovelace", "Alan Turing"), categories=("cs.LG",), announced=date(2026, 3, 2),
          code_urls=("https://github.com/a/b",)),
    Paper("2603.00002", "Sparse attention for long documents", "Attention that scales to long inputs.",
          authors=("Grace Hopper",), categories=("cs.CL",), announced=date(2026, 3, 9)),
    Paper("2603.00003", "A survey of graph learning", "We review graph neural networks and message passing.",
          authors=("Alan Kay",), categories=("cs.LG", "cs.AI"), announced=date(2026, 4, 1)),
    Paper("2603.00004", "Protein folding with diffusion", "Diffusion models fold proteins; graphs appear once.",
          authors=("Rosalind Franklin",), categories=("q-bio.BM",), announced=date(2026, 5, 1)),
]
PAPERS_IDS = [paper.id for paper in PAPERS]


@pytest.fixture
def indexed(database):
    index = keyword_index(database)
    with database.write() as connection:
        upsert_papers(connection, PAPERS)
        assert index.index(connection, PAPERS) == len(PAPERS)
    return database, index


def _search(database, index, text_, limit=10, paper_filter=PaperFilter()):
    query = parse_query(text_)
    with database.read() as connection:
        return index.search(connection, KeywordQuery.of(query), paper_filter, limit)


def test_bm25_ranks_by_rarity_and_field(indexed):
    database, index = indexed
    found = _search(database, index, "graph neural message passing")
    ids = [paper_id for paper_id, _ in found.hits]
    assert found.exact
    assert set(ids[:2]) == {"2603.00001", "2603.00003"} and ids[2] == "2603.00004"
    assert all(score > 0 for _, score in found.hits)
    assert [p for p, _ in _search(database, index, "attention").hits] == ["2603.00002"]
    assert _search(database, index, "the of and").hits == []
    assert _search(database, index, "nonexistentword").hits == []


def test_phrases_authors_and_exclusions_constrain(indexed):
    database, index = indexed
    assert [p for p, _ in _search(database, index, 'graph "neural networks" -survey').hits] == ["2603.00001"]
    assert [p for p, _ in _search(database, index, 'graph author:"alan kay"').hits] == ["2603.00003"]
    assert [p for p, _ in _search(database, index, "graph author:turing").hits] == ["2603.00001"]
    # An author's name is also ordinary text for ranking.
    assert [p for p, _ in _search(database, index, "hopper").hits] == ["2603.00002"]


def test_filters_apply_before_the_limit(indexed):
    database, index = indexed
    in_april = PaperFilter(date_from=date(2026, 4, 1), date_until=date(2026, 4, 30))
    assert [p for p, _ in _search(database, index, "graph", paper_filter=in_april).hits] == ["2603.00003"]
    assert [p for p, _ in _search(database, index, "graph", paper_filter=PaperFilter(categories=("cs.AI",))).hits] == [
        "2603.00003"
    ]
    assert [p for p, _ in _search(database, index, "graph", paper_filter=PaperFilter(categories=("q-bio",))).hits] == [
        "2603.00004"
    ]
    assert [p for p, _ in _search(database, index, "graph", 1, PaperFilter(has_code=True)).hits] == ["2603.00001"]


def test_satisfying_and_constrained_ids(indexed):
    database, index = indexed
    everything = [p.id for p in PAPERS]
    with database.read() as connection:
        kept = index.satisfying(connection, KeywordQuery.of(parse_query('"message passing" -survey')), everything)
        by_alan = index.constrained_ids(connection, KeywordQuery.of(parse_query("author:alan")), cap=10)
        too_many = index.constrained_ids(connection, KeywordQuery.of(parse_query("author:alan")), cap=1)
    assert kept == {"2603.00001"}
    assert sorted(by_alan) == ["2603.00001", "2603.00003"] and too_many is None


def test_hostile_text_is_only_ever_a_term(indexed):
    database, index = indexed
    for hostile in ['" OR 1=1 --', "NEAR(a b)", "title:graph*", "a AND NOT b", "'; DROP TABLE papers; --", "^graph"]:
        _search(database, index, hostile)
    with database.read() as connection:
        assert connection.execute(text("SELECT count(*) FROM papers")).scalar_one() == len(PAPERS)


def test_reindexing_is_idempotent_and_follows_edits(indexed):
    database, index = indexed
    edited = Paper("2603.00002", "Sparse attention for long documents", "Now about tokamak plasma.",
                   version=2, authors=("Grace Hopper",), categories=("cs.CL",))
    with database.write() as connection:
        assert index.index(connection, PAPERS) == 0
        upsert_papers(connection, [edited])
        assert index.stale_ids(connection, 10) == ["2603.00002"]
        assert index.index(connection, [edited]) == 1
        assert index.stale_ids(connection, 10) == []
    assert [p for p, _ in _search(database, index, "tokamak").hits] == ["2603.00002"]
    assert _search(database, index, "inputs").hits == []
    # Document statistics follow the edit: the old abstract's words are gone from the counts.
    assert [p for p, _ in _search(database, index, "attention").hits] == ["2603.00002"]


def test_exact_titles_are_found(indexed):
    database, index = indexed
    with database.read() as connection:
        assert index.title_matches(connection, "  sparse ATTENTION for long documents!") == ["2603.00002"]
        assert index.title_matches(connection, "sparse attention") == []
        assert index.title_matches(connection, "!!!") == []


def _ranked(found):
    return [(paper_id, pytest.approx(score, rel=1e-9)) for paper_id, score in found.hits]


OVER_BUDGET_QUERIES = [
    "graph networks message",
    "graph",
    "graph neural -survey",
    'graph "neural networks"',
    "graph author:alan",
    "diffusion graphs -\"message passing\"",
    "nonexistentword graph",
]


@pytest.mark.parametrize("text_", OVER_BUDGET_QUERIES)
def test_over_budget_queries_rank_exactly_as_the_engine(indexed, monkeypatch, text_):
    database, index = indexed
    native = _search(database, index, text_)
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    query = KeywordQuery.of(parse_query(text_))
    with database.read() as connection:
        found = index.search(connection, query, PaperFilter(), 10, postings)
    assert postings.watermark > 0  # the postings answered, not the engine
    assert found.exact
    assert [p for p, _ in found.hits] == [p for p, _ in native.hits]
    if not (query.phrases or query.authors):  # FTS5 also scores a required phrase as one more term
        assert [s for _, s in found.hits] == pytest.approx([s for _, s in native.hits], rel=1e-6)


def test_over_budget_filters_go_deeper_until_enough_pass(indexed, monkeypatch):
    database, index = indexed
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    for paper_filter in (PaperFilter(categories=("q-bio",)), PaperFilter(date_from=date(2026, 4, 1)),
                         PaperFilter(has_code=True)):
        with database.read() as connection:
            found = index.search(connection, KeywordQuery.of(parse_query("graph")), paper_filter, 1, postings)
        native = _search(database, index, "graph", 1, paper_filter)
        assert found.exact and [p for p, _ in found.hits] == [p for p, _ in native.hits] != []


def test_over_budget_postings_follow_edits_and_deletions(indexed, monkeypatch):
    database, index = indexed
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    assert [p for p, _ in _search_with(database, index, postings, "attention")] == ["2603.00002"]
    edited = replace(PAPERS[1], abstract="Now about tokamak plasma.", version=2)
    with database.write() as connection:
        upsert_papers(connection, [edited])
        index.index(connection, [edited])
        connection.execute(text("DELETE FROM papers WHERE id = '2603.00004'"))
    assert [p for p, _ in _search_with(database, index, postings, "tokamak")] == ["2603.00002"]
    assert [p for p, _ in _search_with(database, index, postings, "inputs")] == []
    assert [p for p, _ in _search_with(database, index, postings, "protein")] == []
    # A paper indexed after the newest was deleted gets a fresh doc id, never the deleted one's.
    fresh = Paper("2603.00005", "Tokamak control", "Plasma again.", categories=("physics.plasm-ph",))
    with database.write() as connection:
        upsert_papers(connection, [fresh])
        index.index(connection, [fresh])
    assert [p for p, _ in _search_with(database, index, postings, "tokamak")] == ["2603.00005", "2603.00002"]


def _search_with(database, index, postings, text_):
    with database.read() as connection:
        return index.search(connection, KeywordQuery.of(parse_query(text_)), PaperFilter(), 10, postings).hits


def test_statistics_follow_edits(indexed):
    database, index = indexed
    with database.read() as connection:
        assert statistics.document_frequencies(connection, ["graph", "protein"]) == {"graph": 3, "protein": 1}
        documents, average_length = statistics.corpus(connection)
    assert documents == 4
    edited = replace(PAPERS[3], abstract="Diffusion models fold proteins.", version=2)
    with database.write() as connection:
        upsert_papers(connection, [edited])
        assert index.index(connection, [edited]) == 1
    with database.read() as connection:
        frequencies = statistics.document_frequencies(connection, ["graph", "protein", "appear"])
        assert (frequencies["graph"], frequencies["protein"], frequencies.get("appear", 0)) == (2, 1, 0)
        assert statistics.corpus(connection)[0] == 4 and statistics.corpus(connection)[1] < average_length


def test_over_budget_filters_follow_metadata_edits(indexed, monkeypatch):
    database, index = indexed
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    biology = PaperFilter(categories=("q-bio",))

    def graph_in_biology():
        with database.read() as connection:
            found = index.search(connection, KeywordQuery.of(parse_query("graph")), biology, 10, postings)
        return [p for p, _ in found.hits]

    assert graph_in_biology() == ["2603.00004"]
    # Only the categories change (same text): the paper gets a new doc id, the postings follow.
    moved = replace(PAPERS[0], categories=("q-bio.BM",), version=2)
    with database.write() as connection:
        upsert_papers(connection, [moved])
        assert index.index(connection, [moved]) == 1
    assert sorted(graph_in_biology()) == ["2603.00001", "2603.00004"]


def test_candidate_scores_give_every_candidate_the_legs_own_bm25_and_its_word_coverage(indexed):
    database, index = indexed
    query = KeywordQuery.of(parse_query("graph message passing proteins"))
    with database.read() as connection:
        hits = dict(index.search(connection, query, PaperFilter(), 10).hits)
        scores = index.candidate_scores(connection, query.terms, [*PAPERS_IDS, "2699.99999"])
        frequencies = statistics.document_frequencies(connection, query.terms)
        documents, _ = statistics.corpus(connection)
    assert set(scores) == set(PAPERS_IDS)  # a paper not indexed is left out
    for paper_id, score in hits.items():  # the engine's own BM25, for the papers it found
        assert scores[paper_id][0] == pytest.approx(score, rel=1e-6)
    assert scores["2603.00002"] == (0.0, 0.0)  # none of the words
    idf = {term: bm25.idf(documents, frequencies[term]) for term in query.terms}
    held = {"2603.00001": {"graph", "messag", "pass"}, "2603.00004": {"graph", "protein"}}
    for paper_id, terms in held.items():
        assert scores[paper_id][1] == pytest.approx(sum(idf[t] for t in terms) / sum(idf.values()))
    with database.read() as connection:
        assert index.candidate_scores(connection, ("graph",), []) == {}
        assert index.candidate_scores(connection, ("nonexistentword",), ["2603.00001"]) == {"2603.00001": (0.0, 0.0)}


def test_candidate_scores_from_the_postings_equal_those_from_the_stored_terms(indexed):
    database, index = indexed
    moved = replace(PAPERS[2], abstract=PAPERS[2].abstract + " Proteins too.", version=2)
    with database.write() as connection:  # a paper indexed again: its old doc id retired
        upsert_papers(connection, [moved])
        index.index(connection, [moved])
    postings = TermPostings()
    for text_ in ("graph message passing proteins", "attention graph", "nonexistentword graph"):
        terms = KeywordQuery.of(parse_query(text_)).terms
        with database.read() as connection:
            stored = index.candidate_scores(connection, terms, [*PAPERS_IDS, "2699.99999"])
            held = index.candidate_scores(connection, terms, [*PAPERS_IDS, "2699.99999"], postings)
        assert postings.watermark > 0  # the postings answered
        assert held == stored  # exactly: the same formula over the same counts, in the same order


def test_each_doc_ids_paper_is_read_in_chunks(indexed, monkeypatch):
    database, index = indexed
    monkeypatch.setattr(keyword_matching, "IDENTITY_CHUNK", 2)  # four papers: three statements
    postings = TermPostings()
    with database.read() as connection:
        assert index.sync_postings(connection, postings)
        index.know_identities(connection, postings)
        documents, _ = statistics.corpus(connection)
        assert postings.identities_current(documents)
        found = index.matches(connection, KeywordQuery.of(parse_query("graph")), PaperFilter(), postings)
    assert sorted(found.paper_ids) == ["2603.00001", "2603.00003", "2603.00004"]

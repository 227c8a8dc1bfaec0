"""A search reaches every match: its total is the size of the match set, computed here
independently; newest first orders the whole set; pages 1..N are the whole set once; on SQLite and
PostgreSQL, from the in-memory postings and from the engine alone.

The match set: papers holding every query word (phrases, exclusions and filters as for ranking),
papers at or above the similarity floor, and the ranked candidates shown first.
"""

from __future__ import annotations

import pytest

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery
from paperboard.adapters.search.keyword import matching
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.analysis import analyze
from paperboard.domain.query import SearchFilters, parse_query
from paperboard.services import search as search_service
from paperboard.services.indexing import index_papers
from paperboard.services.search import NEIGHBOUR_FLOOR, search
from tests.conftest import new_postgres_database
from tests.services.test_search import SAMPLE, _context


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request, tmp_path_factory):
    home = tmp_path_factory.mktemp("complete")
    url = f"sqlite:///{home / 'paperboard.db'}" if request.param == "sqlite" else new_postgres_database(
        request.getfixturevalue("postgres_server"))
    ctx = _context(home, url)
    with ctx.database.write() as connection:
        upsert_papers(connection, SAMPLE)
    index_papers(ctx)
    yield ctx
    ctx.database.dispose()


def _words(paper) -> set[str]:
    return set(analyze(paper.title)) | set(analyze(paper.abstract)) | set(analyze(" ; ".join(paper.authors)))


def _expected(ctx, text: str) -> set[str]:
    """The match set computed without the search's own machinery (the head aside: the ranked
    candidates are what ``_relevance`` returns, by definition part of the set)."""
    query = parse_query(text)
    terms = set(KeywordQuery.of(query).terms)
    excluded = {word for group in query.excluded for word in analyze(group)}
    allowed = [p for p in SAMPLE if not (_words(p) & excluded)]
    keyword = {p.id for p in allowed if terms and terms <= _words(p)}
    embedder = ctx.embedder
    vector = embedder.embed_query(query.free_text)
    matrix = embedder.embed_documents([f"{p.title}. {p.abstract}" for p in allowed])
    semantic = {p.id for p, cosine in zip(allowed, matrix @ vector) if cosine >= NEIGHBOUR_FLOOR}
    kq = KeywordQuery.of(query)
    with ctx.database.read() as connection:
        head, _scores, _reasons = search_service._relevance(ctx, connection, query, kq, [])
    return keyword | semantic | set(head)


def _all_pages(ctx, text: str, per_page: int, **options) -> list[str]:
    listed, page = [], 1
    while True:
        results = search(ctx, text, page=page, per_page=per_page, **options)
        if not results.hits:
            return listed
        listed += [hit.paper.id for hit in results.hits]
        page += 1


@pytest.mark.parametrize("text", ["language models", "learning", "reinforcement learning -robot", "graph"])
def test_the_total_is_the_match_set_and_pages_reach_all_of_it_once(ctx, text):
    expected = _expected(ctx, text)
    first = search(ctx, text, per_page=7)
    assert first.total == len(expected) and not first.estimated
    for sort in ("relevance", "date"):
        listed = _all_pages(ctx, text, 7, filters=SearchFilters.parse(sort=sort))
        assert len(listed) == len(set(listed)) == first.total
        assert set(listed) == expected


def test_relevance_shows_the_ranked_candidates_first_then_every_other_match(ctx):
    kq_query = parse_query("learning")
    with ctx.database.read() as connection:
        head, _scores, _reasons = search_service._relevance(ctx, connection, kq_query, KeywordQuery.of(kq_query), [])
    listed = _all_pages(ctx, "learning", 20)
    assert listed[: len(head)] == head and len(listed) > len(head)
    past_the_head = search(ctx, "learning", page=len(head) + 1, per_page=1).hits[0]
    assert past_the_head.paper.id == listed[len(head)] and past_the_head.reason in ("keyword", "both")


def test_newest_first_is_the_newest_of_the_whole_match_set(ctx):
    expected = _expected(ctx, "learning")
    dated = sorted(((p.announced.toordinal(), p.id) for p in SAMPLE if p.id in expected), reverse=True)
    newest = search(ctx, "learning sort:date", per_page=20)
    assert [hit.paper.id for hit in newest.hits] == [paper_id for _day, paper_id in dated[:20]]


def test_constraints_hold_on_every_page(ctx):
    for text, check in (
        ("learning -benchmark", lambda p: "benchmark" not in (p.title + " " + p.abstract).lower()),
        ('"language models"', lambda p: "language model" in (p.title + " " + p.abstract).lower()),
        ("learning cat:cs.CL", lambda p: "cs.CL" in p.categories),
    ):
        listed = _all_pages(ctx, text, 25)
        by_id = {p.id: p for p in SAMPLE}
        assert listed and all(check(by_id[paper_id]) for paper_id in listed), text
        assert len(listed) == search(ctx, text).total


def test_browsing_by_filters_pages_through_every_paper_that_passes(ctx):
    passing = {p.id for p in SAMPLE if "cs.CL" in p.categories}
    first = search(ctx, "cat:cs.CL", per_page=30)
    assert first.total == len(passing)
    listed = _all_pages(ctx, "cat:cs.CL", 30)
    assert len(listed) == len(set(listed)) and set(listed) == passing
    dates = [next(p.announced for p in SAMPLE if p.id == paper_id) for paper_id in listed]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("checked_directly", [matching.CHECKED_DIRECTLY, 0], ids=["checked", "listed"])
def test_the_engine_alone_lists_what_the_postings_do(ctx, monkeypatch, checked_directly):
    # A phrase's candidates are checked in SQL when few, else narrowed by the engine's listing: both.
    monkeypatch.setattr(matching, "CHECKED_DIRECTLY", checked_directly)
    for text in ("language models", "learning -benchmark", '"language models" agents', "cat:cs.CL",
                 'agents -"language models"'):
        query = parse_query(text)
        kq, paper_filter = KeywordQuery.of(query), PaperFilter.of(query)
        browse = not query.has_text
        with ctx.database.read() as connection:
            by_postings = ctx.keywords.matches(connection, kq, paper_filter, ctx.keyword_postings, every_paper=browse)
            by_engine = ctx.keywords.matches(connection, kq, paper_filter, None, every_paper=browse)
            assert sorted(by_postings.paper_ids) == sorted(by_engine.paper_ids), text
            if not (browse or kq.phrases):  # FTS5 scores a phrase as a term of its own, the postings don't
                assert [p for p, _ in by_postings.best(10)] == [p for p, _ in by_engine.best(10)], text


def test_pages_past_the_end_are_empty_and_absurd_ones_refused(ctx):
    results = search(ctx, "learning", per_page=100)
    past = search(ctx, "learning", page=results.pages + 1, per_page=100)
    assert past.hits == [] and past.total == results.total
    with pytest.raises(Exception, match="page must be"):
        search(ctx, "learning", page=search_service.MAX_PAGE + 1)

"""The search service end to end on real arXiv papers, on SQLite and PostgreSQL.

The embedder is the deterministic hashing stand-in (no model files, no semantics): these tests pin
what the service does with whatever vectors it gets; retrieval quality is measured by
``paperboard eval beir`` on SciFact, not here.
"""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.paper import Paper
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.domain.query import SearchFilters, parse_query
from paperboard.services.indexing import index_papers
from paperboard.services import search as search_service
from paperboard.services.search import search, similar_papers
from paperboard.settings import Settings
from tests.conftest import LISTINGS, new_postgres_database

SAMPLE_SIZE = 300


def _sample() -> list[Paper]:
    papers = []
    with gzip.open(LISTINGS / "papers-2026-03-a.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            papers.append(
                Paper(
                    record["id"], record["title"], record["abstract"], authors=tuple(record["authors"]),
                    categories=tuple(record["categories"]), comment=record.get("comment"),
                    announced=date.fromisoformat(record["listing_date"]), source="test",
                )
            )
            if len(papers) == SAMPLE_SIZE:
                return papers
    return papers


SAMPLE = _sample()


def _context(home, database_url) -> AppContext:
    ctx = AppContext(Settings(home=home, database_url=database_url, embedding_model="hashing"))
    ctx.migrate()
    return ctx


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request, tmp_path_factory):
    """One indexed sample per engine for the whole module: the tests only read it."""
    home = tmp_path_factory.mktemp("search")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'paperboard.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    ctx = _context(home, url)
    with ctx.database.write() as connection:
        upsert_papers(connection, SAMPLE)
    counts = index_papers(ctx)
    assert counts.keyword_indexed == SAMPLE_SIZE and counts.embedded == SAMPLE_SIZE
    yield ctx
    ctx.database.dispose()


def _ids(results):
    return [hit.paper.id for hit in results.hits]


def test_exact_title_and_arxiv_id_come_first(ctx):
    paper = SAMPLE[17]
    by_title = search(ctx, paper.title.upper())
    assert _ids(by_title)[0] == paper.id and by_title.hits[0].reason == "exact"
    for typed in (paper.id, f"{paper.id}v2", f"https://arxiv.org/abs/{paper.id}", f"arXiv:{paper.id}"):
        assert _ids(search(ctx, typed))[0] == paper.id


def test_words_rank_matching_papers_with_marked_snippets(ctx):
    results = search(ctx, "benchmark for tool retrieval")
    assert results.total > 0 and results.hits
    top = results.hits[0]
    assert top.reason in ("keyword", "both")
    assert top.snippet.matched or top.title.matched
    assert all(span.text for span in top.snippet.spans)
    assert results.total >= len(results.hits) and len(results.hits) <= 20


def test_filters_narrow_both_legs(ctx):
    in_cv = search(ctx, "image segmentation cat:cs.CV", per_page=50)
    assert in_cv.hits and all("cs.CV" in hit.paper.categories for hit in in_cv.hits)
    first_day = search(ctx, "language models date:2026-03-02..2026-03-02", per_page=50)
    assert first_day.hits and all(hit.paper.announced == date(2026, 3, 2) for hit in first_day.hits)
    with_code = search(ctx, "model has:code", per_page=50)
    assert with_code.hits and all(hit.paper.code_urls for hit in with_code.hits)


def test_a_filter_too_broad_to_list_still_gives_the_semantic_leg_only_passing_papers(ctx, monkeypatch):
    """Past FILTER_CAP the filter is not listed: PostgreSQL's pgvector applies it inside the index
    scan (so the leg is full whenever enough pass), the file index filters oversampled hits."""
    monkeypatch.setattr(search_service, "FILTER_CAP", 1)
    # A leg of 20 oversampled once: on this 300-paper corpus filtering afterwards leaves fewer.
    monkeypatch.setattr(search_service, "CANDIDATES", 20)
    monkeypatch.setattr(search_service, "OVERSAMPLING", 1)
    query = parse_query("image segmentation cat:cs.CV")
    kq, paper_filter = KeywordQuery.of(query), PaperFilter.of(query)
    in_cv = sum("cs.CV" in paper.categories for paper in SAMPLE)
    with ctx.database.read() as connection:
        hits, _meaning = search_service._semantic(ctx, connection, ctx.keywords, query, kq, paper_filter, [])
    by_id = {paper.id: paper for paper in SAMPLE}
    assert hits and all("cs.CV" in by_id[paper_id].categories for paper_id, _ in hits)
    if ctx.vector_index(ctx.embedder.model_id).filters_in_index:
        assert len(hits) == min(search_service.CANDIDATES, in_cv)


def test_authors_phrases_and_exclusions(ctx):
    author = SAMPLE[5].authors[0]
    by_author = search(ctx, f'author:"{author}"')
    assert SAMPLE[5].id in _ids(by_author)
    assert all(any(author.lower() in a.lower() for a in hit.paper.authors) for hit in by_author.hits)
    phrase = search(ctx, '"large language models"', per_page=50)
    assert phrase.hits and all("large language model" in (h.paper.title + " " + h.paper.abstract).lower()
                               for h in phrase.hits)
    excluded = search(ctx, "language models -benchmark", per_page=50)
    assert excluded.hits
    assert all("benchmark" not in (h.paper.title + " " + h.paper.abstract).lower() for h in excluded.hits)


def test_sort_by_date_and_trending_fallback(ctx):
    newest = search(ctx, "learning sort:date", per_page=50)
    dates = [hit.paper.announced for hit in newest.hits]
    assert dates == sorted(dates, reverse=True)
    trending = search(ctx, "learning", filters=SearchFilters.parse(sort="trending"), per_page=50)
    assert [h.paper.announced for h in trending.hits] == sorted((h.paper.announced for h in trending.hits), reverse=True)
    assert any("Trending" in note for note in trending.notes)


def test_filters_alone_browse_newest_first(ctx):
    results = search(ctx, "cat:cs.CL", per_page=100)
    assert results.total > 0 and all("cs.CL" in h.paper.categories for h in results.hits)
    assert [h.paper.announced for h in results.hits] == sorted((h.paper.announced for h in results.hits), reverse=True)


def test_nothing_found_says_what_to_change(ctx):
    results = search(ctx, '"zyxwv qwerty" cat:cs.CV')
    assert results.total == 0 and not results.hits
    assert "category" in results.message and "quotes" in results.message
    assert search(ctx, "   ").message
    assert search(ctx, "-survey").message


def test_paging(ctx):
    first = search(ctx, "learning", per_page=5)
    second = search(ctx, "learning", page=2, per_page=5)
    assert len(first.hits) == 5 and not set(_ids(first)) & set(_ids(second))
    with pytest.raises(UserError):
        search(ctx, "learning", page=0)
    assert search(ctx, "learning", page=10_000).hits == []  # past the last page: empty
    with pytest.raises(UserError):
        search(ctx, "learning", page=search_service.MAX_PAGE + 1)


def test_similar_papers(ctx):
    paper = SAMPLE[3]
    similar = similar_papers(ctx, paper.id, k=5)
    assert len(similar) == 5 and paper.id not in [hit.paper.id for hit in similar]
    assert similar_papers(ctx, "2699.99999") == []


def test_index_catch_up_is_idempotent_and_follows_new_papers(tmp_path, database_url):
    ctx = _context(tmp_path / "home", database_url)
    with ctx.database.write() as connection:
        upsert_papers(connection, SAMPLE[:20])
    assert index_papers(ctx).keyword_indexed == 20
    again = index_papers(ctx)
    assert (again.keyword_indexed, again.embedded) == (0, 0)
    newcomer = Paper("2603.99999", "Quokka habitat mapping from drones", "We count quokkas on Rottnest.",
                     categories=("cs.CV",), announced=date(2026, 3, 20))
    with ctx.database.write() as connection:
        upsert_papers(connection, [newcomer])
    counts = index_papers(ctx)
    assert (counts.keyword_indexed, counts.embedded) == (1, 1)
    assert _ids(search(ctx, "quokka drones"))[0] == newcomer.id
    assert similar_papers(ctx, newcomer.id, k=3)
    ctx.database.dispose()


def test_bad_queries_are_user_errors(ctx):
    with pytest.raises(UserError, match="not a date"):
        search(ctx, "from:tomorrow")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
def test_any_text_gives_results_or_a_user_error(ctx, text):
    try:
        results = search(ctx, text)
    except UserError as error:
        assert str(error)
    else:
        assert results.total >= len(results.hits)


def test_without_an_embedding_model_words_still_work(ctx, monkeypatch):
    from paperboard.adapters.search import embedder as embedder_module

    def missing(_settings):
        raise UserError("the embedding model is not installed")

    bare = AppContext(ctx.settings)
    monkeypatch.setattr(embedder_module, "create_embedder", missing)
    results = search(bare, SAMPLE[2].title)
    assert _ids(results)[0] == SAMPLE[2].id
    assert any("meaning is off" in note for note in results.notes)
    assert similar_papers(bare, SAMPLE[2].id) == []

"""Compound names on both engines: a part finds the paper, the whole still finds it first, the
postings agree with the engine, and an index built before migration 0016 is brought to the rule."""

from __future__ import annotations

from datetime import date

import pytest

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery, keyword_index, statistics
from paperboard.adapters.search.keyword import ranking as keyword_ranking
from paperboard.adapters.search.keyword import terms as keyword_terms
from paperboard.adapters.search.postings import TermPostings
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import current_revision, head_revision, upgrade
from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.analysis import analyze
from paperboard.domain.paper import Paper
from paperboard.domain.query import parse_query
from paperboard.services.indexing import index_papers
from tests.factories import make_ctx

PAPERS = [
    Paper("2604.00001", "DiffusionNet for surfaces", "A DiffusionNet model learns on meshes.",
          categories=("cs.CV",), announced=date(2026, 4, 1)),
    Paper("2604.00002", "Score models", "Diffusion models denoise images; a net of layers.",
          categories=("cs.LG",), announced=date(2026, 4, 2)),
    Paper("2604.00003", "Inductive node embeddings", "GraphSAGE samples neighbours; Qwen3 reads the graph.",
          categories=("cs.LG",), announced=date(2026, 4, 3)),
    Paper("2604.00004", "Optimal transport", "Sinkhorn iterations on point clouds.",
          categories=("math.OC",), announced=date(2026, 4, 4)),
]
DIFFUSION_NET, DIFFUSION, GRAPH_SAGE = "2604.00001", "2604.00002", "2604.00003"


@pytest.fixture
def indexed(database):
    index = keyword_index(database)
    with database.write() as connection:
        upsert_papers(connection, PAPERS)
        index.index(connection, PAPERS)
    return database, index


def _ids(database, index, text_, postings=None):
    with database.read() as connection:
        found = index.search(connection, KeywordQuery.of(parse_query(text_)), PaperFilter(), 10, postings)
    return [paper_id for paper_id, _ in found.hits]


def test_a_part_of_a_compound_finds_the_paper(indexed):
    database, index = indexed
    assert set(_ids(database, index, "diffusion")) == {DIFFUSION_NET, DIFFUSION}
    assert _ids(database, index, "sage") == [GRAPH_SAGE]
    assert _ids(database, index, "qwen") == [GRAPH_SAGE]
    assert _ids(database, index, "lora") == []


def test_the_whole_compound_finds_only_its_papers(indexed):
    database, index = indexed
    assert _ids(database, index, "DiffusionNet") == _ids(database, index, "diffusionnet") == [DIFFUSION_NET]
    # "diffusion net" holds both words: the compound's paper, whose title has them, leads.
    assert _ids(database, index, "diffusion net")[0] == DIFFUSION_NET


def test_phrases_of_the_texts_words_match_as_before(indexed):
    database, index = indexed
    assert _ids(database, index, '"DiffusionNet model"') == [DIFFUSION_NET]
    assert _ids(database, index, '"a diffusionnet model learns"') == [DIFFUSION_NET]
    assert _ids(database, index, '"diffusion net"') == [DIFFUSION_NET]  # the parts, in order
    assert _ids(database, index, 'diffusion -"DiffusionNet"') == [DIFFUSION]


@pytest.mark.parametrize("text_", ["diffusion", "net", "graph sage", "qwen", "diffusion net models"])
def test_the_postings_rank_compound_parts_as_the_engine(indexed, monkeypatch, text_):
    database, index = indexed
    native = _ids(database, index, text_)
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    postings = TermPostings()
    assert _ids(database, index, text_, postings) == native
    assert postings.watermark > 0  # the postings answered, not the engine
    terms = KeywordQuery.of(parse_query(text_)).terms
    with database.read() as connection:
        stored = index.candidate_scores(connection, terms, [paper.id for paper in PAPERS])
        held = index.candidate_scores(connection, terms, [paper.id for paper in PAPERS], postings)
    assert held == stored


@pytest.fixture
def old_database(empty_database_url):
    db = Database(empty_database_url)
    upgrade(db, "0015_pgvector")
    yield db
    db.dispose()


def test_an_index_built_with_the_old_rule_is_re_indexed_after_the_upgrade(old_database, tmp_path, monkeypatch):
    ctx = make_ctx(old_database, tmp_path / "home")
    with monkeypatch.context() as old_rule:
        old_rule.setattr(keyword_terms, "index_terms", analyze)
        old_rule.setattr(keyword_terms, "ANALYZER_VERSION", "snowball-en-2")
        with old_database.write() as connection:
            upsert_papers(connection, PAPERS)
        assert index_papers(ctx, embed=False).keyword_indexed == len(PAPERS)
    with old_database.read() as connection:
        assert statistics.document_frequencies(connection, ["diffus"]) == {"diffus": 1}
    saved = TermPostings(tmp_path / "home" / "index")
    with old_database.read() as connection:
        ctx.keywords.sync_postings(connection, saved)
    assert saved.watermark > 0
    assert _ids(old_database, ctx.keywords, "diffusion") == [DIFFUSION]

    upgrade(old_database)
    assert current_revision(old_database) == head_revision()
    assert index_papers(ctx, embed=False).keyword_indexed == len(PAPERS)  # every paper, its hash changed
    assert index_papers(ctx, embed=False).keyword_indexed == 0
    with old_database.read() as connection:
        assert statistics.document_frequencies(connection, ["diffus", "net", "sage"]) == {
            "diffus": 2, "net": 2, "sage": 1}
    assert set(_ids(old_database, ctx.keywords, "diffusion")) == {DIFFUSION_NET, DIFFUSION}
    # The saved postings of the old rule are brought to the new one: old doc ids dropped, new loaded.
    monkeypatch.setattr(keyword_ranking, "SCORING_BUDGET", 0)
    reloaded = TermPostings(tmp_path / "home" / "index")
    assert set(_ids(old_database, ctx.keywords, "diffusion", reloaded)) == {DIFFUSION_NET, DIFFUSION}
    assert set(_ids(old_database, ctx.keywords, "diffusion", saved)) == {DIFFUSION_NET, DIFFUSION}

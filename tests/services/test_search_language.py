"""The query language's promises, kept by the search service on both engines: one author's name,
arXiv ids in any form, math read as math, exact and near-exact titles pinned, an open quote."""

from __future__ import annotations

from datetime import date

import pytest

from paperboard.domain.fusion import BOTH, KEYWORD, SEMANTIC
from paperboard.services.indexing import index_papers
from paperboard.services.search import EXACT, FILTER, search
from tests.factories import add_papers, paper

COMMON = "We study attention, graphs and diffusion with theory and experiments."
PAPERS = [
    paper("2604.00001", title="Image stitching with geometric priors", abstract=COMMON,
          authors=("Yinxi He", "Kang Liao", "Chunyu Lin"), announced=date(2026, 4, 1)),
    paper("2604.00002", title="Localization with street maps", abstract=COMMON,
          authors=("Youqi Liao", "Shuhao Kang"), announced=date(2026, 4, 2)),
    paper("2604.00003", title="Clustering as reasoning", abstract=COMMON,
          authors=("Zhifei Liao", "Zhao Kang"), announced=date(2026, 4, 3)),
    paper("2604.00004", title="Depth from focus", abstract=COMMON, authors=("K. Liao",), announced=date(2026, 4, 4)),
    paper("hep-th/9901002", title="Strings on the lattice", abstract="Old-style string theory, hep-th style.",
          authors=("Ed Witten",), categories=("hep-th",), announced=date(1999, 1, 5)),
    paper("2604.00011", title="Linear attention in theory", abstract="Quadratic $O(n^2)$ attention made linear.",
          authors=("Ada Lovelace",), announced=date(2026, 4, 11)),
    paper("2604.00012", title="Orders of groups", abstract="Let $O$ be a group of order $n$ with $2$ generators; "
          "O n 2 and more O, n, 2.", authors=("Ada Lovelace",), categories=("math.GR",), announced=date(2026, 4, 12)),
    paper("2604.00021", title="Colored Noise Diffusion Sampling", abstract="Sampling with colored noise.",
          announced=date(2026, 4, 21)),
    paper("2604.00022", title="Colored noise diffusion sampling.", abstract="The same paper, recorded twice.",
          announced=date(2026, 4, 22)),
    paper("2604.00023", title="A Survey of Score Matching Methods", abstract="Score matching, surveyed.",
          announced=date(2026, 4, 23)),
    paper("2604.00031", title="Diffusion models for video", abstract="Video generation with diffusion models.",
          announced=date(2026, 4, 24)),
    paper("2604.00032", title="Models of diffusion in porous media", abstract="Diffusion through rock; models.",
          announced=date(2026, 4, 25)),
]


@pytest.fixture
def site(ctx):
    add_papers(ctx, *PAPERS)
    index_papers(ctx)
    return ctx


def _ids(results) -> list[str]:
    return [hit.paper.id for hit in results.hits]


def test_an_authors_full_name_is_one_author(site):
    for text in ('author:"Kang Liao"', 'author:"kang liao"', 'author:"Liao, Kang"'):
        assert _ids(search(site, text)) == ["2604.00001"]
    assert sorted(_ids(search(site, 'author:"K. Liao"'))) == ["2604.00001", "2604.00004"]
    assert sorted(_ids(search(site, "author:liao"))) == ["2604.00001", "2604.00002", "2604.00003", "2604.00004"]
    with_words = search(site, 'attention author:"Kang Liao"')
    assert _ids(with_words) == ["2604.00001"] and with_words.total == 1
    assert {hit.reason for hit in search(site, 'author:"Kang Liao"').hits} == {FILTER}


@pytest.mark.parametrize(
    "text",
    ["hep-th/9901002", "hep-th/9901002v2", "arXiv:hep-th/9901002", "https://arxiv.org/abs/hep-th/9901002v1",
     "https://arxiv.org/pdf/hep-th/9901002.pdf", "2604.00011", "2604.00011v3", "arXiv: 2604.00011",
     "https://huggingface.co/papers/2604.00011", "https://arxiv.org/pdf/2604.00011v1.pdf"],
)
def test_an_arxiv_id_alone_is_that_paper_and_nothing_else(site, text):
    results = search(site, text)
    expected = "hep-th/9901002" if "hep-th" in text else "2604.00011"
    assert _ids(results) == [expected] and results.total == 1
    assert results.hits[0].reason == EXACT


def test_an_id_not_here_returns_no_word_matches_and_says_so(site):
    for text in ("hep-th/9901001", "2605.30332", "https://arxiv.org/abs/2605.30332v2"):
        results = search(site, text)
        assert results.hits == [] and results.total == 0
        assert "does not have arXiv:" in results.message and "arxiv.org/abs/" in results.message
    # The pieces alone are words as usual.
    assert "hep-th/9901002" in _ids(search(site, "hep th"))


def test_an_id_that_fails_the_filters_says_so(site):
    results = search(site, "hep-th/9901002 cat:cs.CL")
    assert results.hits == [] and "does not pass your filters" in results.message


def test_math_is_not_read_as_letters(site):
    beside_words = search(site, "$O(n^2)$ attention")
    # "O", "n" and "2" are all over 2604.00012, "attention" nowhere: no word of the query matches it
    # (the stand-in embedder, hashing letters, may still find it "by meaning").
    reasons = {hit.paper.id: hit.reason for hit in beside_words.hits}
    assert reasons.get("2604.00012", SEMANTIC) == SEMANTIC
    assert _ids(beside_words)[0] == "2604.00011" and reasons["2604.00011"] in (KEYWORD, BOTH)
    # A formula alone is the formula: its letters in that order.
    alone = search(site, "$O(n^2)$")
    assert "2604.00011" in _ids(alone)
    assert "2604.00001" not in _ids(alone)


def test_exact_and_near_exact_titles_are_pinned_closest_first(site):
    exact = search(site, "Colored Noise Diffusion Sampling")
    assert _ids(exact)[:2] == ["2604.00021", "2604.00022"]
    assert [hit.reason for hit in exact.hits[:2]] == [EXACT, EXACT]
    # The near-duplicate record typed exactly comes first instead.
    assert _ids(search(site, "Colored noise diffusion sampling."))[:2] == ["2604.00022", "2604.00021"]
    near = search(site, "Survey of Score Matching Methods")
    assert _ids(near)[0] == "2604.00023" and near.hits[0].reason == EXACT
    # A few of a title's words pin nothing.
    assert all(hit.reason != EXACT for hit in search(site, "score matching").hits)
    assert all(hit.reason != EXACT for hit in search(site, "colored noise").hits)


def test_an_open_quote_is_words_with_a_note(site):
    open_quote = search(site, '"diffusion models')
    assert sorted(_ids(open_quote)) == sorted(_ids(search(site, "diffusion models")))
    assert "2604.00032" in _ids(open_quote)  # "models of diffusion": not the phrase, but both words
    assert any("is not closed" in note for note in open_quote.notes)
    phrase = search(site, '"diffusion models"')
    assert "2604.00032" not in _ids(phrase) and not any("is not closed" in note for note in phrase.notes)

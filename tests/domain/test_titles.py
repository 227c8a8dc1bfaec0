"""The exact and near-exact title pin: what is close enough, what is not, and in which order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.titles import (
    EXACT,
    FOLDED,
    NEAR,
    SAME_WORDS,
    closeness,
    pinned_order,
    title_key,
    title_words,
)

TITLE = "Colored Noise Diffusion Sampling"


@pytest.mark.parametrize(
    "typed, title, level",
    [
        (TITLE, TITLE, EXACT),
        ("  Colored   Noise Diffusion Sampling ", TITLE, EXACT),
        ("colored noise diffusion sampling", TITLE, FOLDED),
        ("Régularité des équations", "Regularite des equations", FOLDED),
        ("Colored Noise Diffusion Sampling.", TITLE, SAME_WORDS),
        ("Colored-Noise Diffusion: Sampling", TITLE, SAME_WORDS),
        ("A k-Means Interpretation of Chain-of-Thought Graph Learning",
         "Clustering as Reasoning: A $k$-Means Interpretation of Chain-of-Thought Graph Learning", None),
        ("Clustering as Reasoning: A k-Means Interpretation of Chain-of-Thought Graph Learning",
         "Clustering as Reasoning: A $k$-Means Interpretation of Chain-of-Thought Graph Learning", SAME_WORDS),
        ("98x Faster LLM Routing", "98$\\times$ Faster LLM Routing", None),
        ("98× Faster LLM Routing", "98$\\times$ Faster LLM Routing", SAME_WORDS),
        ("Reading ≠ Seeing: the Typography Gap", "Reading $\\neq$ Seeing: the Typography Gap", SAME_WORDS),
        ("α-Divergence Variational Inference", "$\\alpha$-Divergence Variational Inference", SAME_WORDS),
        ("O(n log n) Sorting Networks", "$\\mathcal{O}(n \\log n)$ Sorting Networks", SAME_WORDS),
        # One short word more, less or another, in a title of four words or more.
        ("Survey of Diffusion Models", "A Survey of Diffusion Models", NEAR),
        ("A Survey of the Diffusion Models", "A Survey of Diffusion Models", NEAR),
        ("A Survey on Diffusion Models", "A Survey of Diffusion Models", NEAR),
        ("Attention Is All Need", "Attention Is All You Need", NEAR),
        # Not near: two short words, a word that is not short, a short title, a few title words.
        ("Survey on Diffusion Models", "A Survey of Diffusion Models", None),
        ("Attention All Need", "Attention Is All You Need", None),
        ("A Survey of Diffusion Model", "A Survey of Diffusion Models", None),
        ("A Review of Diffusion Models", "A Survey of Diffusion Models", None),
        ("Diffusion Models", "A Survey of Diffusion Models", None),
        ("The Diffusion", "Diffusion", None),
        ("Scale Space", "Scale Space Diffusion", None),
        ("diffusion", "Scale Space Diffusion", None),
        ("", TITLE, None),
        ("!!!", "!!!", EXACT),
        ("???", "!!!", None),
    ],
)
def test_closeness(typed, title, level):
    assert closeness(typed, title) == level


def test_near_exact_titles_share_the_key_the_index_files_them_under():
    for typed, title in [("Survey of Diffusion Models", "A Survey of Diffusion Models"),
                         ("O(n log n) Sorting", "$\\mathcal{O}(n \\log n)$ Sorting"),
                         ("colored noise diffusion sampling.", TITLE)]:
        assert title_key(typed) == title_key(title) != ""
    assert title_key("What If?") == "what if"  # only stopwords: all of them
    assert title_key("!!!") == ""
    assert title_words("Schrödinger's $\\beta$-Cat") == ("schrodinger", "s", "beta", "cat")


def test_the_record_whose_title_was_typed_goes_first():
    candidates = [("2605.00003", "colored noise diffusion sampling"), ("2605.00002", "Colored Noise Diffusion Sampling."),
                  ("2605.00001", "A Colored Noise Diffusion Sampling"), ("2605.00009", TITLE),
                  ("2605.00004", "Colored Noise Diffusion Sampling Revisited")]
    assert pinned_order(TITLE, candidates) == ["2605.00009", "2605.00003", "2605.00002", "2605.00001"]
    assert pinned_order("colored noise diffusion sampling", candidates)[0] == "2605.00003"
    assert pinned_order(TITLE, []) == []


_words = st.lists(st.sampled_from(["graph", "neural", "a", "of", "the", "diffusion", "model", "on", "x2", "é"]),
                  min_size=1, max_size=8)


@given(_words, _words)
def test_whatever_is_near_exact_shares_the_key(a, b):
    typed, title = " ".join(a), " ".join(b)
    if closeness(typed, title) is not None:
        assert title_key(typed) == title_key(title)
    assert closeness(title, title) == EXACT

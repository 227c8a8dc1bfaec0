"""LaTeX read as text: math found in queries, markup read the way the analyzer should see it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.analysis import analyze
from paperboard.domain.latex import MathSpan, math_spans, plain


@pytest.mark.parametrize(
    "text, spans",
    [
        ("$O(n^2)$ attention", [MathSpan(0, 8, "O(n^2)")]),
        ("attention in $O(n \\log n)$ time", [MathSpan(13, 26, "O(n \\log n)")]),
        ("$$x + y$$ and \\(a\\) and \\[b\\]", [MathSpan(0, 9, "x + y"), MathSpan(14, 19, "a"), MathSpan(24, 29, "b")]),
        ("$k$-means clustering", [MathSpan(0, 3, "k")]),
        # Money, not math: a space just inside a dollar, or a digit right after the closing one.
        ("costs $5 and $10 a month", []),
        ("between $ 5 $ and more", []),
        ("a \\$ sign then $x$", [MathSpan(15, 18, "x")]),
        ("an unclosed $x + y", []),
        ("", []),
    ],
)
def test_math_spans(text, spans):
    assert math_spans(text) == spans


@pytest.mark.parametrize(
    "latex, text",
    [
        ("O(n^2)", "O(n^2)"),
        ("\\mathcal{O}(n \\log n)", "O(n log n)"),
        ("\\textbf{Re}^{2}", "Re^2"),
        ("$\\textbf{P}$olicy-$\\textbf{A}$ware", "Policy- Aware"),
        ("98$\\times$ Faster", "98 Faster"),
        ("Reading $\\neq$ Seeing", "Reading Seeing"),
        ("$\\alpha$-divergence", "alpha -divergence"),
        ("Schr\\\"odinger and Erd\\H{o}s, \\c{c}a, \\'{e}t\\'e", "Schrödinger and Erdős, ça, été"),
        ("\\frac{1}{2}", "frac 1 2"),
        ("50\\% of \\{x\\}", "50% of x"),
        ("SGG-R$^{\\rm 3}$", "SGG-R^ 3"),
        ("\\cdot and \\cdots stay symbols, \\circ too", "and stay symbols, too"),
    ],
)
def test_plain(latex, text):
    assert plain(latex) == text


def test_plain_math_analyzes_like_the_abstract_that_holds_it():
    # An abstract's "$\mathcal{O}(n \log n)$" is indexed as these words; the formula typed plainly
    # is the same words in the same order after the presentation command.
    indexed = analyze("runs in $\\mathcal{O}(n \\log n)$ time")
    typed = analyze(plain("O(n \\log n)"))
    assert typed == ["o", "n", "log", "n"]
    assert any(indexed[i : i + len(typed)] == typed for i in range(len(indexed)))


@given(st.text(max_size=80))
def test_any_text_is_read_without_error(text):
    for span in math_spans(text):
        assert text[span.start : span.end].endswith(("$", ")", "]"))
        assert span.latex.strip()
    assert "{" not in plain(text) and "}" not in plain(text)

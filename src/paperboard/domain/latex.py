"""LaTeX in titles, abstracts and queries, read as text. Pure.

arXiv titles and abstracts write math in LaTeX (``$O(n^2)$``, ``$\\mathcal{O}(n \\log n)$``) and
the analyzer (``domain.analysis``) indexes what is left of it as words: "o n 2", "mathcal o n log
n". ``math_spans`` finds the math in a query so the query language can read it as math rather
than letters (``domain.query``); ``plain`` is the reading of LaTeX markup as text: presentation
commands (``\\mathcal``, ``\\textbf``, ``\\rm``) and symbol commands (``\\times``, ``\\neq``) go,
other commands keep their names (``\\log`` is "log", ``\\alpha`` "alpha"), accents join their
letter (``Schr\\"odinger`` is "Schrödinger"), braces and math delimiters go.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# $$…$$, \(…\), \[…\], and $…$ as pandoc reads it: no space just inside either dollar, and no
# digit just after the closing one (so "costs $5 and $10" holds no math).
_MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$|\\\((?P<paren>.+?)\\\)|\\\[(?P<bracket>.+?)\\\]"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$]*?[^\s$\\])?)\$(?!\d)",
    re.DOTALL,
)
# Commands that only change how their argument looks, or space it: dropped, the argument kept.
_PRESENTATION = frozenset(
    """
    mathcal mathbb mathbf mathrm mathit mathsf mathtt mathfrak mathscr mathnormal boldsymbol bm
    text textbf textit textrm textsf texttt textsc textup textnormal emph operatorname
    rm bf it sf tt sc cal bb frak displaystyle textstyle scriptstyle scriptscriptstyle
    left right big Big bigg Bigg bigl bigr Bigl Bigr mathop mathbin mathrel limits nolimits
    quad qquad hspace vspace mbox hbox kern mkern mathchoice
    """.split()
)
# Commands that stand for a symbol: dropped, as the analyzer drops "×", "≠" or "→" themselves.
_SYMBOLS = frozenset(
    """
    times cdot cdots ldots dots vdots ddots circ bullet star ast pm mp div neq ne leq le geq ge ll gg
    approx sim simeq cong equiv propto to rightarrow leftarrow leftrightarrow Rightarrow Leftarrow
    Leftrightarrow mapsto longrightarrow longleftarrow uparrow downarrow infty partial nabla
    prime langle rangle lfloor rfloor lceil rceil vert Vert mid parallel perp setminus subset
    subseteq supset supseteq in notin ni cup cap wedge vee oplus otimes odot forall exists neg
    lnot land lor top bot emptyset varnothing dagger ddagger backslash colon sharp flat natural
    cdotp degree checkmark
    """.split()
)
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
            "r": "\u030a"}
_ACCENT = re.compile(r"\\(?:(?P<mark>['`^\"~=.])|(?P<letter>[cvuHkr])(?![A-Za-z]))\s*(?:\{(?P<braced>[A-Za-z])\}|(?P<bare>[A-Za-z]))")
_COMMAND = re.compile(r"\\(?P<name>[A-Za-z]+)\*?|\\(?P<escaped>[%&_#$ ,;:!{}|])")


class MathSpan(NamedTuple):
    start: int
    end: int
    latex: str  # between the delimiters


def math_spans(text: str) -> list[MathSpan]:
    """The math in ``text``, in order: ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]``."""
    spans = []
    for found in _MATH.finditer(text or ""):
        group = next(name for name in ("display", "paren", "bracket", "inline") if found[name] is not None)
        spans.append(MathSpan(found.start(), found.end(), found[group]))
    return spans


def plain(latex: str) -> str:
    """LaTeX markup read as text (see the module's docstring); spacing collapsed."""
    text = _ACCENT.sub(_accented, latex or "")
    text = _COMMAND.sub(_command, text)
    # "}{" parts two arguments (\frac{1}{2}); other braces and dollars join what they hold to its
    # neighbours, as in "$\textbf{P}$olicy".
    text = text.replace("}{", " ").replace("{", "").replace("}", "").replace("$", "").replace("~", " ")
    return " ".join(text.split())


def _accented(found: re.Match) -> str:
    mark = _ACCENTS[found["mark"] or found["letter"]]
    return unicodedata.normalize("NFC", (found["braced"] or found["bare"]) + mark)


def _command(found: re.Match) -> str:
    if found["escaped"] is not None:
        return found["escaped"] if found["escaped"] in "%&_#$" else " "
    name = found["name"]
    if name in _PRESENTATION or name in _SYMBOLS:
        return " "
    return f" {name} "

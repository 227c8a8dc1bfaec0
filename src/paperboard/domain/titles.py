"""When a query is a paper's title: the exact and near-exact title pin of search. Pure.

A title typed is pinned to the top of the results when it is the paper's title written:

0. exactly (spacing aside);
1. in other case or without its accents;
2. with the same words: punctuation, spacing, LaTeX markup (``$k$-Means``, ``$\\mathcal{O}(n)$``)
   and a trailing period aside, Greek letters the same whether written "α" or ``$\\alpha$``;
3. with one short word more, less or another ("A Survey of X" for "A Survey on X", "Survey of X"
   for "A Survey of X"), a short word being one of the analyzer's stopwords, when the title has
   at least ``NEAR_MIN_WORDS`` words: nothing more, so a few of a title's words never pin it.

Of several records pinned, the closest comes first (a record whose title is the one typed before
a near-duplicate with the same words). The keyword index stores ``title_key`` per paper (the
title's words without stopwords) and hands over the papers sharing the query's key;
``pinned_order`` decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from paperboard.domain.analysis import STOPWORDS, fold
from paperboard.domain.latex import plain

EXACT, FOLDED, SAME_WORDS, NEAR = 0, 1, 2, 3
NEAR_MIN_WORDS = 4
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_GREEK = re.compile(r"[\u0370-\u03ff]")


def title_words(title: str) -> tuple[str, ...]:
    """A title's words: LaTeX read as text, Greek letters by name, folded, punctuation dropped."""
    text = _GREEK.sub(_greek_name, plain(title or ""))
    return tuple(_WORD.findall(fold(text)))


def title_key(title: str) -> str:
    """The key the index files a title under: its words without stopwords (all its words when
    they are all stopwords). Near-exact titles share it; "" for a title without words."""
    words = title_words(title)
    return " ".join(word for word in words if word not in STOPWORDS) or " ".join(words)


def closeness(typed: str, title: str) -> int | None:
    """How close ``typed`` is to ``title``: EXACT, FOLDED, SAME_WORDS or NEAR; None when it is
    not near-exact."""
    typed_spaced, title_spaced = " ".join((typed or "").split()), " ".join((title or "").split())
    if not typed_spaced or not title_spaced:
        return None
    if typed_spaced == title_spaced:
        return EXACT
    if fold(typed_spaced) == fold(title_spaced):
        return FOLDED
    typed_words, title_words_ = title_words(typed_spaced), title_words(title_spaced)
    if not typed_words:
        return None
    if typed_words == title_words_:
        return SAME_WORDS
    substantial = len(title_words_) >= NEAR_MIN_WORDS and any(word not in STOPWORDS for word in typed_words)
    if substantial and _one_short_word_apart(typed_words, title_words_):
        return NEAR
    return None


def pinned_order(typed: str, candidates: Iterable[tuple[str, str]]) -> list[str]:
    """The ids of the (id, title) ``candidates`` near-exact to ``typed``, closest first (then by id)."""
    ranked = []
    for paper_id, title in candidates:
        level = closeness(typed, title)
        if level is not None:
            ranked.append((level, paper_id))
    return [paper_id for _level, paper_id in sorted(ranked)]


def _one_short_word_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one stopword inserted, deleted or replaced by another turns ``a`` into ``b``."""
    if len(a) == len(b):
        differing = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differing) == 1 and a[differing[0]] in STOPWORDS and b[differing[0]] in STOPWORDS
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    if len(longer) - len(shorter) != 1:
        return False
    i = next((i for i in range(len(shorter)) if shorter[i] != longer[i]), len(shorter))
    return longer[i] in STOPWORDS and shorter[i:] == longer[i + 1 :]


def _greek_name(found: re.Match) -> str:
    name = unicodedata.name(found.group(), "")
    match = re.fullmatch(r"GREEK (?:SMALL|CAPITAL) LETTER (?:FINAL )?(\w+)", name)
    return f" {match.group(1).lower()} " if match else " "

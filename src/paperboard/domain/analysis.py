"""Text analysis shared by indexing, querying and snippets: words, stopwords, stems.

One analyzer serves every keyword backend (SQLite FTS5 and PostgreSQL), so both rank identically:
the index stores analyzed tokens (and the parts of compound names, ``index_terms``), and a query
goes through the same function. Snowball's English stemmer (PyStemmer, C) is the one the reference
BM25 runs on SciFact used.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise
from typing import NamedTuple

import Stemmer

# Letters and digits, with inner apostrophes/periods dropped by the split; "gpt-4" yields gpt, 4.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Function words that carry no topic. Kept short on purpose: "not", "no", "all" and numbers stay,
# since claims such as "X does not cause Y" lean on them for BM25 phrase and term matching.
STOPWORDS = frozenset(
    """
    a about above after again against am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves s t
    """.split()
)

_STEMMER = Stemmer.Stemmer("english")
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_LIMIT = 500_000


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Schrödinger" and "schrodinger" meet."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """The Snowball stem of one folded word (memoised: vocabularies are small, corpora are not)."""
    stemmed = _STEM_CACHE.get(word)
    if stemmed is None:
        stemmed = _STEMMER.stemWord(word)
        if len(_STEM_CACHE) < _STEM_CACHE_LIMIT:
            _STEM_CACHE[word] = stemmed
    return stemmed


class Token(NamedTuple):
    """A word of the original text: where it is and what the index calls it (None: a stopword)."""

    start: int
    end: int
    term: str | None


_TERM_OF_WORD: dict[str, str | None] = {}


def term_of(word: str) -> str | None:
    """The index term of one word as written (memoised: snippets re-read the same words a lot)."""
    try:
        return _TERM_OF_WORD[word]
    except KeyError:
        # Folding may split a word ("½" becomes "1⁄2"); its parts are joined as the index would see them.
        folded = "".join(_WORD.findall(fold(word)))
        term = None if not folded or folded in STOPWORDS else stem(folded)
        if len(_TERM_OF_WORD) < _STEM_CACHE_LIMIT:
            _TERM_OF_WORD[word] = term
        return term


def tokens(text: str) -> list[Token]:
    """Every word of ``text`` with its character offsets, for snippets."""
    return [Token(m.start(), m.end(), term_of(m.group())) for m in _WORD.finditer(text or "")]


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` in order: folded, stopwords dropped, stemmed."""
    terms = []
    for match in _WORD.finditer(fold(text or "")):
        word = match.group()
        if word not in STOPWORDS:
            terms.append(stem(word))
    return terms


# A name written as one word ("DiffusionNet", "GraphSAGE", "BERTScore", "Qwen3") is indexed whole
# and also by its parts, so a search for "diffusion" finds DiffusionNet. A word splits where lower
# case meets upper case ("Diffusion|Net") or an upper-case run meets a capitalised word
# ("BERT|Score"), and only when every part looks like a word of its own: three letters or more, or
# an upper-case run of two or more ("Graph|SAGE"). So "LoRA", "CoT", "LLaMA", "mRNA", "iPhone"
# and "PyTorch" stay whole, which on the sample keeps out parts like "lo", "ra", "co" and "m".
# Letters of three or more before a digit are a name too ("Qwen" of "Qwen3", "ResNet" of
# "ResNet50"); digits alone are not a part ("3D", "F1" and "8B" stay whole).
# Only the index splits: a query's "DiffusionNet" is one term, so it still finds DiffusionNet
# first and only; the parts follow the text's own terms (``index_terms``), so a phrase of the
# text's words matches as before.
_EDGE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PART = re.compile(r"[A-Z][a-z]{2,}|[a-z]{3,}|[A-Z]{2,}")
_HEAD = re.compile(r"[A-Za-z]{3,}(?=[0-9])")
_PARTS_OF_WORD: dict[str, tuple[tuple[int, int], ...]] = {}


def compound_parts(word: str) -> tuple[tuple[int, int], ...]:
    """The (start, end) offsets in ``word`` (as written) of the parts a compound name is also
    indexed by, in order; none for an ordinary word."""
    try:
        return _PARTS_OF_WORD[word]
    except KeyError:
        pass
    head = _HEAD.match(word)
    letters = word[: head.end()] if head else word
    edges = [0, *(m.start() for m in _EDGE.finditer(letters)), len(letters)]
    pieces = list(pairwise(edges))
    split = len(pieces) > 1 and all(_PART.fullmatch(letters, a, b) for a, b in pieces)
    parts = ((0, len(letters)),) if head and (split or _PART.fullmatch(letters)) else ()
    if split:
        parts += tuple(pieces)
    if len(_PARTS_OF_WORD) < _STEM_CACHE_LIMIT:
        _PARTS_OF_WORD[word] = parts
    return parts


def index_terms(text: str) -> list[str]:
    """What the index stores for ``text``: its terms (``analyze``), then the parts of its compound
    names, each occurrence's in turn (``compound_parts``)."""
    terms = analyze(text)
    for word in _WORD.findall(text or ""):
        if word.islower() and word.isalpha():  # most words: no capital or digit inside, no parts
            continue
        for start, end in compound_parts(word):
            term = term_of(word[start:end])
            if term is not None:
                terms.append(term)
    return terms


def normalise_title(title: str) -> str:
    """A key under which two spellings of one title meet: folded, punctuation and spacing ignored."""
    return " ".join(_WORD.findall(fold(title or "")))

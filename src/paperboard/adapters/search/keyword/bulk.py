"""``IndexedText.of`` for a bulk load: the same terms, each word analyzed once per process.

An import analyzes millions of abstracts written with a vocabulary of a few hundred thousand
words, and ``domain.analysis`` folds, splits, stems and looks for compound parts word by word
every time (about 190 µs a paper). For ASCII text the analysis is the concatenation of each
word's own: folding is lower-casing, which moves no word boundary, so a text's terms are its
words' terms in order, then its words' compound parts in order. Each word's pair is computed
once by the analyzer itself and remembered; other text (accents, other scripts) goes to the
analyzer whole.
``tests/adapters/test_keyword_bulk.py`` holds the result equal to ``IndexedText.of`` on every
paper of the sample and on odd text.
"""

from __future__ import annotations

import hashlib
from itertools import chain, repeat

from paperboard.adapters.search.keyword.terms import ANALYZER_VERSION, IndexedText
from paperboard.domain import analysis
from paperboard.domain.paper import Paper
from paperboard.domain.titles import title_key

_WORDS_KEPT = 500_000  # the analyzer's own caches stop at this size too
# word -> its term ("" for a stopword); word -> the terms of its compound parts, when it has any.
_term_of_word: dict[str, str] = {}
_parts_of_word: dict[str, tuple[str, ...]] = {}


def _learn(word: str) -> tuple[str, tuple[str, ...]]:
    main = analysis.analyze(word)
    # The word as a whole abstract: whatever analyzer IndexedText.of applies to the text fields.
    alone = IndexedText.of(Paper(id="word", title="", abstract=word)).abstract
    term, parts = (main[0] if main else ""), alone[len(main):]
    if len(_term_of_word) < _WORDS_KEPT:
        _term_of_word[word] = term
        if parts:
            _parts_of_word[word] = parts
    return term, parts


def _terms(text: str, compounds: bool) -> tuple[str, ...]:
    """The terms of ``text`` as a title or abstract (``compounds``) or the authors field. The words
    are looked up by ``map`` (C), which over an abstract's 200 words is most of the gain."""
    if not text.isascii():
        if compounds:
            return IndexedText.of(Paper(id="text", title="", abstract=text)).abstract
        return tuple(analysis.analyze(text))
    words = analysis._WORD.findall(text)
    terms = list(map(_term_of_word.get, words))
    if None in terms:
        learned = [_learn(word) if term is None else (term, _parts_of_word.get(word, ())) for word, term in zip(words, terms)]
        terms = [term for term, _ in learned]
        if compounds:
            return (*filter(None, terms), *chain.from_iterable(parts for _, parts in learned))
        return tuple(filter(None, terms))
    if compounds:
        return (*filter(None, terms), *chain.from_iterable(map(_parts_of_word.get, words, repeat(()))))
    return tuple(filter(None, terms))


def indexed_text(paper: Paper) -> IndexedText:
    """Exactly ``IndexedText.of(paper)``, faster over many papers."""
    authors = " ; ".join(paper.authors)
    title, abstract, names = _terms(paper.title, True), _terms(paper.abstract, True), _terms(authors, False)
    metadata = (str(paper.announced or ""), " ".join(paper.categories), "code" if paper.code_urls else "")
    digest = hashlib.sha256(
        "\x1f".join((ANALYZER_VERSION, paper.title, paper.abstract, authors, *metadata)).encode()
    ).hexdigest()
    return IndexedText(
        paper.id,
        title,
        abstract,
        names,
        title_key(paper.title),
        digest,
    )

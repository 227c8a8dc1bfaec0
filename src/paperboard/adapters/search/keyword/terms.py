"""What the keyword index stores and is asked: analyzed texts and queries, and the hits it returns.

Both engines index the same analyzed terms (``paperboard.domain.analysis``): letters and digits
only, so every query is built from terms this package quotes itself and user text never reaches
``MATCH`` or ``tsquery`` as written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from paperboard.domain import bm25
from paperboard.domain.analysis import analyze, index_terms
from paperboard.domain.author_names import AuthorName
from paperboard.domain.paper import Paper
from paperboard.domain.query import Query
from paperboard.domain.titles import title_key

K1, B = bm25.K1, bm25.B
# Field weights (title, abstract, authors), chosen on SciFact's *train* queries (eval beir).
TITLE_WEIGHT = 1.0
ABSTRACT_WEIGHT = 1.0
AUTHORS_WEIGHT = 1.0
WEIGHTS = (TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHORS_WEIGHT)
MAX_TERMS = 32  # a pasted abstract is searched by its first 32 distinct terms
# Part of every text hash: a paper indexed under another version is re-indexed when next caught
# up; a migration that changes it marks every paper for the next catch-up (0016: compound names).
ANALYZER_VERSION = "snowball-en-3"
CHUNK = 500  # ids per IN (...)
WIDE_CHUNK = 2_000  # ids per IN (...) where one statement's overhead matters (SQLite allows 32,766)


@dataclass(frozen=True)
class KeywordQuery:
    """A query as index terms. ``terms`` are ranked; the rest constrain which papers may match.

    ``authors`` holds each author name's terms, which the engines require in a paper's authors;
    ``author_names`` the names themselves, which one author of the paper must bear
    (``keyword.authors.named``)."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    author_names: tuple[AuthorName, ...] = ()

    @classmethod
    def of(cls, query: Query) -> "KeywordQuery":
        terms: list[str] = []
        # An arXiv id alone asks for one paper, never for the words its pieces make ("hep", "th").
        for part in () if query.arxiv_id else (*query.words, *query.phrases):
            terms.extend(analyze(part))
        names = tuple(AuthorName.parse(author) for author in query.authors)  # the parser checked them
        return cls(
            terms=tuple(dict.fromkeys(terms))[:MAX_TERMS],
            phrases=_nonempty(analyze(p) for p in query.phrases),
            authors=tuple(name.terms for name in names),
            excluded=_nonempty(analyze(e) for e in query.excluded),
            author_names=names,
        )

    @property
    def constrains(self) -> bool:
        """Whether some papers are ruled in or out regardless of rank (phrases, authors, -words)."""
        return bool(self.phrases or self.authors or self.excluded)


def _nonempty(groups: Iterable[list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(group) for group in groups if group)


@dataclass(frozen=True)
class IndexedText:
    """One paper as the index sees it."""

    paper_id: str
    title: tuple[str, ...]
    abstract: tuple[str, ...]
    authors: tuple[str, ...]
    title_key: str
    text_hash: str

    @property
    def length(self) -> int:
        return len(self.title) + len(self.abstract) + len(self.authors)

    @property
    def distinct_terms(self) -> set[str]:
        return {*self.title, *self.abstract, *self.authors}

    @classmethod
    def of(cls, paper: Paper) -> "IndexedText":
        authors = " ; ".join(paper.authors)
        # What filters read is hashed too: a change re-indexes the paper under a new doc id, which
        # is how the in-memory postings learn of it.
        metadata = (str(paper.announced or ""), " ".join(paper.categories), "code" if paper.code_urls else "")
        digest = hashlib.sha256(
            "\x1f".join((ANALYZER_VERSION, paper.title, paper.abstract, authors, *metadata)).encode()
        ).hexdigest()
        return cls(
            paper.id,
            tuple(index_terms(paper.title)),
            tuple(index_terms(paper.abstract)),
            tuple(analyze(authors)),
            title_key(paper.title),
            digest,
        )


@dataclass
class KeywordHits:
    hits: list[tuple[str, float]]  # (paper id, BM25 score) best first
    exact: bool  # False: a narrow filter or phrase left fewer than wanted among MAX_DEPTH candidates

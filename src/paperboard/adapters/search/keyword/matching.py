"""A query's keyword match set, whole: every paper holding *all* its words (and meeting its
phrases, authors, exclusions and filters), for a search's total, its paging and its date order.

Ranking reads the best hundred by BM25 with OR semantics; this lists every match. From the
in-memory postings it is an intersection of doc id masks (well under a millisecond on the sample,
a few at a million papers), dated from the postings' announcement dates and ranked by BM25 only
when a page past the ranked candidates asks for it. A phrase or an author needs more than its
words: a few candidates are checked in SQL, many by the engine's listing of the papers holding it
when that is cheap (else in SQL too). Without current postings (a search loads at most
``SEARCH_SYNC_LIMIT`` new documents itself) the engine answers, as it does for ranking. The same
object says which other papers (the vector leg's) meet the constraints and filters, by the same
rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from sqlalchemy import Connection, select

import paperboard.adapters.search.keyword.statistics as statistics
from paperboard.adapters.search import filters as paper_filters
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword.terms import KeywordQuery
from paperboard.adapters.search.postings import Corpus, TermPostings
from paperboard.adapters.store.schema import search_documents
from paperboard.domain import bm25

ENUMERATED = 50_000  # constrained papers the engine may list; past that, candidates are checked in SQL
# Up to this many candidates are checked in SQL (about 3 µs each) rather than the phrase's or
# author's papers listed (3 ms for "language model", in 6,887 of the sample's papers; more at a
# million papers). A query's other words mostly leave a handful of candidates.
CHECKED_DIRECTLY = 500
IDENTITY_CHUNK = 100_000  # (doc id, paper id) pairs read a statement


class KeywordMatches:
    """Every paper holding all of a query's words and meeting its constraints and filter.

    From the postings the matches are doc ids, counted and looked up as such: their paper ids are
    made only when a page needs them all (at a million papers, "for language model" matches
    hundreds of thousands, 20-30 ms to list as paper ids and put in a set)."""

    def __init__(self, paper_ids: list[str] | Callable[[], list[str]], size: int,
                 best: Callable[[int], list[tuple[str, float]]],
                 announced: Callable[[Sequence[str]], dict[str, int]], admit: Callable[[Sequence[str]], set[str]],
                 holding: Callable[[Sequence[str]], set[str]] | None = None):
        self._paper_ids = paper_ids
        self._size = size
        self._best, self._announced, self._admit, self._holding = best, announced, admit, holding

    @property
    def paper_ids(self) -> list[str]:
        if callable(self._paper_ids):
            self._paper_ids = self._paper_ids()
        return self._paper_ids

    def __len__(self) -> int:
        return self._size

    def holding(self, paper_ids: Sequence[str]) -> set[str]:
        """Those of ``paper_ids`` (any papers) that are matches."""
        if self._holding is None:
            self._holding = set(self.paper_ids).intersection
        return self._holding(paper_ids)

    def best(self, depth: int) -> list[tuple[str, float]]:
        """The ``depth`` best matches by BM25 (paper id, score), best first."""
        return self._best(depth) if depth > 0 and self._size else []

    def announced(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """date.toordinal() of each paper's announcement (0: none), for any papers, matches or not."""
        return self._announced(paper_ids)

    def admit(self, paper_ids: Sequence[str]) -> set[str]:
        """Those of ``paper_ids`` (any papers) that meet the query's constraints and the filter."""
        return self._admit(paper_ids)


def match(index, connection: Connection, query: KeywordQuery, paper_filter: PaperFilter,
          postings: TermPostings | None, sync_limit: int, every_paper: bool = False) -> KeywordMatches:
    """The keyword match set of ``query`` in ``index`` (a ``KeywordRanking``); ``every_paper``:
    no words to match, every paper meeting the constraints and the filter (browsing)."""
    frequencies = statistics.document_frequencies(connection, query.terms) if query.terms else {}
    everywhere = bool(query.terms) and all(frequencies.get(term, 0) > 0 for term in query.terms)
    if postings is not None and index.sync_postings(connection, postings, limit=sync_limit):
        return _from_postings(index, connection, query, paper_filter, postings, frequencies, everywhere, every_paper)
    return _from_engine(index, connection, query, paper_filter, frequencies, everywhere, every_paper)


def _from_postings(index, connection, query, paper_filter, postings, frequencies, everywhere,
                   every_paper) -> KeywordMatches:
    documents, average_length = statistics.corpus(connection)
    know_identities(connection, postings, documents)
    single_excluded = [group[0] for group in query.excluded if len(group) == 1]
    required = {term for group in (*query.phrases, *query.authors) for term in group}
    made: list[np.ndarray] = []

    def admissible() -> np.ndarray:
        """Holding the words of every phrase and author, none excluded, passing the filter: what
        any match needs (made when needed: for a plain query at 1M papers, every live doc id)."""
        if not made:
            made.append(postings.holding_all(required, excluded=single_excluded, paper_filter=paper_filter))
        return made[0]

    exact = _exact_check(index, connection, query)
    doc_ids = np.zeros(0, np.int64)
    if every_paper:
        doc_ids = exact(admissible())
    elif everywhere:
        doc_ids = exact(postings.holding_all({*query.terms, *required}, excluded=single_excluded,
                                             paper_filter=paper_filter))

    def best(depth: int) -> list[tuple[str, float]]:
        idfs = {term: bm25.idf(documents, frequencies[term]) for term in query.terms}
        ranked = postings.rank(idfs, Corpus(documents, average_length), among=doc_ids.tolist()).best(depth)
        return list(zip(postings.papers_of([doc_id for doc_id, _score in ranked]), [s for _d, s in ranked]))

    def announced(ids: Sequence[str]) -> dict[str, int]:
        docs = postings.docs_of(ids)
        dates = dict(zip(docs, postings.announced_of(np.fromiter(docs.values(), np.int64, len(docs))).tolist()))
        missing = [paper_id for paper_id in ids if paper_id not in dates]
        return dates | (_announced_in_sql(connection, missing) if missing else {})

    def admit(ids: Sequence[str]) -> set[str]:
        docs = postings.docs_of(ids)
        held = np.fromiter(docs.values(), np.int64, len(docs))
        passing = exact(held[_within(held, admissible())])
        kept = set(postings.papers_of(passing.tolist()))
        outside = [paper_id for paper_id in ids if paper_id not in docs]  # not keyword-indexed yet
        return kept | (_admitted_in_sql(index, connection, query, paper_filter, outside) if outside else set())

    def holding(ids: Sequence[str]) -> set[str]:
        docs = postings.docs_of(ids)
        held = np.fromiter(docs.values(), np.int64, len(docs))
        return {paper_id for paper_id, inside in zip(docs, _within(held, doc_ids)) if inside}

    return KeywordMatches(lambda: postings.papers_of(doc_ids.tolist()), len(doc_ids), best, announced, admit,
                          holding)


def _within(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``ascending`` (sorted, no repeats)."""
    at = np.searchsorted(ascending, values)
    found = np.zeros(len(values), bool)
    inside = at < len(ascending)
    found[inside] = ascending[at[inside]] == values[inside]
    return found


def know_identities(connection: Connection, postings: TermPostings, documents: int) -> None:
    """Every live doc id's paper known to ``postings`` (read once after a load from files), in
    chunks: each statement of a read has its own time budget, and a million papers' pairs in one
    went past a search's 2 s on a busy machine (the search failed, and so did the next)."""
    if postings.identities_current(documents):
        return
    pairs: list[tuple[int, str]] = []
    while True:
        chunk = connection.execute(
            select(search_documents.c.doc_id, search_documents.c.paper_id)
            .where(search_documents.c.doc_id > (pairs[-1][0] if pairs else -1))
            .order_by(search_documents.c.doc_id).limit(IDENTITY_CHUNK)
        ).all()
        pairs.extend((doc_id, paper_id) for doc_id, paper_id in chunk)
        if len(chunk) < IDENTITY_CHUNK:
            break
    postings.set_identities(pairs)


def _exact_check(index, connection, query: KeywordQuery) -> Callable[[np.ndarray], np.ndarray]:
    """Narrows doc ids holding the right words to those meeting the phrases, authors and excluded
    phrases themselves: a few are checked in SQL, many by the engine's listing when that is cheap
    (made once, when first needed), else in SQL too."""
    if not (query.phrases or query.authors or any(len(group) > 1 for group in query.excluded)):
        return lambda doc_ids: doc_ids
    excluded_phrases = any(len(group) > 1 for group in query.excluded)
    listing: list[np.ndarray | None] = []  # empty: not asked for yet; [None]: too costly to list

    def listed() -> np.ndarray | None:
        if not listing:
            holding = None
            if (query.phrases or query.authors) and index._cheap_to_list(connection, query):
                holding = index._constrained_doc_ids(connection, query, ENUMERATED)
            listing.append(np.asarray(sorted(holding), np.int64) if holding is not None else None)
        return listing[0]

    def exact(doc_ids: np.ndarray) -> np.ndarray:
        if not len(doc_ids):
            return doc_ids
        if len(doc_ids) > CHECKED_DIRECTLY and (holding := listed()) is not None:
            doc_ids = doc_ids[np.isin(doc_ids, holding)]
            if not excluded_phrases or not len(doc_ids):
                return doc_ids
        return np.asarray(sorted(index._papers_meeting(connection, query, doc_ids.tolist())), np.int64)

    return exact


def _from_engine(index, connection, query, paper_filter, frequencies, everywhere, every_paper) -> KeywordMatches:
    """The engine lists the matches itself (ranked by its BM25), when the postings are behind."""
    ranked: list[tuple[str, float]] = []
    if every_paper:
        everything = paper_filters.newest_matching(connection, paper_filter, None, None)
        kept = _admitted_in_sql(index, connection, query, PaperFilter(), everything)
        ranked = [(paper_id, 0.0) for paper_id in everything if paper_id in kept]
    elif everywhere:
        # Every word required: each one a phrase of its own, so the engine's match needs them all.
        every_word = replace(query, phrases=query.phrases + tuple((term,) for term in query.terms))
        ranked = index._rank(connection, every_word, query.terms, paper_filter, sum(frequencies.values()))
    return KeywordMatches(
        [paper_id for paper_id, _score in ranked], len(ranked), lambda depth: ranked[:depth],
        lambda ids: _announced_in_sql(connection, ids),
        lambda ids: _admitted_in_sql(index, connection, query, paper_filter, ids),
    )


def _announced_in_sql(connection: Connection, paper_ids: Sequence[str]) -> dict[str, int]:
    dates = paper_filters.announced_dates(connection, list(paper_ids))
    return {paper_id: (day.toordinal() if day else 0) for paper_id, day in dates.items()}


def _admitted_in_sql(index, connection, query: KeywordQuery, paper_filter: PaperFilter, paper_ids) -> set[str]:
    kept = set(paper_ids)
    if paper_filter.active and kept:
        kept = paper_filters.keep_matching(connection, paper_filter, sorted(kept))
    if query.constrains and kept:
        kept = index.satisfying(connection, query, sorted(kept))
    return kept

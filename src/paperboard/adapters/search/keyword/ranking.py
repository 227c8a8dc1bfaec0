"""Ranking with the keyword index: BM25 by the engine, or by the in-memory postings for common words.

BM25 must score every row that matches (FTS5: ~1.2 µs a row, and its ``bm25()`` walks each term's
whole doclist once more to count it), and at a million papers a common word matches hundreds of
thousands. When the query's words match more than ``SCORING_BUDGET`` rows in all, the ranking
comes instead from the in-memory postings (``postings.TermPostings``): the same BM25, with the
document frequencies and corpus totals kept in ``search_term_stats`` / ``search_corpus_stats``,
computed over sparse columns in C. Filters, phrases and authors are then checked on the best
candidates, going deeper until enough pass. Below the budget, or without postings, the engine
ranks itself. Either way the ranking is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, func, select

import paperboard.adapters.search.keyword.matching as matching
import paperboard.adapters.search.keyword.authors as authors
import paperboard.adapters.search.keyword.statistics as statistics
from paperboard.adapters.search import filters as paper_filters
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword.terms import (
    WIDE_CHUNK,
    KeywordHits,
    KeywordQuery,
)
from paperboard.adapters.search.postings import Corpus, Document, TermPostings
from paperboard.adapters.store.schema import paper_categories, papers, search_documents
from paperboard.domain import bm25

SCORING_BUDGET = 2_000  # matching rows the engine ranks itself; above that, the postings do
MAX_DEPTH = 10_000  # candidates checked against filters before giving up on more...
MAX_CHECKED = 1_500  # ...and against phrases, authors or excluded phrases (each ~25 µs)
LISTING_DF = 100_000  # FTS5 lists a phrase's papers fast when one of its words is in at most this many
# A phrase so rare among the best candidates that more than SWITCH_DEPTH would need checking (about
# 25 µs each) is listed instead (FTS5 merging its words' doclists: ~0.1 s at worst at a million
# papers), when at most ENUMERATED papers hold it.
SWITCH_DEPTH = 4_000
ENUMERATED = 50_000
SEARCH_SYNC_LIMIT = 10_000  # documents a search may load into stale postings (a catch-up loads all)


class KeywordRanking:
    """The reading half of an engine; the engine supplies its native ranking and matching."""

    def search(
        self, connection: Connection, query: KeywordQuery, paper_filter: PaperFilter, limit: int,
        postings: TermPostings | None = None,
    ) -> KeywordHits:
        """The best ``limit`` papers by BM25 that satisfy the query's constraints and the filter;
        ``postings`` rank the queries whose words match too many rows for the engine."""
        if not query.terms or limit <= 0:
            return KeywordHits([], True)
        frequencies = statistics.document_frequencies(connection, query.terms)
        present = tuple(term for term in query.terms if frequencies.get(term, 0) > 0)
        if not present:
            return KeywordHits([], True)
        if sum(frequencies[term] for term in present) > self._scoring_budget() and postings is not None:
            if self.sync_postings(connection, postings, limit=SEARCH_SYNC_LIMIT):
                return self._ranked_by_postings(connection, query, present, frequencies, paper_filter, limit, postings)
        return KeywordHits(self._rank(connection, query, present, paper_filter, limit), True)

    def _scoring_budget(self) -> int:
        """Matching rows this engine ranks itself, above which the postings rank instead."""
        return SCORING_BUDGET

    def sync_postings(self, connection: Connection, postings: TermPostings, limit: int | None = None) -> bool:
        """Bring ``postings`` up to date (at most ``limit`` documents); return whether it is."""
        newest = connection.execute(select(func.max(search_documents.c.doc_id))).scalar_one() or 0
        documents, _ = statistics.corpus(connection)
        return postings.sync(lambda after, n: self._documents_after(connection, after, n), newest, documents,
                             limit=limit)

    def know_identities(self, connection: Connection, postings: TermPostings) -> None:
        """Every live doc id's paper known to ``postings``, as a search's match set needs: read at
        start-up (``services.warmup``), not by the first search."""
        matching.know_identities(connection, postings, statistics.corpus(connection)[0])

    def _documents_after(self, connection: Connection, after: int, limit: int) -> list[Document]:
        """The postings' next documents, with the metadata that filters read."""
        documents = self._terms_after(connection, after, limit)
        doc_ids = [document[0] for document in documents]
        metadata: dict[int, tuple] = {}
        categories: dict[int, list[str]] = {}
        for start in range(0, len(doc_ids), WIDE_CHUNK):
            chunk = doc_ids[start : start + WIDE_CHUNK]
            rows = connection.execute(
                select(search_documents.c.doc_id, papers.c.announced, func.json_array_length(papers.c.code_urls),
                       search_documents.c.paper_id)
                .join(papers, papers.c.id == search_documents.c.paper_id)
                .where(search_documents.c.doc_id.in_(chunk))
            )
            metadata.update((doc_id, (announced, bool(links), paper_id)) for doc_id, announced, links, paper_id in rows)
            rows = connection.execute(
                select(search_documents.c.doc_id, paper_categories.c.category)
                .join(paper_categories, paper_categories.c.paper_id == search_documents.c.paper_id)
                .where(search_documents.c.doc_id.in_(chunk))
            )
            for doc_id, category in rows:
                categories.setdefault(doc_id, []).append(category)
        unknown = (None, False, "")
        return [
            Document(*document, metadata.get(document[0], unknown)[0], tuple(categories.get(document[0], ())),
                     metadata.get(document[0], unknown)[1], metadata.get(document[0], unknown)[2])
            for document in documents
        ]

    def matches(self, connection: Connection, query: KeywordQuery, paper_filter: PaperFilter,
                postings: TermPostings | None = None, *, every_paper: bool = False) -> "matching.KeywordMatches":
        """Every paper holding all of the query's words and meeting its constraints and the filter
        (``matching``): what a search counts, pages through and sorts by date. ``every_paper``:
        every paper meeting them, words or not (browsing by filters)."""
        return matching.match(self, connection, query, paper_filter, postings, SEARCH_SYNC_LIMIT, every_paper)

    def _ranked_by_postings(self, connection, query, present, frequencies, paper_filter, limit, postings) -> KeywordHits:
        """The best ``limit`` by the postings' BM25 that pass the filter and the constraints.

        A filter or phrase that few papers meet restricts the scoring to them. A broader one is
        checked on the candidates best first, deeper each round (as deep as the share passing so
        far says is needed), each candidate once. A phrase that passes too rarely for that
        (independent common words) switches to listing the papers that hold it, when the engine
        can do that quickly and they are at most ``ENUMERATED``; past ``MAX_DEPTH`` candidates
        (``MAX_CHECKED`` for phrases) the hits are the best found, and not marked exact."""
        documents, average_length = statistics.corpus(connection)
        corpus = Corpus(documents, average_length)
        idfs = {term: bm25.idf(documents, frequencies[term]) for term in present}
        single_excluded = [group[0] for group in query.excluded if len(group) == 1]
        # A paper lacking any word of a phrase or an author's name cannot pass: not scored at all.
        required = {term for group in (*query.phrases, *query.authors) for term in group}
        constrained = bool(query.phrases or query.authors or len(single_excluded) < len(query.excluded))
        deepest = MAX_CHECKED if constrained else MAX_DEPTH  # checking a phrase reads the text: ~25 µs
        ranking = postings.rank(idfs, corpus, excluded=single_excluded, required=required, paper_filter=paper_filter)
        passing: dict[int, str] = {}  # doc id → paper id, for the candidates that passed
        listed = False
        seen: set[int] = set()
        scores: dict[int, float] = {}
        depth = limit
        while True:
            top = ranking.best(depth)
            fresh = [doc_id for doc_id, _ in top if doc_id not in seen]
            seen.update(fresh)
            scores.update(top)
            passing.update(self._passing(connection, query, constrained, paper_filter, fresh))
            found = len([doc_id for doc_id, _ in top if doc_id in passing])
            exhausted = len(top) < depth  # every matching document was looked at
            if found >= limit or exhausted or depth >= deepest:
                hits = sorted(((passing[d], scores[d]) for d in seen if d in passing), key=lambda h: (-h[1], h[0]))
                return KeywordHits(hits[:limit], found >= limit or exhausted)
            # Deep enough for the share that passed so far (with room), at least four times deeper.
            needed = int(1.5 * limit * len(top) / max(found, 1))
            if needed > SWITCH_DEPTH and (query.phrases or query.authors) and not listed:
                listed = True
                holding = self._constrained_doc_ids(connection, query, ENUMERATED) if self._cheap_to_list(
                    connection, query) else None
                if holding is not None:
                    ranking = postings.rank(idfs, corpus, excluded=single_excluded, among=holding,
                                            paper_filter=paper_filter)
                    passing, seen, scores, depth = {}, set(), {}, limit
                    continue
            depth = min(deepest, max(depth * 4, needed))

    def _passing(self, connection, query: KeywordQuery, constrained: bool, paper_filter: PaperFilter,
                 doc_ids: list[int]) -> dict[int, str]:
        """doc id → paper id for those of ``doc_ids`` still indexed that meet the constraints and the filter."""
        # The postings applied the filter; it is checked again here, cheaply, in the same read,
        # for a paper whose metadata changed since its document was loaded.
        if not constrained:
            return self._paper_ids(connection, doc_ids, paper_filter)
        papers_of = self._papers_meeting(connection, query, doc_ids)
        if paper_filter.active and papers_of:
            allowed = paper_filters.keep_matching(connection, paper_filter, sorted(papers_of.values()))
            papers_of = {doc_id: paper_id for doc_id, paper_id in papers_of.items() if paper_id in allowed}
        return papers_of

    def _papers_meeting(self, connection, query: KeywordQuery, doc_ids: list[int]) -> dict[int, str]:
        """doc id → paper id for those of ``doc_ids`` that meet the phrases, authors and exclusions."""
        papers_of = self._paper_ids(connection, doc_ids)
        kept = self.satisfying(connection, query, list(papers_of.values()))
        return {doc_id: paper_id for doc_id, paper_id in papers_of.items() if paper_id in kept}

    def _paper_ids(self, connection: Connection, doc_ids: list[int],
                   paper_filter: PaperFilter = PaperFilter()) -> dict[int, str]:
        """doc id → paper id for those that still exist (a re-indexed paper has a new doc id) and
        pass ``paper_filter``."""
        found: dict[int, str] = {}
        for start in range(0, len(doc_ids), WIDE_CHUNK):
            query = select(search_documents.c.doc_id, search_documents.c.paper_id).where(
                search_documents.c.doc_id.in_(doc_ids[start : start + WIDE_CHUNK])
            )
            if paper_filter.active:
                query = query.join(papers, papers.c.id == search_documents.c.paper_id).where(paper_filter.condition())
            found.update((doc_id, paper_id) for doc_id, paper_id in connection.execute(query))
        return found

    def candidate_scores(
        self, connection: Connection, terms: Sequence[str], paper_ids: Sequence[str],
        postings: TermPostings | None = None,
    ) -> dict[str, tuple[float, float]]:
        """(BM25, coverage) of each indexed paper of ``paper_ids`` for the words ``terms``, so that
        papers the other leg found are scored too: FTS5's BM25 (the keyword leg's own score for
        plain words), and the share of the words' IDF the paper holds. From ``postings`` when they
        are current (their term frequencies and lengths: no text read), else from the stored terms."""
        if not paper_ids:
            return {}
        frequencies = statistics.document_frequencies(connection, terms) if terms else {}
        documents, average_length = statistics.corpus(connection)
        idfs = {term: bm25.idf(documents, frequencies[term]) for term in terms if frequencies.get(term, 0) > 0}
        wanted = list(dict.fromkeys(paper_ids))
        if postings is not None and self.sync_postings(connection, postings, limit=SEARCH_SYNC_LIMIT):
            matching.know_identities(connection, postings, documents)
            docs = postings.docs_of(wanted)
            lengths, counts = postings.term_counts(list(idfs), np.fromiter(docs.values(), np.int64, len(docs)))
            indexed = list(docs)
        else:
            stored = self._term_counts(connection, sorted(idfs), wanted)
            indexed = list(stored)
            lengths = np.array([length for length, _found in stored.values()], np.float64)
            counts = [np.array([found.get(term, 0.0) for _length, found in stored.values()], np.float64)
                      for term in idfs]
        scores = bm25.scores(counts, lengths, list(idfs.values()), average_length)
        held = np.zeros(len(indexed), np.float64)
        for count, weight in zip(counts, idfs.values()):
            held += np.where(count > 0, weight, 0.0)
        total = sum(idfs.values())
        coverage = held / total if total > 0 else held
        return dict(zip(indexed, zip(scores.tolist(), coverage.tolist())))

    def satisfying(self, connection: Connection, query: KeywordQuery, paper_ids: Sequence[str]) -> set[str]:
        """Those of ``paper_ids`` that hold every phrase and author and no excluded word."""
        kept = self._meeting_words(connection, query, paper_ids)
        return authors.named(connection, query, sorted(kept)) if kept else kept

    def _meeting_words(self, connection: Connection, query: KeywordQuery, paper_ids: Sequence[str]) -> set[str]:
        """``satisfying`` as far as the index can tell: the phrases, each author's words, no excluded word."""
        kept = set(paper_ids)
        if query.phrases or query.authors:
            kept &= self._matching_among(connection, self._required(query), list(kept))
        if query.excluded and kept:
            kept -= self._matching_among(connection, self._any_of(query.excluded), list(kept))
        return kept

    def constrained_ids(self, connection: Connection, query: KeywordQuery, cap: int) -> list[str] | None:
        """Every paper meeting the query's phrases and authors (None: more than ``cap``)."""
        if not query.author_names:
            return self._all_matching(connection, self._required(query), cap)
        listed = self._all_matching(connection, self._required(query), cap * authors.CANDIDATES_PER_MATCH)
        if listed is None:
            return None
        kept = authors.named(connection, query, listed)
        found = [paper_id for paper_id in listed if paper_id in kept]
        return None if len(found) > cap else found

    def _cheap_to_list(self, connection: Connection, query: KeywordQuery) -> bool:
        """Whether every phrase and author has a word rare enough for the engine to list the papers
        holding it quickly (FTS5 merges the words' doclists: ~0.13 s for two words each in half a
        million papers, ~0.02 s when one is in under 100,000)."""
        groups = (*query.phrases, *query.authors)
        frequencies = statistics.document_frequencies(connection, sorted({t for group in groups for t in group}))
        return all(min(frequencies.get(term, 0) for term in group) <= LISTING_DF for group in groups)

    def constrained_ids_if_cheap(self, connection: Connection, query: KeywordQuery, cap: int) -> list[str] | None:
        """``constrained_ids``, or None without asking the engine when listing would be slow."""
        return self.constrained_ids(connection, query, cap) if self._cheap_to_list(connection, query) else None

    def _constrained_doc_ids(self, connection: Connection, query: KeywordQuery, cap: int) -> list[int] | None:
        """The doc ids meeting the query's phrases and authors (None: more than ``cap``)."""
        if not query.author_names:
            return self._listed_doc_ids(connection, query, cap)
        listed = self._listed_doc_ids(connection, query, cap * authors.CANDIDATES_PER_MATCH)
        if listed is None:
            return None
        found = list(authors.named_docs(connection, query, self._paper_ids(connection, listed)))
        return None if len(found) > cap else found

    def _rank(self, connection, query: KeywordQuery, terms, paper_filter, limit) -> list[tuple[str, float]]:
        """Every paper holding any of ``terms`` (and meeting the constraints), scored natively, best
        first, at most ``limit`` (None: all)."""
        if not query.author_names:
            return self._rank_native(connection, query, terms, paper_filter, limit)
        # The engine holds an author's words, not the name: every match is checked before the limit
        # (an author filter leaves few, and the engine scored them all to sort them anyway).
        ranked = self._rank_native(connection, query, terms, paper_filter, None)
        kept = authors.named(connection, query, [paper_id for paper_id, _score in ranked])
        return [hit for hit in ranked if hit[0] in kept][:limit]

    # -- engine-specific ----------------------------------------------------------------------
    def _rank_native(self, connection, query, terms, paper_filter, limit) -> list[tuple[str, float]]:
        """``_rank`` by the engine alone: an author's words anywhere in the authors."""
        raise NotImplementedError

    def _listed_doc_ids(self, connection: Connection, query: KeywordQuery, cap: int) -> list[int] | None:
        """The doc ids holding the query's phrases and its authors' words (None: more than ``cap``)."""
        raise NotImplementedError

    def _term_counts(
        self, connection: Connection, terms: Sequence[str], paper_ids: Sequence[str]
    ) -> dict[str, tuple[int, dict[str, float]]]:
        """{paper id: (its length, {term of ``terms``: weighted count})} of the indexed ``paper_ids``."""
        raise NotImplementedError

    def _terms_after(self, connection: Connection, after: int, limit: int) -> list[tuple]:
        """(doc id, length, terms, weights) of the documents with doc ids above ``after``,
        ascending (at most ``limit``), for the postings."""
        raise NotImplementedError

    def _required(self, query: KeywordQuery) -> str:
        raise NotImplementedError

    def _any_of(self, groups: Sequence[tuple[str, ...]]) -> str:
        raise NotImplementedError

    def _matching_among(self, connection: Connection, expression: str, paper_ids: list[str]) -> set[str]:
        raise NotImplementedError

    def _all_matching(self, connection: Connection, expression: str, cap: int) -> list[str] | None:
        raise NotImplementedError

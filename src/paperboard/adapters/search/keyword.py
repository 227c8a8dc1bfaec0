"""The keyword leg: BM25 over title, abstract and authors, with field weights.

Both engines index the same analyzed terms (``paperboard.domain.analysis``) and rank with the same
BM25 (FTS5's constants k1 = 1.2, b = 0.75, its IDF and its column-weighted term frequency), so a
site moved from SQLite to PostgreSQL ranks alike. SQLite runs FTS5's ``bm25()``; PostgreSQL
(``keyword_pg``) computes the formula in SQL over a weighted ``tsvector``.

User text never reaches ``MATCH`` or ``tsquery`` as written: queries are built from analyzed terms
(letters and digits only) that this module quotes itself.

Common words. BM25 must score every row that matches (FTS5: ~1.2 µs a row, and its ``bm25()``
walks each term's whole doclist once more to count it), and at a million papers a common word
matches hundreds of thousands. When the query's words match more than ``SCORING_BUDGET`` rows in
all, the ranking comes instead from the in-memory postings (``postings.TermPostings``): the same
BM25, with the document frequencies and corpus totals kept in ``search_term_stats`` /
``search_corpus_stats``, computed over sparse columns in C. Filters, phrases and authors are then
checked on the best candidates, going deeper until enough pass. Below the budget, or without
postings, the engine ranks itself. Either way the ranking is exact.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Connection, Float, Integer, bindparam, column, delete, func, insert, or_, select, text, update,
)

from paperboard.adapters.search import filters as paper_filters
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.postings import Corpus, Document, TermPostings
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import paper_categories, papers, search_documents
from paperboard.domain import bm25
from paperboard.domain.analysis import analyze, normalise_title
from paperboard.domain.paper import Paper
from paperboard.domain.query import Query

K1, B = bm25.K1, bm25.B
# Field weights (title, abstract, authors), chosen on SciFact's *train* queries (eval beir).
TITLE_WEIGHT = 1.0
ABSTRACT_WEIGHT = 1.0
AUTHORS_WEIGHT = 1.0
_WEIGHTS = (TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHORS_WEIGHT)
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
MAX_TERMS = 32  # a pasted abstract is searched by its first 32 distinct terms
# Part of every text hash: changing the analyzer re-indexes everything on the next catch-up.
ANALYZER_VERSION = "snowball-en-2"
_CHUNK = 500
_WIDE_CHUNK = 2_000  # ids per IN (...) where one statement's overhead matters (SQLite allows 32,766)


@dataclass(frozen=True)
class KeywordQuery:
    """A query as index terms. ``terms`` are ranked; the rest constrain which papers may match."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, query: Query) -> "KeywordQuery":
        terms: list[str] = []
        for part in (*query.words, *query.phrases):
            terms.extend(analyze(part))
        return cls(
            terms=tuple(dict.fromkeys(terms))[:MAX_TERMS],
            phrases=_nonempty(analyze(p) for p in query.phrases),
            authors=_nonempty(analyze(a) for a in query.authors),
            excluded=_nonempty(analyze(e) for e in query.excluded),
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
            tuple(analyze(paper.title)),
            tuple(analyze(paper.abstract)),
            tuple(analyze(authors)),
            normalise_title(paper.title),
            digest,
        )


@dataclass
class KeywordHits:
    hits: list[tuple[str, float]]  # (paper id, BM25 score) best first
    exact: bool  # False: a narrow filter or phrase left fewer than wanted among MAX_DEPTH candidates


class KeywordIndex:
    """Shared bookkeeping; the engine-specific halves override the ``_`` methods."""

    # -- writing ------------------------------------------------------------------------------
    def index(self, connection: Connection, batch: Sequence[Paper]) -> int:
        """Index (or re-index) ``batch`` inside the caller's transaction; return how many changed."""
        return self.index_texts(connection, [IndexedText.of(paper) for paper in batch])

    def index_texts(self, connection: Connection, analyzed: Sequence["IndexedText"]) -> int:
        """``index`` for papers already analyzed (``IndexedText.of`` may run in other processes)."""
        texts = {indexed.paper_id: indexed for indexed in analyzed}
        known = self._documents(connection, list(texts))
        now = utcnow()
        fresh_ids = [paper_id for paper_id in texts if paper_id not in known]
        changed = [known[i] for i, t in texts.items() if i in known and known[i][2] != t.text_hash]
        unchanged = [known[i][0] for i, t in texts.items() if i in known and known[i][2] == t.text_hash]
        for start in range(0, len(unchanged), _CHUNK):
            chunk = unchanged[start : start + _CHUNK]
            connection.execute(
                update(search_documents).where(search_documents.c.doc_id.in_(chunk)).values(indexed_at=now)
            )
        if changed:
            self._remove_terms(connection, [(doc_id, length) for doc_id, length, _hash in changed])
            for doc_id, _length, _hash in changed:
                connection.execute(delete(search_documents).where(search_documents.c.doc_id == doc_id))
        rewritten = fresh_ids + [i for i, t in texts.items() if i in known and known[i][2] != t.text_hash]
        if not rewritten:
            return 0
        first = self._reserve_doc_ids(connection, len(rewritten))
        connection.execute(
            insert(search_documents),
            [
                {
                    "doc_id": first + offset,
                    "paper_id": paper_id,
                    "title_key": texts[paper_id].title_key,
                    "length": texts[paper_id].length,
                    "text_hash": texts[paper_id].text_hash,
                    "indexed_at": now,
                }
                for offset, paper_id in enumerate(rewritten)
            ],
        )
        ids = self._documents(connection, rewritten)
        self._add_terms(connection, [(ids[paper_id][0], texts[paper_id]) for paper_id in rewritten])
        return len(rewritten)

    def _reserve_doc_ids(self, connection: Connection, count: int) -> int:
        """The first of ``count`` fresh doc ids, larger than any ever given (migration 0010): the
        postings load "doc ids above the last seen", which a reused id would slip past."""
        newest = connection.execute(select(func.max(search_documents.c.doc_id))).scalar_one() or 0
        last = connection.execute(
            text("UPDATE search_corpus_stats SET last_doc_id = "
                 "(CASE WHEN last_doc_id >= :newest THEN last_doc_id ELSE :newest END) + :count "
                 "WHERE id = 1 RETURNING last_doc_id"),
            {"newest": newest, "count": count},
        ).scalar_one()
        return last - count + 1

    def stale_ids(self, connection: Connection, limit: int, after: str = "") -> list[str]:
        """Papers never indexed, or modified since, in id order after ``after``: the catch-up's next
        batch (paging by id keeps a catch-up over a million papers linear)."""
        query = _stale(select(papers.c.id)).where(papers.c.id > after).order_by(papers.c.id).limit(limit)
        return list(connection.execute(query).scalars())

    def count_stale(self, connection: Connection) -> int:
        """How many papers the next catch-up will index (for its progress bar)."""
        return connection.execute(_stale(select(func.count()).select_from(papers))).scalar_one()

    def title_matches(self, connection: Connection, title: str) -> list[str]:
        key = normalise_title(title)
        if not key:
            return []
        query = select(search_documents.c.paper_id).where(search_documents.c.title_key == key)
        return sorted(connection.execute(query).scalars())

    def _documents(self, connection: Connection, paper_ids: list[str]) -> dict[str, tuple[int, int, str]]:
        found: dict[str, tuple[int, int, str]] = {}
        columns = (search_documents.c.paper_id, search_documents.c.doc_id, search_documents.c.length,
                   search_documents.c.text_hash)
        for start in range(0, len(paper_ids), _CHUNK):
            chunk = paper_ids[start : start + _CHUNK]
            for paper_id, doc_id, length, text_hash in connection.execute(
                select(*columns).where(search_documents.c.paper_id.in_(chunk))
            ):
                found[paper_id] = (doc_id, length, text_hash)
        return found

    # -- reading ------------------------------------------------------------------------------
    def search(
        self, connection: Connection, query: KeywordQuery, paper_filter: PaperFilter, limit: int,
        postings: TermPostings | None = None,
    ) -> KeywordHits:
        """The best ``limit`` papers by BM25 that satisfy the query's constraints and the filter;
        ``postings`` rank the queries whose words match too many rows for the engine."""
        if not query.terms or limit <= 0:
            return KeywordHits([], True)
        frequencies = self._document_frequencies(connection, query.terms)
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
        documents, _ = self._corpus(connection)
        return postings.sync(lambda after, n: self._documents_after(connection, after, n), newest, documents,
                             limit=limit)

    def _documents_after(self, connection: Connection, after: int, limit: int) -> list[Document]:
        """The postings' next documents, with the metadata that filters read."""
        documents = self._terms_after(connection, after, limit)
        doc_ids = [document[0] for document in documents]
        metadata: dict[int, tuple] = {}
        categories: dict[int, list[str]] = {}
        for start in range(0, len(doc_ids), _WIDE_CHUNK):
            chunk = doc_ids[start : start + _WIDE_CHUNK]
            rows = connection.execute(
                select(search_documents.c.doc_id, papers.c.announced, func.json_array_length(papers.c.code_urls))
                .join(papers, papers.c.id == search_documents.c.paper_id)
                .where(search_documents.c.doc_id.in_(chunk))
            )
            metadata.update((doc_id, (announced, bool(links))) for doc_id, announced, links in rows)
            rows = connection.execute(
                select(search_documents.c.doc_id, paper_categories.c.category)
                .join(paper_categories, paper_categories.c.paper_id == search_documents.c.paper_id)
                .where(search_documents.c.doc_id.in_(chunk))
            )
            for doc_id, category in rows:
                categories.setdefault(doc_id, []).append(category)
        return [
            Document(*document, metadata.get(document[0], (None, False))[0], tuple(categories.get(document[0], ())),
                     metadata.get(document[0], (None, False))[1])
            for document in documents
        ]

    def _ranked_by_postings(self, connection, query, present, frequencies, paper_filter, limit, postings) -> KeywordHits:
        """The best ``limit`` by the postings' BM25 that pass the filter and the constraints.

        A filter or phrase that few papers meet restricts the scoring to them. A broader one is
        checked on the candidates best first, deeper each round (as deep as the share passing so
        far says is needed), each candidate once. A phrase that passes too rarely for that
        (independent common words) switches to listing the papers that hold it, when the engine
        can do that quickly and they are at most ``ENUMERATED``; past ``MAX_DEPTH`` candidates
        (``MAX_CHECKED`` for phrases) the hits are the best found, and not marked exact."""
        documents, average_length = self._corpus(connection)
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
        for start in range(0, len(doc_ids), _WIDE_CHUNK):
            query = select(search_documents.c.doc_id, search_documents.c.paper_id).where(
                search_documents.c.doc_id.in_(doc_ids[start : start + _WIDE_CHUNK])
            )
            if paper_filter.active:
                query = query.join(papers, papers.c.id == search_documents.c.paper_id).where(paper_filter.condition())
            found.update((doc_id, paper_id) for doc_id, paper_id in connection.execute(query))
        return found

    def satisfying(self, connection: Connection, query: KeywordQuery, paper_ids: Sequence[str]) -> set[str]:
        """Those of ``paper_ids`` that hold every phrase and author and no excluded word."""
        kept = set(paper_ids)
        if query.phrases or query.authors:
            kept &= self._matching_among(connection, self._required(query), list(kept))
        if query.excluded and kept:
            kept -= self._matching_among(connection, self._any_of(query.excluded), list(kept))
        return kept

    def constrained_ids(self, connection: Connection, query: KeywordQuery, cap: int) -> list[str] | None:
        """Every paper meeting the query's phrases and authors (None: more than ``cap``)."""
        return self._all_matching(connection, self._required(query), cap)

    def _cheap_to_list(self, connection: Connection, query: KeywordQuery) -> bool:
        """Whether every phrase and author has a word rare enough for the engine to list the papers
        holding it quickly (FTS5 merges the words' doclists: ~0.13 s for two words each in half a
        million papers, ~0.02 s when one is in under 100,000)."""
        groups = (*query.phrases, *query.authors)
        frequencies = self._document_frequencies(connection, sorted({t for group in groups for t in group}))
        return all(min(frequencies.get(term, 0) for term in group) <= LISTING_DF for group in groups)

    def constrained_ids_if_cheap(self, connection: Connection, query: KeywordQuery, cap: int) -> list[str] | None:
        """``constrained_ids``, or None without asking the engine when listing would be slow."""
        return self.constrained_ids(connection, query, cap) if self._cheap_to_list(connection, query) else None

    def _constrained_doc_ids(self, connection: Connection, query: KeywordQuery, cap: int) -> list[int] | None:
        """The doc ids meeting the query's phrases and authors (None: more than ``cap``)."""
        raise NotImplementedError

    # -- statistics (the same two tables on both engines, migrations 0006 and 0008) --------------
    def _document_frequencies(self, connection: Connection, terms: Sequence[str]) -> dict[str, int]:
        rows = connection.execute(
            text("SELECT term, df FROM search_term_stats WHERE term IN :terms").bindparams(
                bindparam("terms", list(terms), expanding=True)
            )
        )
        return dict(rows.all())

    def _corpus(self, connection: Connection) -> tuple[int, float]:
        documents, total_length = connection.execute(
            text("SELECT documents, total_length FROM search_corpus_stats WHERE id = 1")
        ).one()
        return documents, (total_length / documents if documents else 1.0)

    def _count(self, connection: Connection, documents: list[tuple[int, Sequence[str], int]], *, sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) these documents' (doc id, distinct terms, length)."""
        frequencies: Counter[str] = Counter()
        for _doc_id, terms, _length in documents:
            frequencies.update(terms)
        if frequencies:
            self._upsert_frequencies(connection, {term: sign * n for term, n in frequencies.items()})
        connection.execute(
            text("UPDATE search_corpus_stats SET documents = documents + :n, total_length = total_length + :length "
                 "WHERE id = 1"),
            {"n": sign * len(documents), "length": sign * sum(length for _, _, length in documents)},
        )

    # -- engine-specific ----------------------------------------------------------------------
    def _rank(self, connection, query, terms, paper_filter, limit) -> list[tuple[str, float]]:
        """Every paper holding any of ``terms`` (and meeting the constraints), scored natively."""
        raise NotImplementedError

    def _terms_after(self, connection: Connection, after: int, limit: int) -> list[tuple]:
        """(doc id, length, terms, weights) of the documents with doc ids above ``after``,
        ascending (at most ``limit``), for the postings."""
        raise NotImplementedError

    def _upsert_frequencies(self, connection: Connection, changes: dict[str, int]) -> None:
        raise NotImplementedError

    def _add_terms(self, connection: Connection, documents: list[tuple[int, IndexedText]]) -> None:
        raise NotImplementedError

    def _remove_terms(self, connection: Connection, documents: list[tuple[int, int]]) -> None:
        raise NotImplementedError

    def _required(self, query: KeywordQuery) -> str:
        raise NotImplementedError

    def _any_of(self, groups: Sequence[tuple[str, ...]]) -> str:
        raise NotImplementedError

    def _matching_among(self, connection: Connection, expression: str, paper_ids: list[str]) -> set[str]:
        raise NotImplementedError

    def _all_matching(self, connection: Connection, expression: str, cap: int) -> list[str] | None:
        raise NotImplementedError


class SqliteKeywordIndex(KeywordIndex):
    """FTS5: the analyzed terms are the table's text; ``bm25()`` ranks with column weights."""

    def _expression(self, query: KeywordQuery, terms) -> str:
        """Any of ``terms``, within the query's phrases, authors and exclusions."""
        expression = "(" + " OR ".join(_phrase((t,)) for t in terms) + ")"
        if query.phrases or query.authors:
            expression = f"{expression} AND {self._required(query)}"
        if query.excluded:
            expression = f"({expression}) NOT {self._any_of(query.excluded)}"
        return expression

    def _rank(self, connection, query, terms, paper_filter, limit):
        matched = (
            text(
                "SELECT rowid AS doc_id, bm25(search_fts, :title_weight, :abstract_weight, :authors_weight) AS score "
                "FROM search_fts WHERE search_fts MATCH :match"
            )
            .bindparams(
                match=self._expression(query, terms),
                title_weight=TITLE_WEIGHT,
                abstract_weight=ABSTRACT_WEIGHT,
                authors_weight=AUTHORS_WEIGHT,
            )
            .columns(column("doc_id", Integer), column("score", Float))
            .subquery("matched")
        )
        ranked = select(search_documents.c.paper_id, matched.c.score).join_from(
            matched, search_documents, search_documents.c.doc_id == matched.c.doc_id
        )
        if paper_filter.active:
            ranked = ranked.join(papers, papers.c.id == search_documents.c.paper_id).where(paper_filter.condition())
        ranked = ranked.order_by(matched.c.score, search_documents.c.paper_id).limit(limit)
        # FTS5 reports BM25 negated (smaller is better); hits carry the usual positive score.
        return [(paper_id, -score) for paper_id, score in connection.execute(ranked)]

    def _terms_after(self, connection, after, limit):
        rows = connection.execute(
            text("SELECT d.doc_id, d.length, c.c0, c.c1, c.c2 FROM search_documents AS d "
                 "JOIN search_fts_content AS c ON c.id = d.doc_id WHERE d.doc_id > :after ORDER BY d.doc_id LIMIT :n"),
            {"after": after, "n": limit},
        )
        documents = []
        for doc_id, length, *fields in rows:
            tokens = [(field or "").split() for field in fields]
            weights = [weight for weight, field in zip(_WEIGHTS, tokens) for _ in field]
            documents.append((doc_id, length, [term for field in tokens for term in field], weights))
        return documents

    def satisfying(self, connection, query, paper_ids):
        # Checked on the candidates' stored text, not by an FTS5 match: a phrase of common words
        # would have FTS5 walk their whole doclists, whatever few papers are asked about.
        if not (query.phrases or query.authors or query.excluded):
            return set(paper_ids)
        return set(self._meeting(connection, query, "paper_id", list(paper_ids)).values())

    def _add_terms(self, connection, documents):
        connection.execute(
            text("INSERT INTO search_fts (rowid, title, abstract, authors) VALUES (:doc_id, :title, :abstract, :authors)"),
            [
                {
                    "doc_id": doc_id,
                    "title": " ".join(indexed.title),
                    "abstract": " ".join(indexed.abstract),
                    "authors": " ".join(indexed.authors),
                }
                for doc_id, indexed in documents
            ],
        )
        self._count(connection, [(doc_id, indexed.distinct_terms, indexed.length) for doc_id, indexed in documents],
                    sign=1)

    def _remove_terms(self, connection, documents):
        # The full-text rows themselves go with the documents (the search_documents_delete trigger,
        # migration 0006); their terms leave the statistics here, read before they go.
        lengths = dict(documents)
        gone = []
        for start in range(0, len(documents), _CHUNK):
            rows = connection.execute(
                text("SELECT id, c0, c1, c2 FROM search_fts_content WHERE id IN :ids").bindparams(
                    bindparam("ids", [doc_id for doc_id, _ in documents[start : start + _CHUNK]], expanding=True)
                )
            )
            for doc_id, *fields in rows:
                gone.append((doc_id, set(" ".join(f or "" for f in fields).split()), lengths[doc_id]))
        self._count(connection, gone, sign=-1)

    def _upsert_frequencies(self, connection, changes):
        connection.execute(
            text("INSERT INTO search_term_stats (term, df) VALUES (:term, :df) "
                 "ON CONFLICT (term) DO UPDATE SET df = df + excluded.df"),
            [{"term": term, "df": n} for term, n in changes.items()],
        )

    def _required(self, query):
        parts = [_phrase(phrase) for phrase in query.phrases]
        parts += ["authors : (" + " AND ".join(_phrase((t,)) for t in author) + ")" for author in query.authors]
        return "(" + " AND ".join(parts) + ")"

    def _any_of(self, groups):
        return "(" + " OR ".join(_phrase(group) for group in groups) + ")"

    def _constrained_doc_ids(self, connection, query, cap):
        rows = connection.execute(
            text("SELECT rowid FROM search_fts WHERE search_fts MATCH :match LIMIT :cap"),
            {"match": self._required(query), "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)

    def _papers_meeting(self, connection, query, doc_ids):
        return self._meeting(connection, query, "doc_id", doc_ids)

    def _meeting(self, connection, query, key: str, ids: list) -> dict[int, str]:
        """doc id → paper id for the documents (by ``key``: doc_id or paper_id) meeting the
        constraints, as the engines match them (a phrase within one field, an author's words in the
        authors, no excluded word or phrase anywhere), in SQL: " phrase " found in " field " by
        instr(), since analyzed terms hold only letters and digits. No text leaves SQLite (about
        10 µs a candidate, half of reading it out); the needles are bound parameters."""
        params: dict[str, str] = {}

        def needle(terms) -> str:
            name = f"n{len(params)}"
            params[name] = f" {' '.join(terms)} "
            return name

        fields = [f"(' ' || coalesce(c.c{i}, '') || ' ')" for i in range(3)]

        def anywhere(terms) -> str:
            name = needle(terms)
            return "(" + " OR ".join(f"instr({field}, :{name}) > 0" for field in fields) + ")"

        conditions = [anywhere(phrase) for phrase in query.phrases]
        conditions += [f"instr({fields[2]}, :{needle((term,))}) > 0" for author in query.authors for term in author]
        conditions += [f"NOT {anywhere(group)}" for group in query.excluded]
        where = " AND ".join(conditions) or "1"
        found: dict[int, str] = {}
        for start in range(0, len(ids), _WIDE_CHUNK):
            rows = connection.execute(
                text("SELECT d.doc_id, d.paper_id FROM search_documents AS d JOIN search_fts_content AS c "
                     f"ON c.id = d.doc_id WHERE d.{key} IN :ids AND {where}").bindparams(
                    bindparam("ids", ids[start : start + _WIDE_CHUNK], expanding=True)
                ),
                params,
            )
            found.update((doc_id, paper_id) for doc_id, paper_id in rows)
        return found

    def _all_matching(self, connection, expression, cap):
        rows = connection.execute(
            text(
                "SELECT d.paper_id FROM search_fts JOIN search_documents AS d ON d.doc_id = search_fts.rowid "
                "WHERE search_fts MATCH :match LIMIT :cap"
            ),
            {"match": expression, "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)


def _stale(query):
    """``query`` over papers narrowed to those never indexed, or modified after their indexing."""
    return query.outerjoin(search_documents, search_documents.c.paper_id == papers.c.id).where(
        or_(search_documents.c.doc_id.is_(None), papers.c.modified_at > search_documents.c.indexed_at)
    )


def _phrase(terms: Sequence[str]) -> str:
    """An FTS5 phrase. Analyzed terms hold only letters and digits, so quoting cannot be escaped."""
    return '"' + " ".join(terms) + '"'


def keyword_index(database: Database) -> KeywordIndex:
    if database.is_sqlite:
        return SqliteKeywordIndex()
    from paperboard.adapters.search.keyword_pg import PostgresKeywordIndex

    return PostgresKeywordIndex()

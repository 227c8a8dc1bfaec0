"""The keyword leg: BM25 over title, abstract and authors, with field weights.

Both engines index the same analyzed terms (``paperboard.domain.analysis``) and rank with the same
BM25 (FTS5's constants k1 = 1.2, b = 0.75, its IDF and its column-weighted term frequency), so a
site moved from SQLite to PostgreSQL ranks alike. SQLite runs FTS5's ``bm25()``; PostgreSQL
(``keyword_pg``) computes the formula in SQL over a weighted ``tsvector``.

User text never reaches ``MATCH`` or ``tsquery`` as written: queries are built from analyzed terms
(letters and digits only) that this module quotes itself.

Bounded cost. BM25 must score every row that matches (FTS5: ~1.2 µs a row, and its ``bm25()``
walks each term's whole doclist once more to count it), and at a million papers a common word
matches hundreds of thousands. When the query's words match more than ``SCORING_BUDGET`` rows in
all, the leg scores instead a bounded candidate set, without the engine's ranking: every paper
holding one of the rarest words (as many words, rarest first, as hold at most ``RARE_BUDGET``
rows together), and the ``NEWEST`` papers holding all the words in the title, then anywhere. The
candidates get the very BM25 the engine would give them (``domain.bm25`` with document
frequencies and corpus totals kept in ``search_term_stats`` / ``search_corpus_stats``), and their
text is read back to count the words. A paper outside the candidates holds none of the rare
words, so the common words' largest possible contribution bounds its score: when the last hit
scores above that bound the ranking is exact (``KeywordHits.exact``); otherwise it is the best of
the candidates. Below the budget, the ranking is exact BM25 by the engine itself.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Connection, Float, Integer, bindparam, column, delete, func, insert, or_, select, text, update,
)

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import papers, search_documents
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
SCORING_BUDGET = 10_000  # matching rows the engine ranks itself (exact BM25)
RARE_BUDGET = 1_000  # above that: every paper holding the rarest words, up to this many rows...
NEWEST = 250  # ...and this many of the newest holding all the words (title first, then anywhere)
MAX_TERMS = 32  # a pasted abstract is searched by its first 32 distinct terms
# Part of every text hash: changing the analyzer re-indexes everything on the next catch-up.
ANALYZER_VERSION = "snowball-en-1"
_CHUNK = 500


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
        digest = hashlib.sha256(
            "\x1f".join((ANALYZER_VERSION, paper.title, paper.abstract, authors)).encode()
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
    exact: bool  # False: the best of a bounded candidate set, which may miss some (see module doc)


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
        connection.execute(
            insert(search_documents),
            [
                {
                    "paper_id": paper_id,
                    "title_key": texts[paper_id].title_key,
                    "length": texts[paper_id].length,
                    "text_hash": texts[paper_id].text_hash,
                    "indexed_at": now,
                }
                for paper_id in rewritten
            ],
        )
        ids = self._documents(connection, rewritten)
        self._add_terms(connection, [(ids[paper_id][0], texts[paper_id]) for paper_id in rewritten])
        return len(rewritten)

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
        self, connection: Connection, query: KeywordQuery, paper_filter: PaperFilter, limit: int
    ) -> KeywordHits:
        """The best ``limit`` papers by BM25 that satisfy the query's constraints and the filter."""
        if not query.terms or limit <= 0:
            return KeywordHits([], True)
        frequencies = self._document_frequencies(connection, query.terms)
        present = tuple(term for term in query.terms if frequencies.get(term, 0) > 0)
        if not present:
            return KeywordHits([], True)
        if sum(frequencies[term] for term in present) <= SCORING_BUDGET:
            return KeywordHits(self._rank(connection, query, present, paper_filter, limit), True)
        return self._bounded(connection, query, present, frequencies, paper_filter, limit)

    def _bounded(self, connection, query, present, frequencies, paper_filter, limit) -> KeywordHits:
        """Rank a bounded candidate set: every paper holding one of the rarest words, and the newest
        holding all of them (in the title, then anywhere); see the module doc."""
        by_rarity = sorted(present, key=lambda term: (frequencies[term], term))
        rare: list[str] = []
        for term in by_rarity:
            if sum(frequencies[t] for t in rare) + frequencies[term] > RARE_BUDGET:
                break
            rare.append(term)
        candidates: set[int] = set()
        if rare:
            candidates.update(self._matches(connection, query, rare, "any", paper_filter, RARE_BUDGET))
        for mode in ("title", "all"):
            candidates.update(self._matches(connection, query, present, mode, paper_filter, NEWEST))
        if len(candidates) < limit:
            candidates.update(self._matches(connection, query, present, "any", paper_filter, NEWEST))
        documents, average_length = self._corpus(connection)
        idfs = {term: bm25.idf(documents, frequencies[term]) for term in present}
        scored = [
            (paper_id, bm25.score(counts, length, idfs, average_length))
            for paper_id, length, counts in self._term_counts(connection, sorted(candidates), present)
        ]
        hits = sorted(scored, key=lambda hit: (-hit[1], hit[0]))[:limit]
        # A paper outside the candidates holds none of the rare words, so the common ones bound its
        # score: when the last hit beats that bound, no paper was missed.
        common = by_rarity[len(rare):]
        bound = bm25.upper_bound({term: idfs[term] for term in common})
        return KeywordHits(hits, not common or (len(hits) == limit and hits[-1][1] >= bound))

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

    def _matches(self, connection, query, terms, mode, paper_filter, cap) -> list[int]:
        """Doc ids, newest first (at most ``cap``), of papers holding ``terms``: ``any`` of them,
        ``all`` of them, or all of them in the ``title``; constraints and filter applied."""
        raise NotImplementedError

    def _term_counts(self, connection, doc_ids, terms) -> Iterable[tuple[str, int, dict[str, float]]]:
        """(paper id, analyzed length, weighted count of each of ``terms`` it holds) per doc id."""
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

    def _expression(self, query: KeywordQuery, terms, mode: str) -> str:
        joiner = " OR " if mode == "any" else " AND "
        expression = "(" + joiner.join(_phrase((t,)) for t in terms) + ")"
        if mode == "title":
            expression = f"title : {expression}"
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
                match=self._expression(query, terms, "any"),
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

    def _matches(self, connection, query, terms, mode, paper_filter, cap):
        # No bm25() here: FTS5 walks the doclists newest first and stops at the cap, scoring nothing.
        expression = self._expression(query, terms, mode)
        if not paper_filter.active:
            rows = connection.execute(
                text("SELECT rowid FROM search_fts WHERE search_fts MATCH :match ORDER BY rowid DESC LIMIT :cap"),
                {"match": expression, "cap": cap},
            )
            return list(rows.scalars())
        matched = (
            text("SELECT rowid AS doc_id FROM search_fts WHERE search_fts MATCH :match")
            .bindparams(match=expression)
            .columns(column("doc_id", Integer))
            .subquery("matched")
        )
        query_ = (
            select(matched.c.doc_id)
            .join_from(matched, search_documents, search_documents.c.doc_id == matched.c.doc_id)
            .join(papers, papers.c.id == search_documents.c.paper_id)
            .where(paper_filter.condition())
            .order_by(matched.c.doc_id.desc())
            .limit(cap)
        )
        return list(connection.execute(query_).scalars())

    def _term_counts(self, connection, doc_ids, terms):
        needles = [(term, f" {term} ") for term in terms]
        for start in range(0, len(doc_ids), _CHUNK):
            rows = connection.execute(
                text(
                    "SELECT d.paper_id, d.length, c.c0, c.c1, c.c2 FROM search_documents AS d "
                    "JOIN search_fts_content AS c ON c.id = d.doc_id WHERE d.doc_id IN :ids"
                ).bindparams(bindparam("ids", doc_ids[start : start + _CHUNK], expanding=True))
            )
            for paper_id, length, *fields in rows:
                fields = [value or "" for value in fields]
                # One substring probe rules most words out; only a present word splits the fields.
                joined = f" {fields[0]} \n {fields[1]} \n {fields[2]} "
                tokens = None
                counts = {}
                for term, needle in needles:
                    if needle not in joined:
                        continue
                    if tokens is None:
                        tokens = [field.split() for field in fields]
                    counts[term] = sum(weight * field.count(term) for weight, field in zip(_WEIGHTS, tokens))
                yield paper_id, length, counts

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

    def _matching_among(self, connection, expression, paper_ids):
        # One pass over the expression's matches (no ranking, so cheap) per chunk of candidates.
        found: set[str] = set()
        for start in range(0, len(paper_ids), 1000):
            chunk = paper_ids[start : start + 1000]
            marks = ", ".join(f":p{i}" for i in range(len(chunk)))
            rows = connection.execute(
                text(
                    f"SELECT d.paper_id FROM search_documents AS d WHERE d.paper_id IN ({marks}) "
                    "AND d.doc_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :match)"
                ),
                {"match": expression, **{f"p{i}": paper_id for i, paper_id in enumerate(chunk)}},
            )
            found.update(rows.scalars())
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

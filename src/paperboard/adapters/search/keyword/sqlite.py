"""The keyword index on SQLite: FTS5 over the analyzed terms, ranked by its own ``bm25()``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, Integer, bindparam, column, select, text

import paperboard.adapters.search.keyword.authors as authors
from paperboard.adapters.search.keyword.base import KeywordIndex
from paperboard.adapters.search.keyword.terms import (
    ABSTRACT_WEIGHT,
    AUTHORS_WEIGHT,
    CHUNK,
    TITLE_WEIGHT,
    WEIGHTS,
    WIDE_CHUNK,
    KeywordQuery,
)
from paperboard.adapters.store.schema import papers, search_documents


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

    def _rank_native(self, connection, query, terms, paper_filter, limit):
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

    def _term_counts(self, connection, terms, paper_ids):
        wanted = set(terms)
        counts: dict[str, tuple[int, dict[str, float]]] = {}
        for start in range(0, len(paper_ids), WIDE_CHUNK):
            rows = connection.execute(
                text("SELECT d.paper_id, d.length, c.c0, c.c1, c.c2 FROM search_documents AS d "
                     "JOIN search_fts_content AS c ON c.id = d.doc_id WHERE d.paper_id IN :ids")
                .bindparams(bindparam("ids", list(paper_ids[start : start + WIDE_CHUNK]), expanding=True))
            )
            for paper_id, length, *fields in rows:
                found: dict[str, float] = {}
                for weight, field in zip(WEIGHTS, fields):
                    for term in (field or "").split():
                        if term in wanted:
                            found[term] = found.get(term, 0.0) + weight
                counts[paper_id] = (length, found)
        return counts

    def _terms_after(self, connection, after, limit):
        rows = connection.execute(
            text("SELECT d.doc_id, d.length, c.c0, c.c1, c.c2 FROM search_documents AS d "
                 "JOIN search_fts_content AS c ON c.id = d.doc_id WHERE d.doc_id > :after ORDER BY d.doc_id LIMIT :n"),
            {"after": after, "n": limit},
        )
        documents = []
        for doc_id, length, *fields in rows:
            tokens = [(field or "").split() for field in fields]
            weights = [weight for weight, field in zip(WEIGHTS, tokens) for _ in field]
            documents.append((doc_id, length, [term for field in tokens for term in field], weights))
        return documents

    def _meeting_words(self, connection, query, paper_ids):
        # Checked on the candidates' stored text, not by an FTS5 match: a phrase of common words
        # would have FTS5 walk their whole doclists, whatever few papers are asked about.
        if not (query.phrases or query.authors or query.excluded):
            return set(paper_ids)
        return set(self._meeting(connection, query, "paper_id", list(paper_ids)).values())

    def _add_terms(self, connection, documents):
        # The driver's executemany: SQLAlchemy's per-row parameter handling cost as much as FTS5.
        connection.exec_driver_sql(
            "INSERT INTO search_fts (rowid, title, abstract, authors) VALUES (?, ?, ?, ?)",
            [
                (doc_id, " ".join(indexed.title), " ".join(indexed.abstract), " ".join(indexed.authors))
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
        for start in range(0, len(documents), CHUNK):
            rows = connection.execute(
                text("SELECT id, c0, c1, c2 FROM search_fts_content WHERE id IN :ids").bindparams(
                    bindparam("ids", [doc_id for doc_id, _ in documents[start : start + CHUNK]], expanding=True)
                )
            )
            for doc_id, *fields in rows:
                gone.append((doc_id, set(" ".join(f or "" for f in fields).split()), lengths[doc_id]))
        self._count(connection, gone, sign=-1)

    def _upsert_frequencies(self, connection, changes):
        connection.exec_driver_sql(
            "INSERT INTO search_term_stats (term, df) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
            list(changes.items()),
        )

    def _required(self, query):
        parts = [_phrase(phrase) for phrase in query.phrases]
        parts += ["authors : (" + " AND ".join(_phrase((t,)) for t in author) + ")" for author in query.authors]
        return "(" + " AND ".join(parts) + ")"

    def _any_of(self, groups):
        return "(" + " OR ".join(_phrase(group) for group in groups) + ")"

    def _listed_doc_ids(self, connection, query, cap):
        rows = connection.execute(
            text("SELECT rowid FROM search_fts WHERE search_fts MATCH :match LIMIT :cap"),
            {"match": self._required(query), "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)

    def _papers_meeting(self, connection, query, doc_ids):
        return authors.named_docs(connection, query, self._meeting(connection, query, "doc_id", doc_ids))

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
        for start in range(0, len(ids), WIDE_CHUNK):
            rows = connection.execute(
                text("SELECT d.doc_id, d.paper_id FROM search_documents AS d JOIN search_fts_content AS c "
                     f"ON c.id = d.doc_id WHERE d.{key} IN :ids AND {where}").bindparams(
                    bindparam("ids", ids[start : start + WIDE_CHUNK], expanding=True)
                ),
                params,
            )
            found.update((doc_id, paper_id) for doc_id, paper_id in rows)
        return found

    def _all_matching(self, connection, expression, cap):
        # Counted first, in FTS5 alone: a phrase in more papers than asked for ("language model",
        # 6,887 of the sample's) is known for 0.8 ms instead of listed and joined for 3.5-9.
        matched = connection.execute(
            text("SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :match LIMIT :cap)"),
            {"match": expression, "cap": cap + 1},
        ).scalar_one()
        if matched > cap:
            return None
        rows = connection.execute(
            text(
                "SELECT d.paper_id FROM search_fts JOIN search_documents AS d ON d.doc_id = search_fts.rowid "
                "WHERE search_fts MATCH :match LIMIT :cap"
            ),
            {"match": expression, "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)


def _phrase(terms: Sequence[str]) -> str:
    """An FTS5 phrase. Analyzed terms hold only letters and digits, so quoting cannot be escaped."""
    return '"' + " ".join(terms) + '"'

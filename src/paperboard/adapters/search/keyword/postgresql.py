"""The keyword leg on PostgreSQL: FTS5's BM25, computed in SQL over weighted tsvectors.

``ts_rank`` is not BM25 (no IDF, no length saturation; about 60 % of BM25's nDCG on SciFact), so
it is not used. Each paper's analyzed terms are stored as a tsvector whose position labels say
the field (A title, B abstract, C authors); a GIN index finds the matching rows; the score is
FTS5's formula with the same constants, document frequencies and corpus totals kept beside it.
Differences from SQLite, on purpose small: a quoted phrase or an author filter constrains which
papers match but adds no score of its own here (FTS5 also scores them as extra phrases).
"""

from __future__ import annotations

from sqlalchemy import Float, String, bindparam, column, select, text
from sqlalchemy.dialects.postgresql import ARRAY

import paperboard.adapters.search.keyword.ranking as ranking
import paperboard.adapters.search.keyword.statistics as statistics
from paperboard.adapters.search.keyword.base import KeywordIndex
from paperboard.adapters.search.keyword.terms import (
    ABSTRACT_WEIGHT,
    AUTHORS_WEIGHT,
    K1,
    TITLE_WEIGHT,
    B,
)
from paperboard.adapters.store.schema import papers, search_documents
from paperboard.domain import bm25

# tsvector keeps positions 1..16383 and at most 256 per lexeme; term frequency saturates long
# before either matters.
_MAX_POSITION = 16383
_MAX_POSITIONS_PER_TERM = 255
_LABELS = (("title", "A"), ("abstract", "B"), ("authors", "C"))


# PostgreSQL's SQL BM25 unnests every matching row's tsvector: ~70 µs a row on the sample
# (bench/search_latency.py sample on PostgreSQL: 1,500 rows took 100-140 ms), so the postings
# take over from 200 rows, where FTS5 goes on to 2,000.
PG_SCORING_BUDGET = 200


class PostgresKeywordIndex(KeywordIndex):
    def _scoring_budget(self) -> int:
        return min(ranking.SCORING_BUDGET, PG_SCORING_BUDGET)

    def _expression(self, query, terms) -> str:
        expression = "(" + " | ".join(_lexeme(t) for t in terms) + ")"
        if query.phrases or query.authors:
            expression = f"{expression} & {self._required(query)}"
        if query.excluded:
            expression = f"{expression} & !{self._any_of(query.excluded)}"
        return expression

    def _rank_native(self, connection, query, terms, paper_filter, limit):
        documents, average_length = statistics.corpus(connection)
        frequencies = statistics.document_frequencies(connection, terms)
        idfs = [bm25.idf(documents, frequencies.get(term, 0)) for term in terms]
        scored = text(
            "WITH matched AS (SELECT t.doc_id, t.terms FROM search_terms_pg AS t "
            "WHERE t.terms @@ CAST(:expression AS tsquery)), "
            "weights AS (SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:idfs AS float8[])) AS w(term, idf)) "
            "SELECT m.doc_id, sum(w.idf * f.tf * (:k1 + 1) / (f.tf + :k1 * (1 - :b + :b * d.length / :avgdl))) AS score "
            "FROM matched AS m JOIN search_documents AS d ON d.doc_id = m.doc_id "
            "CROSS JOIN LATERAL (SELECT u.lexeme, (SELECT sum(CASE l WHEN 'A' THEN :title_weight "
            "WHEN 'B' THEN :abstract_weight ELSE :authors_weight END) FROM unnest(u.weights) AS l) AS tf "
            "FROM unnest(m.terms) AS u WHERE u.lexeme = ANY(CAST(:terms AS text[]))) AS f "
            "JOIN weights AS w ON w.term = f.lexeme GROUP BY m.doc_id"
        ).bindparams(
            bindparam("terms", list(terms), type_=ARRAY(String)),
            bindparam("idfs", idfs, type_=ARRAY(Float)),
            expression=self._expression(query, terms),
            k1=K1,
            b=B,
            avgdl=average_length,
            title_weight=TITLE_WEIGHT,
            abstract_weight=ABSTRACT_WEIGHT,
            authors_weight=AUTHORS_WEIGHT,
        )
        matched = scored.columns(column("doc_id"), column("score", Float)).subquery("scored")
        ranked = select(search_documents.c.paper_id, matched.c.score).join_from(
            matched, search_documents, search_documents.c.doc_id == matched.c.doc_id
        )
        if paper_filter.active:
            ranked = ranked.join(papers, papers.c.id == search_documents.c.paper_id).where(paper_filter.condition())
        ranked = ranked.order_by(matched.c.score.desc(), search_documents.c.paper_id).limit(limit)
        return [(paper_id, float(score)) for paper_id, score in connection.execute(ranked)]

    def _term_counts(self, connection, terms, paper_ids):
        counts: dict[str, tuple[int, dict[str, float]]] = {}
        for start in range(0, len(paper_ids), ranking.WIDE_CHUNK):
            rows = connection.execute(
                text(
                    "SELECT d.paper_id, d.length, u.lexeme, array_to_string(u.weights, '') "
                    "FROM search_documents AS d LEFT JOIN search_terms_pg AS t ON t.doc_id = d.doc_id "
                    "LEFT JOIN LATERAL (SELECT * FROM unnest(t.terms) AS v WHERE v.lexeme = ANY(:terms)) AS u ON true "
                    "WHERE d.paper_id = ANY(:ids)"
                ).bindparams(bindparam("terms", list(terms), type_=ARRAY(String)),
                             bindparam("ids", list(paper_ids[start : start + ranking.WIDE_CHUNK]), type_=ARRAY(String)))
            )
            for paper_id, length, lexeme, labels in rows:
                found = counts.setdefault(paper_id, (length, {}))[1]
                if lexeme is not None:
                    found[lexeme] = _weighted_count(labels)
        return counts

    def _terms_after(self, connection, after, limit):
        # A left join: a document with no terms still moves the postings' watermark past it.
        rows = connection.execute(
            text(
                "WITH batch AS (SELECT doc_id, length FROM search_documents WHERE doc_id > :after "
                "ORDER BY doc_id LIMIT :n) SELECT b.doc_id, b.length, u.lexeme, array_to_string(u.weights, '') "
                "FROM batch AS b LEFT JOIN search_terms_pg AS t ON t.doc_id = b.doc_id "
                "LEFT JOIN LATERAL unnest(t.terms) AS u ON true ORDER BY b.doc_id"
            ),
            {"after": after, "n": limit},
        )
        documents: dict[int, tuple[int, int, list[str], list[float]]] = {}
        for doc_id, length, lexeme, labels in rows:
            document = documents.setdefault(doc_id, (doc_id, length, [], []))
            if lexeme is not None:
                document[2].append(lexeme)
                document[3].append(_weighted_count(labels))
        return list(documents.values())

    def _add_terms(self, connection, documents):
        rows = []
        for doc_id, indexed in documents:
            positions: dict[str, list[str]] = {}
            position = 1
            for field, label in _LABELS:
                for term in getattr(indexed, field):
                    slots = positions.setdefault(term, [])
                    if len(slots) < _MAX_POSITIONS_PER_TERM:
                        slots.append(f"{min(position, _MAX_POSITION)}{label}")
                    position += 1
                position += 1  # a gap between fields, so no phrase runs across two of them
            literal = " ".join(f"{_lexeme(term)}:{','.join(slots)}" for term, slots in positions.items())
            rows.append({"doc_id": doc_id, "terms": literal})
        if rows:
            # COPY, in the caller's transaction: the tsvector literal is the column's text input.
            cursor = connection.connection.driver_connection.cursor()
            with cursor, cursor.copy("COPY search_terms_pg (doc_id, terms) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["doc_id"], row["terms"]))
        self._count(connection, [(doc_id, indexed.distinct_terms, indexed.length) for doc_id, indexed in documents],
                    sign=1)

    def _remove_terms(self, connection, documents):
        lengths = dict(documents)
        rows = connection.execute(
            text("SELECT doc_id, tsvector_to_array(terms) FROM search_terms_pg WHERE doc_id = ANY(:ids)"),
            {"ids": list(lengths)},
        )
        self._count(connection, [(doc_id, terms, lengths[doc_id]) for doc_id, terms in rows], sign=-1)

    def _upsert_frequencies(self, connection, changes):
        terms = sorted(changes)
        connection.execute(
            text(
                "INSERT INTO search_term_stats (term, df) SELECT * FROM unnest(CAST(:terms AS text[]), "
                "CAST(:counts AS integer[])) ON CONFLICT (term) DO UPDATE "
                "SET df = search_term_stats.df + EXCLUDED.df"
            ),
            {"terms": terms, "counts": [changes[t] for t in terms]},
        )

    def _required(self, query):
        parts = [_phrase(phrase) for phrase in query.phrases]
        parts += ["(" + " & ".join(f"{_lexeme(t)}:C" for t in author) + ")" for author in query.authors]
        return "(" + " & ".join(parts) + ")"

    def _any_of(self, groups):
        return "(" + " | ".join(_phrase(group) for group in groups) + ")"

    def _matching_among(self, connection, expression, paper_ids):
        rows = connection.execute(
            text("SELECT d.paper_id FROM search_documents AS d JOIN search_terms_pg AS t ON t.doc_id = d.doc_id "
                 "WHERE d.paper_id = ANY(:ids) AND t.terms @@ CAST(:expression AS tsquery)"),
            {"ids": list(paper_ids), "expression": expression},
        )
        return set(rows.scalars())

    def _listed_doc_ids(self, connection, query, cap):
        rows = connection.execute(
            text("SELECT doc_id FROM search_terms_pg WHERE terms @@ CAST(:expression AS tsquery) LIMIT :cap"),
            {"expression": self._required(query), "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)

    def _all_matching(self, connection, expression, cap):
        rows = connection.execute(
            text("SELECT d.paper_id FROM search_terms_pg AS t JOIN search_documents AS d ON d.doc_id = t.doc_id "
                 "WHERE t.terms @@ CAST(:expression AS tsquery) LIMIT :cap"),
            {"expression": expression, "cap": cap + 1},
        ).scalars().all()
        return None if len(rows) > cap else list(rows)


def _weighted_count(labels: str) -> float:
    """A lexeme's term frequency from its positions' labels (A title, B abstract, else authors)."""
    titles, abstracts = labels.count("A"), labels.count("B")
    return TITLE_WEIGHT * titles + ABSTRACT_WEIGHT * abstracts + AUTHORS_WEIGHT * (len(labels) - titles - abstracts)


def _lexeme(term: str) -> str:
    """A tsquery/tsvector lexeme; analyzed terms hold only letters and digits, nothing to escape."""
    return f"'{term}'"


def _phrase(terms) -> str:
    return "(" + " <-> ".join(_lexeme(t) for t in terms) + ")"

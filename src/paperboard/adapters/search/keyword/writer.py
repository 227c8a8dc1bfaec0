"""Writing the keyword index: documents in, statistics kept, doc ids never reused.

A paper is indexed as its analyzed title, abstract and authors (``IndexedText``) under a doc id;
re-indexing a changed paper gives it a new doc id (the postings load "doc ids above the last
seen"), and the term statistics follow every document in and out in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, or_, select, text, update

from paperboard.adapters.search.keyword.terms import CHUNK, IndexedText
from paperboard.adapters.store.papers import bulk_insert, utcnow
from paperboard.adapters.store.schema import papers, search_documents
from paperboard.domain.paper import Paper
from paperboard.domain.titles import pinned_order, title_key


class IndexWriter:
    """The writing half of an engine; the engine supplies how its terms are stored."""

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
        for start in range(0, len(unchanged), CHUNK):
            chunk = unchanged[start : start + CHUNK]
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
        doc_ids = {paper_id: first + offset for offset, paper_id in enumerate(rewritten)}
        bulk_insert(
            connection,
            search_documents,
            [
                {
                    "doc_id": doc_ids[paper_id],
                    "paper_id": paper_id,
                    "title_key": texts[paper_id].title_key,
                    "length": texts[paper_id].length,
                    "text_hash": texts[paper_id].text_hash,
                    "indexed_at": now,
                }
                for paper_id in rewritten
            ],
        )
        self._add_terms(connection, [(doc_ids[paper_id], texts[paper_id]) for paper_id in rewritten])
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
        query = stale(select(papers.c.id)).where(papers.c.id > after).order_by(papers.c.id).limit(limit)
        return list(connection.execute(query).scalars())

    def count_stale(self, connection: Connection) -> int:
        """How many papers the next catch-up will index (for its progress bar)."""
        return connection.execute(stale(select(func.count()).select_from(papers))).scalar_one()

    def title_matches(self, connection: Connection, title: str) -> list[str]:
        """The papers whose title ``title`` is, exactly or nearly (``domain.titles``), closest first."""
        key = title_key(title)
        if not key:
            return []
        query = (
            select(search_documents.c.paper_id, papers.c.title)
            .join(papers, papers.c.id == search_documents.c.paper_id)
            .where(search_documents.c.title_key == key)
        )
        return pinned_order(title, connection.execute(query).all())

    def _documents(self, connection: Connection, paper_ids: list[str]) -> dict[str, tuple[int, int, str]]:
        found: dict[str, tuple[int, int, str]] = {}
        columns = (search_documents.c.paper_id, search_documents.c.doc_id, search_documents.c.length,
                   search_documents.c.text_hash)
        for start in range(0, len(paper_ids), CHUNK):
            chunk = paper_ids[start : start + CHUNK]
            for paper_id, doc_id, length, text_hash in connection.execute(
                select(*columns).where(search_documents.c.paper_id.in_(chunk))
            ):
                found[paper_id] = (doc_id, length, text_hash)
        return found

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
    def _upsert_frequencies(self, connection: Connection, changes: dict[str, int]) -> None:
        raise NotImplementedError

    def _add_terms(self, connection: Connection, documents: list[tuple[int, IndexedText]]) -> None:
        raise NotImplementedError

    def _remove_terms(self, connection: Connection, documents: list[tuple[int, int]]) -> None:
        raise NotImplementedError


def stale(query):
    """``query`` over papers narrowed to those never indexed, or modified after their indexing."""
    return query.outerjoin(search_documents, search_documents.c.paper_id == papers.c.id).where(
        or_(search_documents.c.doc_id.is_(None), papers.c.modified_at > search_documents.c.indexed_at)
    )

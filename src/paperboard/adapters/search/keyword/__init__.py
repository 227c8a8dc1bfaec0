"""The keyword leg: BM25 over title, abstract and authors, with field weights, on either engine.

Both engines index the same analyzed terms (``paperboard.domain.analysis``) and rank with the same
BM25 (FTS5's constants k1 = 1.2, b = 0.75, its IDF and its column-weighted term frequency), so a
site moved from SQLite to PostgreSQL ranks alike. SQLite runs FTS5's ``bm25()`` (``sqlite``);
PostgreSQL computes the formula in SQL over a weighted ``tsvector`` (``postgresql``).

- ``terms``: what is indexed and asked (``IndexedText``, ``KeywordQuery``), weights and constants;
- ``writer``: documents in and out, doc ids, and the statistics they move (``statistics``);
- ``ranking``: the engine's BM25, or the in-memory postings' for common words, and constraints;
- ``sqlite``, ``postgresql``: what differs between the engines.
"""

from __future__ import annotations

from paperboard.adapters.search.keyword.base import KeywordIndex
from paperboard.adapters.search.keyword.postgresql import PostgresKeywordIndex
from paperboard.adapters.search.keyword.sqlite import SqliteKeywordIndex
from paperboard.adapters.search.keyword.terms import IndexedText, KeywordHits, KeywordQuery
from paperboard.adapters.store.database import Database


def keyword_index(database: Database) -> KeywordIndex:
    """The keyword index of this database's engine."""
    return SqliteKeywordIndex() if database.is_sqlite else PostgresKeywordIndex()


__all__ = ["IndexedText", "KeywordHits", "KeywordIndex", "KeywordQuery", "keyword_index"]

"""The keyword index of one engine: its writing half and its reading half together."""

from __future__ import annotations

from paperboard.adapters.search.keyword.ranking import KeywordRanking
from paperboard.adapters.search.keyword.writer import IndexWriter


class KeywordIndex(IndexWriter, KeywordRanking):
    """What ``SqliteKeywordIndex`` and ``PostgresKeywordIndex`` share; each supplies the ``_`` methods."""

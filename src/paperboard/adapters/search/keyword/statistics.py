"""The BM25 statistics both engines keep in the same two tables (migrations 0006 and 0008):
each term's document frequency (``search_term_stats``) and the corpus totals (``search_corpus_stats``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, text


def document_frequencies(connection: Connection, terms: Sequence[str]) -> dict[str, int]:
    rows = connection.execute(
        text("SELECT term, df FROM search_term_stats WHERE term IN :terms").bindparams(
            bindparam("terms", list(terms), expanding=True)
        )
    )
    return dict(rows.all())


def corpus(connection: Connection) -> tuple[int, float]:
    """How many documents, and their average length."""
    documents, total_length = connection.execute(
        text("SELECT documents, total_length FROM search_corpus_stats WHERE id = 1")
    ).one()
    return documents, (total_length / documents if documents else 1.0)

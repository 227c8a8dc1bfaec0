"""An ``author:`` filter's verdict, read from the papers' own author lists.

The engines find candidates by an author's words anywhere in a paper's indexed authors
(``KeywordQuery.authors``): necessary, not sufficient, since "Kang Liao" would then be any "Kang"
beside any "Liao". Whether one author of the paper bears the whole name is
``domain.author_names.AuthorName.matches``, asked here of the candidates' stored author lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from paperboard.adapters.search.keyword.terms import WIDE_CHUNK, KeywordQuery
from paperboard.adapters.store.schema import papers

# An author filter's candidates listed for each paper it may keep: the words of "Wei Wang" are in
# many more papers than the name is.
CANDIDATES_PER_MATCH = 4


def named(connection: Connection, query: KeywordQuery, paper_ids: Sequence[str]) -> set[str]:
    """Those of ``paper_ids`` with an author bearing each of the query's author names."""
    if not query.author_names:
        return set(paper_ids)
    kept: set[str] = set()
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), WIDE_CHUNK):
        rows = connection.execute(
            select(papers.c.id, papers.c.authors).where(papers.c.id.in_(ids[start : start + WIDE_CHUNK]))
        )
        kept.update(
            paper_id for paper_id, authors in rows
            if all(name.matches_any(authors or ()) for name in query.author_names)
        )
    return kept


def named_docs(connection: Connection, query: KeywordQuery, papers_of: dict[int, str]) -> dict[int, str]:
    """``papers_of`` (doc id → paper id) narrowed to the papers ``named`` keeps."""
    if not query.author_names or not papers_of:
        return papers_of
    kept = named(connection, query, list(papers_of.values()))
    return {doc_id: paper_id for doc_id, paper_id in papers_of.items() if paper_id in kept}

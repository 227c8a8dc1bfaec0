"""A search's whole match set, counted and paged: what ``services.search`` adds to its ranking.

A paper matches when it holds every word of the query (the keyword index's ``matches``: phrases,
authors, exclusions and filters as for ranking), when its vector is at least the similarity floor
from the query's (the vector index's ``above``, then the same constraints and filters), or when it
is among the ranked candidates a search shows first. The total is the size of that union, exact
unless the vector index is too large to compare every vector (then estimated, and said so).
Relevance shows the ranked candidates first and the rest after them; the other sorts order the
whole set (``domain.listing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordQuery
from paperboard.adapters.search.keyword.matching import KeywordMatches
from paperboard.domain import listing
from paperboard.domain.fusion import BOTH, KEYWORD, SEMANTIC
from paperboard.domain.query import Query
from paperboard.errors import UserError
from paperboard.services.context import AppContext


@dataclass
class MatchSet:
    head: list[str]  # the ranked candidates (pinned, fused), in their order
    keyword: KeywordMatches
    semantic: list[tuple[str, float]] = field(default_factory=list)  # at or above the floor, best first
    estimated: bool = False  # the semantic part was counted from a sample
    semantic_total: int = 0
    browsing: str | None = None  # browsing by filters: every paper's reason

    def __post_init__(self) -> None:
        self._keyword_set: set[str] | None = None  # made when a page reaches past the head
        self._semantic_ids = [paper_id for paper_id, _ in self.semantic]
        self._similarities: dict[str, float] | None = None  # made for the few cards shown
        self._bm25: dict[str, float] = {}
        others = list(dict.fromkeys([*self.head, *self._semantic_ids]))
        listed = listing.match_count(len(self.keyword), others, self.keyword.holding(others))
        # Estimated: the neighbours beyond those listed are counted from the sample's share.
        self.total = listed + max(0, self.semantic_total - len(self.semantic))

    def window(self, sort: str, offset: int, count: int) -> list[str]:
        """The paper ids of results ``offset`` to ``offset + count`` in ``sort`` order."""
        if sort == "relevance":
            keyword = self._keyword_ids if offset + count > len(self.head) else set()
            return listing.relevance_window(self.head, self._keyword_best, keyword, self._semantic_ids, offset, count)
        everything = list(dict.fromkeys([*self.head, *self.keyword.paper_ids, *self._semantic_ids]))
        return listing.newest_window(self.keyword.announced(everything), offset, count)

    def _keyword_best(self, depth: int) -> list[str]:
        best = self.keyword.best(depth)
        self._bm25.update(best)
        return [paper_id for paper_id, _score in best]

    @property
    def _keyword_ids(self) -> set[str]:
        if self._keyword_set is None:
            self._keyword_set = set(self.keyword.paper_ids)
        return self._keyword_set

    @property
    def _similarity(self) -> dict[str, float]:
        if self._similarities is None:
            self._similarities = dict(self.semantic)
        return self._similarities

    def reason(self, paper_id: str) -> str:
        """Why a paper past the ranked candidates is here."""
        if self.browsing:
            return self.browsing
        keyword, semantic = bool(self.keyword.holding([paper_id])), paper_id in self._similarity
        return BOTH if keyword and semantic else KEYWORD if keyword else SEMANTIC

    def score(self, paper_id: str) -> float:
        """Its BM25 score, for a keyword match ranked past the candidates, else its similarity (or 0)."""
        return self._bm25.get(paper_id, self._similarity.get(paper_id, 0.0))


def match_set(ctx: AppContext, connection, query: Query, kq: KeywordQuery, head: list[str], floor: float) -> MatchSet:
    """Every paper ``query`` matches: ``head``, all-words keyword matches, neighbours above ``floor``."""
    paper_filter = PaperFilter.of(query)
    keyword = ctx.keywords.matches(connection, kq, paper_filter, ctx.keyword_postings)
    semantic, total, exact = _neighbours(ctx, connection, query, kq, paper_filter, keyword, floor)
    return MatchSet(head, keyword, semantic, not exact, total)


def browse_set(ctx: AppContext, connection, query: Query, kq: KeywordQuery, reason: str) -> MatchSet:
    """No words, only filters (and authors, exclusions): every paper that passes, for ``reason``."""
    keyword = ctx.keywords.matches(connection, kq, PaperFilter.of(query), ctx.keyword_postings, every_paper=True)
    return MatchSet([], keyword, browsing=reason)


def _neighbours(ctx, connection, query: Query, kq: KeywordQuery, paper_filter: PaperFilter,
                keyword: KeywordMatches, floor: float) -> tuple[list[tuple[str, float]], int, bool]:
    """The papers at or above ``floor`` from the query's meaning that pass the filter and the
    constraints, best first; how many there are; whether that is exact."""
    try:
        embedder = ctx.embedder_if_ready()
    except UserError:  # no model installed: the ranking says so, words still work
        return [], 0, True
    if embedder is None or not query.free_text:
        return [], 0, True
    vectors = ctx.vector_index(embedder.model_id)
    vectors.sync(connection, graph_in_background=True)
    found = vectors.above(embedder.embed_query(query.free_text), floor)
    hits = found.hits
    if hits and (paper_filter.active or kq.constrains):
        passing = keyword.admit([paper_id for paper_id, _ in hits])
        hits = [hit for hit in hits if hit[0] in passing]
    total = len(hits) if found.exact else round(found.total * len(hits) / max(1, len(found.hits)))
    return hits, total, found.exact

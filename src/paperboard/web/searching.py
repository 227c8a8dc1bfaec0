"""What the site adds to the search service: the form's vocabulary (field names in URLs, the sort
menu's labels) and the number of results per page. The search itself, its filters' rules and the
cards it returns are the service's (``services.search``, ``domain.query.SearchFilters``).
"""

from __future__ import annotations

from paperboard.domain.query import SORTS, SearchFilters
from paperboard.services import search as search_service
from paperboard.services.context import AppContext
from paperboard.services.feed import FeedItem

PER_PAGE = 20
MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = search_service.MAX_PER_PAGE
SIMILAR_COUNT = 6
_SORT_LABELS = {"relevance": "Best match", "date": "Newest", "trending": "Trending"}
SORT_MENU = tuple((value, _SORT_LABELS[value]) for value in SORTS)


def filter_params(filters: SearchFilters) -> dict:
    """The filters as the form's URL parameters (empty ones left out by ``query_url``)."""
    return {
        "category": filters.category,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "until": filters.date_until.isoformat() if filters.date_until else None,
        "has_code": 1 if filters.has_code else None,
        "sort": None if filters.sort == "relevance" else filters.sort,
    }


def similar(ctx: AppContext, paper_id: str) -> list[FeedItem]:
    """Papers nearest in meaning to this one; an empty list when it has no vector yet."""
    return [hit.item for hit in search_service.similar_papers(ctx, paper_id, SIMILAR_COUNT)]

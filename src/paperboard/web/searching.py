"""Glue between the site and the search service: form filters, results with features, suggestions.

The search box takes the whole query language (``cat:cs.CL from:2026-03 has:code``); the form's
filter fields are passed beside the text and narrow it further, as the service defines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperboard.errors import UserError
from paperboard.services import feed
from paperboard.services import search as search_service
from paperboard.services.context import AppContext
from paperboard.services.feed import FeedItem

PER_PAGE = 20
MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = search_service.MAX_PER_PAGE
SIMILAR_COUNT = 6
SORTS = (("relevance", "Best match"), ("date", "Newest"), ("trending", "Trending"))
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    date_from: str | None = None
    date_until: str | None = None
    has_code: bool = False
    sort: str = "relevance"

    @classmethod
    def parse(cls, category, date_from, date_until, has_code: bool, sort: str | None) -> "Filters":
        category = (category or "").strip() or None
        if category is not None and not _CATEGORY.fullmatch(category):
            raise UserError(f"category must look like cs.CL or hep-th, got {category[:40]!r}")
        date_from = (date_from or "").strip() or None
        date_until = (date_until or "").strip() or None
        first = feed.parse_day(date_from) if date_from else None
        last = feed.parse_day(date_until) if date_until else None
        if first and last and first > last:
            raise UserError(f"the date range is empty: from {date_from} is after until {date_until}")
        sort = (sort or "relevance").strip()
        if sort not in {value for value, _ in SORTS}:
            raise UserError(f"sort must be one of {', '.join(v for v, _ in SORTS)}, got {sort[:40]!r}")
        return cls(category, date_from, date_until, bool(has_code), sort)

    def as_params(self) -> dict:
        return {
            "category": self.category,
            "from": self.date_from,
            "until": self.date_until,
            "has_code": 1 if self.has_code else None,
            "sort": None if self.sort == "relevance" else self.sort,
        }

    def as_search_arguments(self) -> dict:
        return {
            "categories": (self.category,) if self.category else (),
            "date_from": feed.parse_day(self.date_from) if self.date_from else None,
            "date_until": feed.parse_day(self.date_until) if self.date_until else None,
            "has_code": self.has_code,
            "sort": None if self.sort == "relevance" else self.sort,
        }

    @property
    def any(self) -> bool:
        return bool(self.category or self.date_from or self.date_until or self.has_code)


@dataclass(frozen=True)
class Hit:
    item: FeedItem
    snippet: object
    title: object
    reason: str

    @property
    def reason_label(self) -> str:
        return search_service.REASON_LABELS[self.reason]


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    message: str | None = None
    notes: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    if "\x00" in text:
        raise UserError("the search text contains a NUL character")
    return text.strip()


def run(ctx: AppContext, q: str, filters: Filters, *, page: int, per_page: int) -> Results:
    """Search ``q`` with ``filters``; the papers come back with their daily features."""
    found = search_service.search(ctx, _clean(q), page=page, per_page=per_page, **filters.as_search_arguments())
    features = feed.features_for(ctx, [hit.paper.id for hit in found.hits])
    items = feed.counted(ctx, [FeedItem(h.paper, features.get(h.paper.id)) for h in found.hits])
    hits = [Hit(item, h.snippet, h.title, h.reason) for item, h in zip(items, found.hits)]
    return Results(hits, found.total, found.message, list(found.notes))


def similar(ctx: AppContext, paper_id: str) -> list[FeedItem]:
    """Papers nearest in meaning to this one; an empty list when it has no vector yet."""
    found = search_service.similar_papers(ctx, paper_id, SIMILAR_COUNT)
    features = feed.features_for(ctx, [hit.paper.id for hit in found])
    return feed.counted(ctx, [FeedItem(hit.paper, features.get(hit.paper.id)) for hit in found])

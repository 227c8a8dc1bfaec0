"""RSS 2.0 and Atom feeds of the daily papers, trending and any search.

Atom carries titles and abstracts as ``type="text"``, which readers never interpret as HTML. RSS
readers *do* treat ``<description>`` as HTML, so there the abstract is HTML-escaped before the XML
layer escapes it again; a ``<script>`` in an abstract stays text in every reader.

Titles are plain text in both formats (the RSS Advisory Board's profile: no HTML in titles), so a
title once XML-decoded is the literal text, the channel's (which may hold a search or a member's
collection title) and the items' alike; the RSS channel's description is escaped like the items'. In RSS, ``&``, ``<`` and ``>`` in titles are written as hexadecimal character references,
the form the Board found read right by the widest range of readers, and never as markup.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timezone

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from paperboard.domain.query import SearchFilters
from paperboard.errors import UserError
from paperboard.services import feed
from paperboard.services import search as search_service
from paperboard.services import trending as trending_service
from paperboard.web import searching
from paperboard.web.rendering import CACHE_HEADER, paper_path, query_url, short_authors

router = APIRouter(tags=["feeds"])

FEED_SIZE = 50
_MEDIA = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


def feed_response(request: Request, fmt: str, title: str, page_path: str, subtitle: str, items,
                  paging: dict[str, str] | None = None) -> Response:
    """``paging``: link relation → path of the other pages of a paged feed (RFC 5005: first, prev,
    next, last), written in Atom; RSS has no place for them, its pages are reached by ``page``."""
    base = request.app.state.base_url
    generator = FeedGenerator()
    generator.id(base + page_path)
    generator.title(title)
    generator.link(href=base + page_path, rel="alternate")
    generator.link(href=base + str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""), rel="self")
    if fmt == "atom":
        for rel, path in (paging or {}).items():
            generator.link(href=base + path, rel=rel)
    generator.description(html.escape(subtitle) if fmt == "rss" else subtitle)  # RSS descriptions are HTML
    generator.language("en")
    newest = None
    for item in items:
        paper = item.paper
        entry = generator.add_entry(order="append")
        url = base + paper_path(paper.id)
        entry.id(url)
        entry.link(href=url)
        when = _timestamp(item)
        if when is not None:
            entry.published(when)
            entry.updated(when)
            newest = max(newest or when, when)
        abstract = paper.abstract
        trending = getattr(item, "trending", None)  # collection and search feeds carry no score
        if trending is not None:
            abstract = f"Why trending: {trending.explain()}\n\n{abstract}"
        if fmt == "rss":
            entry.title(paper.title)
            entry.description(html.escape(f"{short_authors(paper.authors)}. {abstract}" if paper.authors else abstract))
        else:
            entry.title(paper.title)
            entry.summary(abstract)
            for name in paper.authors[:20]:
                entry.author({"name": name})
        for category in paper.categories:
            entry.category(term=category)
    generator.updated(newest or datetime.now(timezone.utc))
    body = _hex_references_in_titles(generator.rss_str()) if fmt == "rss" else generator.atom_str()
    response = Response(body, media_type=_MEDIA[fmt])
    response.headers[CACHE_HEADER] = "1"
    response.headers["cache-control"] = "public, max-age=300"
    return response


_TITLE = re.compile(rb"<title>([^<]*)</title>")
_HEX_REFERENCES = {b"&amp;": b"&#x26;", b"&lt;": b"&#x3C;", b"&gt;": b"&#x3E;"}
_ESCAPED = re.compile(b"|".join(_HEX_REFERENCES))


def _hex_references_in_titles(rss: bytes) -> bytes:
    """The same document with ``&amp;``, ``&lt;`` and ``&gt;`` in titles as ``&#x26;``, ``&#x3C;``
    and ``&#x3E;``: XML reads both the same, and RSS readers that guess at escaped HTML don't."""
    return _TITLE.sub(lambda m: b"<title>" + _ESCAPED.sub(lambda e: _HEX_REFERENCES[e.group()], m.group(1)) + b"</title>", rss)


def _timestamp(item) -> datetime | None:
    day = item.feature.featured_on if item.feature else item.paper.announced
    if day is not None:
        return datetime.combine(day, time.min, tzinfo=timezone.utc)
    if item.paper.published is not None:
        return item.paper.published.replace(tzinfo=timezone.utc)
    return None


@router.get("/papers/feed.{fmt}", summary="Feed of the daily papers, or of a search when q is given")
async def papers_feed(
    request: Request,
    fmt: str,
    q: str | None = Query(None, max_length=searching.MAX_QUERY_CHARS),
    date: str | None = Query(None, max_length=10),
    week: str | None = Query(None, max_length=8),
    month: str | None = Query(None, max_length=7),
    category: str | None = Query(None, max_length=32),
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_until: str | None = Query(None, alias="until", max_length=10),
    has_code: bool = Query(False),
    sort: str = Query("relevance", max_length=16),
    page: int = Query(1, ge=1, le=search_service.MAX_PAGE, description=f"A search feed's page ({FEED_SIZE} papers each)."),
):
    fmt = feed_format(fmt)
    ctx = request.app.state.ctx
    if q is not None and q.strip():
        filters = SearchFilters.parse(category, date_from, date_until, has_code, sort)
        results = await run_in_threadpool(
            lambda: search_service.search(ctx, q.strip(), page=page, per_page=FEED_SIZE, filters=filters)
        )
        params = {"q": q.strip(), **searching.filter_params(filters)}
        page_path = query_url("/papers", params)

        def feed_page(number: int) -> str:
            return query_url(f"/papers/feed.{fmt}", {**params, "page": number if number > 1 else None})

        last = results.pages
        paging = {"first": feed_page(1), "last": feed_page(last)}
        if page > 1:
            paging["prev"] = feed_page(min(page - 1, last))
        if page < last:
            paging["next"] = feed_page(page + 1)
        return feed_response(
            request, fmt, f"{request.app.state.site_name} search: {q.strip()}", page_path,
            f"Papers matching “{q.strip()}”: {results.count_label}.", [hit.item for hit in results.hits], paging,
        )
    period = feed.choose_period(date, week, month)
    result = await run_in_threadpool(feed.daily, ctx, period, limit=FEED_SIZE)
    label = result.period.label if result.period else "the latest day"
    page_path = query_url("/papers", {"date": date, "week": week, "month": month})
    return feed_response(
        request, fmt, f"{request.app.state.site_name} daily papers: {label}", page_path, result.notice or f"Papers featured on {label}.", result.items
    )


@router.get("/papers/trending/feed.{fmt}", summary="Feed of the trending papers")
async def trending_feed(request: Request, fmt: str):
    fmt = feed_format(fmt)
    result = await run_in_threadpool(trending_service.trending, request.app.state.ctx, limit=FEED_SIZE)
    return feed_response(
        request, fmt, f"{request.app.state.site_name} trending papers", "/papers/trending", result.notice or "Papers the community is upvoting now.", result.items
    )


def feed_format(fmt: str) -> str:
    if fmt not in _MEDIA:
        raise UserError(f"feeds come as .rss or .atom, not .{fmt[:20]}")
    return fmt

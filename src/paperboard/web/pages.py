"""HTML pages: the daily feed (day, week, month), trending, search results, a paper, subscribing."""

from __future__ import annotations

import math

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.query import SearchFilters
from paperboard.errors import UserError
from paperboard.services import feed, subscriptions
from paperboard.services import search as search_service
from paperboard.services import trending as trending_service
from paperboard.services.ratelimit import RateLimited
from paperboard.web import paper_panel, searching
from paperboard.web.accounts import client_ip
from paperboard.web.errors import after_response, error_response
from paperboard.web.rendering import (
    CACHE_HEADER,
    page,
    paper_markdown,
    paper_path,
    query_url,
)

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)

PER_PAGE = 50
MAX_PAGE = search_service.MAX_PAGE  # a search pages through every match
_TEXT = {"max_length": 500}
_PREVIOUS_NEXT = {
    feed.DAY: lambda p: f"{p.start:%b} {p.start.day}",
    feed.WEEK: lambda p: f"Week {p.key[6:]}",
    feed.MONTH: lambda p: f"{p.start:%B %Y}",
}


def _ctx(request: Request):
    return request.app.state.ctx


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


@router.get("/", summary="The daily papers (same as /papers)")
@router.get("/papers", summary="Daily papers (date, week or month), or search results when q is given")
async def papers(
    request: Request,
    q: str | None = Query(None, max_length=searching.MAX_QUERY_CHARS, description="Search text; without it, the daily feed."),
    date: str | None = Query(None, max_length=10, description="Day, YYYY-MM-DD (default: the latest featured day)."),
    week: str | None = Query(None, max_length=8, description="ISO week, YYYY-Www."),
    month: str | None = Query(None, max_length=7, description="Month, YYYY-MM."),
    page_number: int = Query(1, alias="page", ge=1, le=MAX_PAGE),
    category: str | None = Query(None, max_length=32, description="Search filter: arXiv category."),
    date_from: str | None = Query(None, alias="from", max_length=10, description="Search filter: announced on or after."),
    date_until: str | None = Query(None, alias="until", max_length=10, description="Search filter: announced on or before."),
    has_code: bool = Query(False, description="Search filter: only papers with a code repository."),
    sort: str = Query("relevance", max_length=16, description="Search order: relevance, date or trending."),
):
    if q is not None and q.strip():
        filters = SearchFilters.parse(category, date_from, date_until, has_code, sort)
        return await run_in_threadpool(_search_page, request, q, filters, page_number)
    period = feed.choose_period(date, week, month)
    return await run_in_threadpool(_daily_page, request, period, page_number)


def _daily_page(request: Request, period, page_number: int):
    result = feed.daily(_ctx(request), period, offset=(page_number - 1) * PER_PAGE, limit=PER_PAGE)
    shown = result.period
    params = {"date": None, "week": None, "month": None}
    heading, title = "Daily Papers", "Daily papers"
    views = []
    if shown is not None:
        param = {feed.DAY: "date", feed.WEEK: "week", feed.MONTH: "month"}[shown.kind]
        params[param] = shown.key
        what = "Daily Papers" if result.featured else "New on arXiv"
        heading = f"{what} · {shown.label}"
        title = f"{'Papers' if result.featured else 'New on arXiv'} for {shown.label}"
        views = [
            (kind, label, query_url("/papers", {name: feed.period_of(kind, shown.start).key}))
            for kind, label, name in ((feed.DAY, "Day", "date"), (feed.WEEK, "Week", "week"), (feed.MONTH, "Month", "month"))
        ]

    def link(period):
        if period is None:
            return None
        name = {feed.DAY: "date", feed.WEEK: "week", feed.MONTH: "month"}[period.kind]
        return query_url("/papers", {name: period.key})

    def url_for_page(number: int) -> str:
        return query_url("/papers", {**params, "page": number if number > 1 else None})

    return page(
        request,
        "daily.html",
        title=title,
        canonical=url_for_page(page_number),
        description=f"{result.total} papers. " + (result.notice or ""),
        nav="daily",
        feed=result,
        heading=heading,
        views=views,
        previous_url=link(result.previous),
        previous_label=_PREVIOUS_NEXT[result.previous.kind](result.previous) if result.previous else "",
        next_url=link(result.next),
        next_label=_PREVIOUS_NEXT[result.next.kind](result.next) if result.next else "",
        page_number=page_number,
        pages=_pages(result.total, PER_PAGE),
        url_for_page=url_for_page,
        feed_rss=query_url("/papers/feed.rss", params),
        feed_atom=query_url("/papers/feed.atom", params),
    )


def _search_page(request: Request, q: str, filters: SearchFilters, page_number: int):
    results = search_service.search(_ctx(request), q.strip(), page=page_number, per_page=searching.PER_PAGE,
                                    filters=filters)
    params = {"q": q.strip(), **searching.filter_params(filters)}

    def url_for_page(number: int) -> str:
        return query_url("/papers", {**params, "page": number if number > 1 else None})

    return page(
        request,
        "search.html",
        title=f"Search: {q.strip()}",
        canonical=url_for_page(page_number),
        description=f"Papers about {q.strip()}",
        query_text=q.strip(),
        filters=filters,
        sorts=searching.SORT_MENU,
        results=results,
        page_number=page_number,
        pages=_pages(results.total, searching.PER_PAGE),
        url_for_page=url_for_page,
        feed_rss=query_url("/papers/feed.rss", params),
        feed_atom=query_url("/papers/feed.atom", params),
    )


@router.get("/papers/trending", summary="Trending papers")
def trending(request: Request, page_number: int = Query(1, alias="page", ge=1, le=MAX_PAGE)):
    result = trending_service.trending(_ctx(request), offset=(page_number - 1) * PER_PAGE, limit=PER_PAGE)

    def url_for_page(number: int) -> str:
        return query_url("/papers/trending", {"page": number if number > 1 else None})

    return page(
        request,
        "trending.html",
        title="Trending papers",
        canonical=url_for_page(page_number),
        description="Papers the research community is upvoting now.",
        nav="trending",
        trend=result,
        page_number=page_number,
        pages=_pages(result.total, PER_PAGE),
        url_for_page=url_for_page,
    )


@router.get("/about/trending", summary="How trending is computed, with this site's parameters")
def about_trending(request: Request):
    return page(
        request,
        "about_trending.html",
        title="How trending works",
        canonical="/about/trending",
        description="The trending score of this site: its signals, weights, decay and window, with a worked example.",
        nav="trending",
        about=trending_service.formula(_ctx(request)),
    )


@router.get("/subscribe", summary="The subscribe form on a page of its own")
def subscribe_page(request: Request):
    return page(
        request,
        "subscribed.html",
        title="Subscribe",
        canonical="/subscribe",
        heading="Get trending papers in your email inbox",
        message="Enter your address in the form above. You will be asked to confirm it before any mail is sent.",
    )


@router.post("/subscribe", summary="Subscribe an email address to the trending digest")
def subscribe(request: Request, background: BackgroundTasks, email: str = Form(..., max_length=1000)):
    try:
        result = subscriptions.subscribe(_ctx(request), email, ip=client_ip(request))
        if result.confirmation_owed:
            # Sent after the response has gone (and the row committed), never while the visitor waits.
            after_response(background, subscriptions.send_confirmation, _ctx(request), result.email)
    except RateLimited:
        raise  # 429 with Retry-After (web/errors.py), not the form's 400
    except UserError as error:
        return page(
            request, "subscribed.html", title="Subscribe", canonical="/subscribe", status=400, cache=False,
            heading="That address did not work", message=str(error),
        )
    return page(
        request, "subscribed.html", title="Subscribed", canonical="/subscribe", cache=False,
        heading="Thank you",
        message=f"{result.email} is on the list. Before the first digest you will get a mail asking you to "
        "confirm the address; nothing is sent until you do.",
    )


@router.get("/papers/{arxiv_id:path}", summary="One paper (HTML; markdown with .md or Accept: text/markdown)")
async def paper(request: Request, arxiv_id: str):
    as_markdown = arxiv_id.endswith(".md") or "text/markdown" in request.headers.get("accept", "")
    raw_id = arxiv_id[:-3] if arxiv_id.endswith(".md") else arxiv_id
    ctx = _ctx(request)
    try:
        paper_id = parse_arxiv_id(raw_id).base
    except InvalidArxivId:
        paper_id = raw_id if _looks_like_namespaced_id(raw_id) else None
        if paper_id is None:
            return _not_found(request, f"“{raw_id[:200]}” is not an arXiv id. arXiv ids look like 2401.01234 or hep-th/9901001.")
    if paper_id != raw_id:
        suffix = ".md" if arxiv_id.endswith(".md") else ""
        return RedirectResponse(paper_path(paper_id, suffix), status_code=301)
    item = await run_in_threadpool(feed.find_paper, ctx, paper_id)
    if item is None and ":" not in paper_id:
        outcome = await request.app.state.indexer.index(paper_id)
        if outcome.indexed:
            request.app.state.cache.invalidate()
            item = await run_in_threadpool(feed.find_paper, ctx, paper_id)
        if item is None:
            return _not_found(
                request,
                f"This site does not have arXiv:{paper_id} yet. {outcome.reason}",
                hint=f"The paper may be on arXiv: https://arxiv.org/abs/{paper_id}",
            )
    if item is None:
        return _not_found(request, f"This site has no paper {paper_id}.")
    if as_markdown:
        response = PlainTextResponse(paper_markdown(item.paper, item.feature, request.app.state.base_url, upvotes=item.upvotes), media_type="text/markdown; charset=utf-8")
        response.headers[CACHE_HEADER] = "1"
        response.headers["vary"] = "Accept"
        response.headers["x-content-type-options"] = "nosniff"
        return response
    similar = await run_in_threadpool(searching.similar, ctx, paper_id)
    community = await run_in_threadpool(paper_panel.for_paper, ctx, getattr(request.state, "member", None), item.paper)
    response = page(
        request,
        "paper.html",
        title=item.paper.title,
        canonical=paper_path(paper_id),
        description=item.paper.abstract,
        og_type="article",
        item=item,
        paper=item.paper,
        similar=similar,
        **community,
    )
    response.headers["vary"] = "Accept"
    return response


def _looks_like_namespaced_id(text: str) -> bool:
    namespace, _, local = text.partition(":")
    return bool(namespace and local and namespace.isalnum() and len(text) <= 64)


def _not_found(request: Request, message: str, hint: str | None = None):
    return error_response(request, 404, message, heading="Paper not found", hint=hint)

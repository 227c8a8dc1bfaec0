"""The JSON API, shaped like the Hugging Face Papers API so ``huggingface_hub.HfApi`` can read it.

Paths, parameters and field names follow what ``HfApi.list_daily_papers``, ``list_papers`` and
``paper_info`` send and what ``PaperInfo`` parses: a daily item is ``{"paper": {...}, "publishedAt":
<when it was featured>, "title", "summary", "submittedBy", ...}``; a paper is ``{"id", "authors":
[{"name"}], "publishedAt": <arXiv date>, "submittedOnDailyAt", "summary", "upvotes", ...}``. Dates
are ``YYYY-MM-DDTHH:MM:SS.000Z``, the one format that client parses. Extra fields
(``categories``, ``arxivUrl`` …) are ignored by that client and useful to everyone else.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from paperboard.adapters.store.feed import ORDER_NEWEST, ORDER_UPVOTES
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.links import safe_link, safe_links
from paperboard.services import feed
from paperboard.services import search as search_service
from paperboard.services import trending as trending_service
from paperboard.services.feed import FeedItem
from paperboard.web import searching
from paperboard.web.errors import error_response
from paperboard.web.rendering import CACHE_HEADER, query_url

router = APIRouter(prefix="/api", tags=["api"])

MAX_LIMIT = 100
MAX_SEARCH_LIMIT = searching.MAX_PER_PAGE
MAX_PAGE = 10_000
MAX_SEARCH_PAGE = search_service.MAX_PAGE - 1  # from 0: every match of a search can be reached


class AuthorJson(BaseModel):
    name: str
    hidden: bool = False


class UserJson(BaseModel):
    user: str
    fullname: str
    avatarUrl: str = ""
    type: str = "user"


class PaperJson(BaseModel):
    id: str
    title: str
    summary: str
    authors: list[AuthorJson]
    publishedAt: str | None = Field(None, description="When arXiv published the paper.")
    submittedOnDailyAt: str | None = Field(None, description="When the paper was featured on the daily feed.")
    submittedOnDailyBy: UserJson | None = None
    upvotes: int
    numComments: int = 0
    projectPage: str | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    categories: list[str] = []
    arxivUrl: str | None = None
    pdfUrl: str | None = None


class DailyPaperJson(BaseModel):
    paper: PaperJson
    publishedAt: str | None = Field(None, description="When the paper was featured (huggingface_hub: submitted_at).")
    title: str
    summary: str
    numComments: int = 0
    submittedBy: UserJson | None = None
    projectPage: str | None = None
    githubRepo: str | None = None
    githubStars: int | None = None


class SearchHitJson(DailyPaperJson):
    searchReason: str | None = Field(
        None, description="Why the paper matched: exact, keyword, semantic, both or filter (absent without a query)."
    )
    searchReasonLabel: str | None = Field(None, description="The same reason in words, as the search page shows it.")


class ErrorJson(BaseModel):
    error: str


def hf_time(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _user(name: str | None) -> dict | None:
    return {"user": name, "fullname": name, "avatarUrl": "", "type": "user"} if name else None


def paper_json(item: FeedItem) -> dict:
    """``upvotes`` counts members' upvotes and those imported with the daily feature together."""
    paper, feature, stars = item.paper, item.feature, item.stars
    return {
        "id": paper.id,
        "title": paper.title,
        "summary": paper.abstract,
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "publishedAt": hf_time(paper.published or paper.announced),
        "submittedOnDailyAt": hf_time(feature.featured_on) if feature else None,
        # A handle or nothing: a deleted member's submission has no user (pages say "a former member").
        "submittedOnDailyBy": _user(feature.member or feature.submitter) if feature else None,
        "upvotes": item.upvotes,
        "numComments": item.comment_count,
        "projectPage": safe_link(paper.project_url),
        "githubRepo": next(iter(safe_links(paper.code_urls)), None),
        "githubStars": stars,
        "categories": list(paper.categories),
        "arxivUrl": safe_link(paper.abs_url),
        "pdfUrl": safe_link(paper.pdf_url),
    }


def daily_json(item: FeedItem) -> dict:
    paper, stars = item.paper, item.stars
    inner = paper_json(item)
    return {
        "paper": inner,
        "publishedAt": inner["submittedOnDailyAt"],
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": item.comment_count,
        "submittedBy": inner["submittedOnDailyBy"],
        "projectPage": inner["projectPage"],
        "githubRepo": inner["githubRepo"],
        "githubStars": stars,
    }


def _json(data, *, cache: bool = True, notice: str | None = None) -> JSONResponse:
    """A JSON answer; ``notice`` (e.g. "nothing featured, these are announced papers") goes in a header
    because the huggingface_hub client expects a bare list."""
    response = JSONResponse(data)
    response.headers["cache-control"] = "public, max-age=60"
    if notice:
        response.headers["x-paperboard-notice"] = notice
    if cache:
        response.headers[CACHE_HEADER] = "1"
    return response


_ERRORS = {400: {"model": ErrorJson}, 404: {"model": ErrorJson}}


@router.get("/daily_papers", response_model=list[DailyPaperJson], responses=_ERRORS, summary="Daily papers")
def daily_papers(
    request: Request,
    date: str | None = Query(None, max_length=10, description="Day, YYYY-MM-DD (default: the latest featured day)."),
    week: str | None = Query(None, max_length=8, description="ISO week, YYYY-Www."),
    month: str | None = Query(None, max_length=7, description="Month, YYYY-MM."),
    submitter: str | None = Query(None, max_length=255, description="Only papers this user featured."),
    sort: Literal["publishedAt", "trending"] = Query("publishedAt", description="publishedAt (newest feature first) or trending."),
    p: int = Query(0, ge=0, le=MAX_PAGE, description="Page, from 0."),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description=f"Papers per page, 1 to {MAX_LIMIT}."),
):
    ctx = request.app.state.ctx
    period = feed.choose_period(date, week, month)
    if sort == "trending" and period is None and submitter is None:
        result = trending_service.trending(ctx, offset=p * limit, limit=limit)
        return _json([daily_json(i) for i in result.items], notice=result.notice)
    order = ORDER_UPVOTES if sort == "trending" else ORDER_NEWEST
    if period is None:
        result = feed.recent(ctx, offset=p * limit, limit=limit, order=order, submitter=submitter)
    else:
        result = feed.daily(ctx, period, offset=p * limit, limit=limit, order=order, submitter=submitter)
    return _json([daily_json(item) for item in result.items], notice=result.notice)


@router.get("/papers/search", response_model=list[SearchHitJson], responses=_ERRORS, summary="Search papers")
async def search_papers(
    request: Request,
    q: str | None = Query(None, max_length=searching.MAX_QUERY_CHARS, description="Search text (the query language of the site)."),
    limit: int = Query(50, ge=1, le=MAX_SEARCH_LIMIT, description=f"Papers per page, 1 to {MAX_SEARCH_LIMIT}."),
    p: int = Query(0, ge=0, le=MAX_SEARCH_PAGE, description="Page, from 0: a search pages through every match "
                   "(then an empty list). The headers X-Total-Count (with X-Total-Count-Estimated when it is "
                   "an estimate) and Link (rel next and prev) tell how far."),
):
    ctx = request.app.state.ctx
    if q is None or not q.strip():
        if p > MAX_PAGE:
            return error_response(request, 400, f"the latest papers go back {MAX_PAGE:,} pages; search to go further")
        result = await run_in_threadpool(lambda: feed.recent(ctx, offset=p * limit, limit=limit))
        return _json([daily_json(item) for item in result.items], notice=result.notice)
    results = await run_in_threadpool(lambda: search_service.search(ctx, q.strip(), page=p + 1, per_page=limit))
    response = _json([
        daily_json(hit.item) | {"searchReason": hit.reason, "searchReasonLabel": hit.reason_label}
        for hit in results.hits
    ])
    response.headers["x-total-count"] = str(results.total)
    if results.estimated:
        response.headers["x-total-count-estimated"] = "true"
    links = [(p - 1, "prev")] * (p > 0) + [(p + 1, "next")] * ((p + 1) * limit < results.total)
    if links:
        response.headers["link"] = ", ".join(
            f'<{query_url("/api/papers/search", {"q": q.strip(), "limit": limit, "p": page})}>; rel="{rel}"'
            for page, rel in links
        )
    return response


@router.get(
    "/papers/{arxiv_id:path}", response_model=PaperJson, responses=_ERRORS, summary="One paper by arXiv id"
)
async def paper_info(request: Request, arxiv_id: str):
    try:
        paper_id = parse_arxiv_id(arxiv_id).base
    except InvalidArxivId:
        return error_response(request, 404, f"{arxiv_id[:200]!r} is not an arXiv id (like 2401.01234 or hep-th/9901001).")
    item = await run_in_threadpool(feed.find_paper, request.app.state.ctx, paper_id)
    if item is None:
        return error_response(request, 404, f"Paper {paper_id} is not on this site.")
    return _json(paper_json(item))

"""Submitting papers to the daily feed (a page, the daily page's form, ``POST /api/papers/{id}/submit``)
and the administrators' feature/unfeature controls of the paper page.

An id this site does not hold is fetched from arXiv on demand (``web.ondemand``) and the
submission tried again; when that fails the member reads why. Refusals carry the status that fits:
409 for a paper already featured, 429 (with ``Retry-After``) over the daily quota, 400 otherwise.
"""

from __future__ import annotations


from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from paperboard.domain.days import parse_day
from paperboard.errors import UserError
from paperboard.services import ratelimit, submissions
from paperboard.services.ratelimit import RateLimited
from paperboard.services.submissions import UnknownPaper
from paperboard.web.auth import Member, api_member, require_member, require_role
from paperboard.web.errors import error_response
from paperboard.web.rendering import page, paper_path, query_url

router = APIRouter(tags=["community"], default_response_class=HTMLResponse)

_ID_FIELD = {"max_length": 200}


class NotVerified(UserError):
    """Community writes wait until the member has confirmed their email address."""

    status = 403


def _ctx(request: Request):
    return request.app.state.ctx


def require_verified(member: Member) -> None:
    if not member.email_verified:
        raise NotVerified("Please confirm your email address first (see your account page for a new link).")


def refusal_status(error: UserError) -> int:
    return getattr(error, "status", 400)


async def submit_with_fetch(request: Request, member: Member, text: str) -> submissions.Submission:
    """Submit; an id the site lacks is fetched from arXiv once and the submission tried again."""
    require_verified(member)
    ctx = _ctx(request)
    await run_in_threadpool(ratelimit.check, ctx, "submit", str(member.id))
    try:
        result = await run_in_threadpool(submissions.submit, ctx, member.id, text)
    except UnknownPaper as unknown:
        outcome = await request.app.state.indexer.index(unknown.paper_id)
        if not outcome.indexed:
            reason = f"This site does not have arXiv:{unknown.paper_id} and could not fetch it. {outcome.reason}"
            raise UserError(reason) from None
        result = await run_in_threadpool(submissions.submit, ctx, member.id, text)
    request.app.state.cache.invalidate()  # this process's cached daily pages predate the feature
    return result


def _with_retry_after(response, error: UserError):
    wait = getattr(error, "retry_after", None)
    if wait:
        response.headers["retry-after"] = str(wait)
    return response


@router.get("/papers/submit", summary="The form to submit a paper to the daily feed")
def submit_page(request: Request):
    return _submit_form(request, status=200)


def _submit_form(request: Request, *, status: int, error: str | None = None, arxiv_id: str = ""):
    rules = submissions.rules(_ctx(request))
    return page(
        request, "submit.html", title="Submit a paper", canonical="/papers/submit", status=status, cache=False,
        rules=rules, error=error, arxiv_id=arxiv_id,
    )


@router.post("/papers/submit", summary="Submit a paper to today's daily feed (form)")
async def submit(request: Request, member: Member = Depends(require_member), arxiv_id: str = Form("", **_ID_FIELD)):
    try:
        result = await submit_with_fetch(request, member, arxiv_id)
    except RateLimited:
        raise  # the site's 429 page with Retry-After
    except UserError as error:
        response = _submit_form(request, status=refusal_status(error), error=str(error), arxiv_id=arxiv_id)
        return _with_retry_after(response, error)
    return RedirectResponse(query_url("/papers", {"date": result.featured_on.isoformat()}), status_code=303)


@router.post(
    "/api/papers/{arxiv_id:path}/submit",
    summary="Submit a paper to today's daily feed (personal API token)",
    responses={201: {"description": "Featured now"}, 200: {"description": "You had submitted it already"}},
)
async def submit_api(request: Request, arxiv_id: str, member: Member = Depends(api_member)):
    try:
        result = await submit_with_fetch(request, member, arxiv_id)
    except RateLimited:
        raise  # the site's 429 page with Retry-After
    except UserError as error:
        return _with_retry_after(error_response(request, refusal_status(error), str(error)), error)
    body = {
        "id": result.paper.id,
        "title": result.paper.title,
        "featuredOn": result.featured_on.isoformat(),
        "submittedBy": member.username,
        "created": result.created,
    }
    return JSONResponse(body, status_code=201 if result.created else 200)


# -- administrators ------------------------------------------------------------------------------
def _back_to_paper(paper_id: str) -> RedirectResponse:
    return RedirectResponse(paper_path(paper_id), status_code=303)


@router.post("/admin/feature", summary="Feature a paper on a day (administrators)")
def admin_feature(
    request: Request,
    member: Member = Depends(require_role("admin")),
    paper_id: str = Form(..., **_ID_FIELD),
    day: str = Form("", max_length=10),
):
    featured_on = parse_day(day) if day else _ctx(request).today()
    change = submissions.feature(_ctx(request), paper_id, featured_on, by_member=member.id)
    request.app.state.cache.invalidate()
    return _back_to_paper(change.paper_id)


@router.post("/admin/unfeature", summary="Take a paper off the daily feed (administrators)")
def admin_unfeature(request: Request, member: Member = Depends(require_role("admin")), paper_id: str = Form(..., **_ID_FIELD)):
    change = submissions.unfeature(_ctx(request), paper_id)
    request.app.state.cache.invalidate()
    return _back_to_paper(change.paper_id)

"""Collection pages, their RSS and Atom feeds, and the forms that change them.

``/collections/{username}/{slug}`` shows a collection; a private one is a 404 to everyone but its
owner, feeds included. Forms post to ``/collections/{id}/…``; each change answers with a redirect
(the page after a POST can be reloaded safely) and counts against the ``collection`` rate limiter.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from paperboard.domain.collection import DESCRIPTION_MAX, TITLE_MAX
from paperboard.errors import UserError
from paperboard.services import collections, feed, ratelimit
from paperboard.services.collections import CollectionNotFound
from paperboard.services.feed import FeedItem
from paperboard.web.auth import Member, current_member, require_member
from paperboard.web.errors import error_response
from paperboard.web.feeds import feed_format, feed_response
from paperboard.web.rendering import CACHE_HEADER, page, paper_path

router = APIRouter(tags=["collections"], default_response_class=HTMLResponse)

_TITLE = {"max_length": TITLE_MAX * 4}  # longer than the rule so the rule's message is what people read
_DESCRIPTION = {"max_length": DESCRIPTION_MAX * 2}
_PAPER = {"max_length": 200}


def _ctx(request: Request):
    return request.app.state.ctx


def collection_path(collection) -> str:
    return f"/collections/{collection.owner}/{collection.slug}"


def _changed(request: Request, member: Member) -> None:
    ratelimit.check(_ctx(request), "collection", str(member.id))


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _not_found(request: Request, error: CollectionNotFound):
    return error_response(request, 404, str(error), heading="Collection not found")


@router.get("/collections/new", summary="The form to create a collection")
def new_collection_page(request: Request, member: Member = Depends(require_member), paper: str = Query("", **_PAPER)):
    return page(
        request, "collection_new.html", title="New collection", canonical="/collections/new", cache=False,
        paper_id=paper, form={}, error=None,
    )


@router.post("/collections", summary="Create a collection (optionally with a first paper)")
def create_collection(
    request: Request,
    member: Member = Depends(require_member),
    title: str = Form("", **_TITLE),
    description: str = Form("", **_DESCRIPTION),
    public: bool = Form(False),
    paper_id: str = Form("", **_PAPER),
):
    _changed(request, member)
    try:
        made = collections.create(_ctx(request), member.id, title=title, description=description, is_public=public)
        if paper_id:
            collections.add_paper(_ctx(request), member.id, made.id, paper_id)
    except UserError as error:
        form = {"title": title, "description": description, "public": public}
        return page(
            request, "collection_new.html", title="New collection", canonical="/collections/new", status=400, cache=False,
            paper_id=paper_id, form=form, error=str(error),
        )
    return _redirect(paper_path(paper_id) if paper_id else collection_path(made))


@router.get("/collections/{username}/{slug}", summary="A collection of papers")
def collection_page(request: Request, username: str, slug: str, member: Member | None = Depends(current_member)):
    try:
        shown = collections.view(_ctx(request), username, slug, member.id if member else None)
    except CollectionNotFound as error:
        return _not_found(request, error)
    path = collection_path(shown.collection)
    return page(
        request, "collection.html", title=shown.collection.title, canonical=path, description=shown.collection.description,
        cache=False, shown=shown, items=feed.cards(_ctx(request), [paper for paper, _ in shown.papers]),
        feed_rss=path + "/feed.rss", feed_atom=path + "/feed.atom",
    )


@router.get("/collections/{username}/{slug}/feed.{fmt}", summary="A collection's papers as RSS or Atom")
def collection_feed(request: Request, username: str, slug: str, fmt: str, member: Member | None = Depends(current_member)):
    fmt = feed_format(fmt)
    try:
        shown = collections.view(_ctx(request), username, slug, member.id if member else None)
    except CollectionNotFound as error:
        return _not_found(request, error)
    collection = shown.collection
    title = f"{collection.title} · a collection by {collection.owner}"
    subtitle = collection.description or f"Papers {collection.owner} collected."
    response = feed_response(
        request, fmt, title, collection_path(collection), subtitle, [FeedItem(paper) for paper, _ in shown.papers]
    )
    # Collections change without touching the data version the page cache watches: never cache.
    del response.headers[CACHE_HEADER]
    if not collection.is_public:
        response.headers["cache-control"] = "private, no-store"
    return response


@router.post("/collections/{collection_id:int}/edit", summary="Change a collection's title, description or visibility")
def edit_collection(
    request: Request,
    collection_id: int,
    member: Member = Depends(require_member),
    title: str = Form("", **_TITLE),
    description: str = Form("", **_DESCRIPTION),
    public: bool = Form(False),
):
    _changed(request, member)
    try:
        edited = collections.edit(_ctx(request), member.id, collection_id, title=title, description=description, is_public=public)
    except CollectionNotFound as error:
        return _not_found(request, error)
    return _redirect(collection_path(edited))


@router.post("/collections/{collection_id:int}/delete", summary="Delete a collection")
def delete_collection(request: Request, collection_id: int, member: Member = Depends(require_member)):
    _changed(request, member)
    try:
        collections.delete(_ctx(request), member.id, collection_id)
    except CollectionNotFound as error:
        return _not_found(request, error)
    return _redirect(f"/u/{member.username}")


@router.post("/collections/add", summary="Add a paper to one of your collections")
def add_to_collection(
    request: Request,
    member: Member = Depends(require_member),
    collection_id: int = Form(..., ge=1),
    paper_id: str = Form(..., **_PAPER),
):
    _changed(request, member)
    try:
        collections.add_paper(_ctx(request), member.id, collection_id, paper_id)
    except CollectionNotFound as error:
        return _not_found(request, error)
    return _redirect(paper_path(paper_id))


@router.post("/collections/{collection_id:int}/remove", summary="Remove a paper from a collection")
def remove_from_collection(
    request: Request,
    collection_id: int,
    member: Member = Depends(require_member),
    paper_id: str = Form(..., **_PAPER),
    back: str = Form("paper", max_length=20),
):
    _changed(request, member)
    try:
        collection, _ = collections.remove_paper(_ctx(request), member.id, collection_id, paper_id)
    except CollectionNotFound as error:
        return _not_found(request, error)
    return _redirect(collection_path(collection) if back == "collection" else paper_path(paper_id))

"""Collections: create, edit, delete, fill and read a member's lists of papers.

Only the owner changes a collection or sees a private one; to anyone else a private collection
does not exist (the web answers 404, never 403, so its existence does not leak). Every change
is idempotent: adding a paper twice keeps one item, deleting twice deletes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from paperboard.adapters.store import collections as store
from paperboard.adapters.store.collections import Collection
from paperboard.adapters.store.papers import get_paper
from paperboard.domain.collection import CollectionRuleError, clean_description, clean_title, is_slug, unique_slug
from paperboard.domain.paper import Paper
from paperboard.errors import UserError
from paperboard.services.context import AppContext

_SLUG_ATTEMPTS = 5


class CollectionNotFound(UserError):
    """No such collection, or a private one the asker does not own."""


@dataclass(frozen=True)
class CollectionPage:
    collection: Collection
    papers: list[tuple[Paper, datetime]]
    is_owner: bool


@dataclass(frozen=True)
class Choice:
    """One of the member's collections as the paper page lists it."""

    collection: Collection
    holds_paper: bool



def _rules(call, *args):
    try:
        return call(*args)
    except CollectionRuleError as error:
        raise UserError(str(error)) from None


def create(ctx: AppContext, member_id: int, *, title: str, description: str = "", is_public: bool = False) -> Collection:
    title, description = _rules(clean_title, title), _rules(clean_description, description)
    now = ctx.now()
    with ctx.database.write() as connection:
        # A concurrent create of the same title by the same member can take the slug between
        # our read and our insert; the next attempt picks the following free one.
        for _ in range(_SLUG_ATTEMPTS):
            slug = unique_slug(title, store.slugs_of(connection, member_id))
            collection_id = store.create(
                connection, user_id=member_id, slug=slug, title=title, description=description, is_public=is_public, now=now
            )
            if collection_id is not None:
                return store.get(connection, collection_id)
    raise UserError("Could not name the collection; please try again.")


def _owned(connection, member_id: int, collection_id: int) -> Collection:
    found = store.get(connection, collection_id)
    if found is None or found.owner_id != member_id:
        raise CollectionNotFound("You have no such collection.")
    return found


def edit(ctx: AppContext, member_id: int, collection_id: int, *, title: str, description: str, is_public: bool) -> Collection:
    title, description = _rules(clean_title, title), _rules(clean_description, description)
    with ctx.database.write() as connection:
        _owned(connection, member_id, collection_id)
        store.edit(connection, collection_id, title=title, description=description, is_public=is_public, now=ctx.now())
        return store.get(connection, collection_id)


def delete(ctx: AppContext, member_id: int, collection_id: int) -> bool:
    """True when it was deleted now; False when it was already gone (a repeated form post)."""
    with ctx.database.write() as connection:
        found = store.get(connection, collection_id)
        if found is None:
            return False
        _owned(connection, member_id, collection_id)
        return store.remove(connection, collection_id)


def add_paper(ctx: AppContext, member_id: int, collection_id: int, paper_id: str) -> tuple[Collection, bool]:
    with ctx.database.write() as connection:
        collection = _owned(connection, member_id, collection_id)
        if get_paper(connection, paper_id) is None:
            raise UserError(f"This site has no paper {paper_id[:100]}.")
        return collection, store.add_paper(connection, collection_id, paper_id, ctx.now())


def remove_paper(ctx: AppContext, member_id: int, collection_id: int, paper_id: str) -> tuple[Collection, bool]:
    with ctx.database.write() as connection:
        collection = _owned(connection, member_id, collection_id)
        return collection, store.remove_paper(connection, collection_id, paper_id, ctx.now())


def view(ctx: AppContext, username: str, slug: str, viewer_id: int | None) -> CollectionPage:
    """The collection and its papers, for its owner or, when public, for anyone."""
    if not is_slug(slug):
        raise CollectionNotFound("There is no such collection.")
    with ctx.database.read() as connection:
        found = store.find(connection, username, slug)
        is_owner = found is not None and found.owner_id == viewer_id
        if found is None or not (found.is_public or is_owner):
            raise CollectionNotFound("There is no such collection.")
        return CollectionPage(found, store.papers_in(connection, found.id), is_owner)


def choices_for(ctx: AppContext, member_id: int, paper_id: str) -> list[Choice]:
    """The member's collections, each saying whether it already holds ``paper_id``."""
    with ctx.database.read() as connection:
        mine = store.of_member(connection, member_id, public_only=False)
        holding = store.holding(connection, member_id, paper_id)
    return [Choice(c, c.id in holding) for c in mine]


def of_member(ctx: AppContext, member_id: int, *, include_private: bool) -> list[Collection]:
    with ctx.database.read() as connection:
        return store.of_member(connection, member_id, public_only=not include_private)

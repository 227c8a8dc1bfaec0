"""Collections as rules: titles, descriptions and the slug of a collection's URL. Pure.

A collection lives at ``/collections/{username}/{slug}``. The slug is made once from the title
and kept when the title changes, so links people shared keep working.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
SLUG_MAX = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


class CollectionRuleError(ValueError):
    """Input that breaks a collection rule; the message is for a person."""


def clean_title(text: str | None) -> str:
    title = " ".join((text or "").split())
    if not title:
        raise CollectionRuleError("a collection needs a title")
    if len(title) > TITLE_MAX:
        raise CollectionRuleError(f"a collection's title has at most {TITLE_MAX} characters")
    return title


def clean_description(text: str | None) -> str:
    description = (text or "").strip().replace("\r\n", "\n")
    if len(description) > DESCRIPTION_MAX:
        raise CollectionRuleError(f"a collection's description has at most {DESCRIPTION_MAX} characters")
    return description


def slugify(title: str) -> str:
    """``"Diffusion & <b>Friends</b>!"`` → ``"diffusion-b-friends-b"``: ASCII letters, digits, hyphens."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")[:SLUG_MAX].rstrip("-")
    return slug or "collection"


def unique_slug(title: str, taken: Container[str]) -> str:
    """The title's slug, or the same with ``-2``, ``-3`` … when the member already uses it."""
    base = slugify(title)
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def is_slug(text: str) -> bool:
    """Whether ``text`` could be a slug at all: other text in a URL is a 404 without a query."""
    return len(text) <= SLUG_MAX and bool(_SLUG.fullmatch(text))

"""Author names as the query language's ``author:`` reads them. Pure.

A name is its parts: the words the keyword index sees (folded: case and accents; split at anything
that is not a letter or a digit, so "Jean-Pierre" is "jean", "pierre" and "K." the initial "k"),
a trailing suffix ("Jr.", "III") set aside and "Last, First" turned around.

- One part, ``author:liao``: every author with a name part "liao".
- Several, ``author:"Kang Liao"``: ONE author whose last part is the last one typed and whose
  earlier parts hold the others in the order typed (middle names may lie between: "Geoffrey
  Hinton" is "Geoffrey E. Hinton"). An initial typed ("K. Liao", "K Liao") stands for any part
  beginning with it. A part typed in full must be there in full: an author listed only as
  "K. Liao" is found by "K. Liao" or "Liao", not by "Kang Liao" (the index finds candidates by
  the full words, which such a record lacks).

The keyword index finds candidates by ``AuthorName.terms`` (the stems of the parts typed in full,
all of which a matching author's indexed text holds); ``AuthorName.matches`` decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from paperboard.domain.analysis import fold, term_of

_PART = re.compile(r"[^\W_]+", re.UNICODE)  # the analyzer's words (domain.analysis._WORD)
_INITIAL = re.compile(r"[a-z]")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


class NotAName(ValueError):
    """The text holds no name part the index can find (only initials, or only stopwords)."""


def name_parts(text: str) -> tuple[str, ...]:
    """The parts of one name as written, folded, "Last, First" turned around, a suffix set aside."""
    text = text or ""
    last, comma, first = text.partition(",")
    if comma and first.strip():
        after = tuple(_PART.findall(fold(first)))
        if after and not all(part in _SUFFIXES for part in after):
            text = f"{first} {last}"
        else:
            text = last
    parts = tuple(_PART.findall(fold(text)))
    while len(parts) > 1 and parts[-1] in _SUFFIXES:
        parts = parts[:-1]
    return parts


def is_initial(part: str) -> bool:
    return bool(_INITIAL.fullmatch(part))


@dataclass(frozen=True)
class AuthorName:
    """A name as typed after ``author:``."""

    text: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> AuthorName:
        """``text`` as a name; NotAName when the index could not find any author by it."""
        name = cls(text, name_parts(text))
        if not name.terms:
            if name.parts and all(is_initial(part) for part in name.parts):
                raise NotAName('it holds only initials; add the family name, as in author:"K. Liao"')
            raise NotAName("it holds no word the index keeps (such as 'an' or 'will' alone); add the rest of the name")
        return name

    @property
    def terms(self) -> tuple[str, ...]:
        """Index terms every matching author's indexed text holds: the parts typed in full."""
        found = (term_of(part) for part in self.parts if not is_initial(part))
        return tuple(dict.fromkeys(term for term in found if term))

    def matches(self, author: str) -> bool:
        """Whether ``author`` (one name from a paper's author list) is this name."""
        return _matches(self.parts, _author_parts(author))

    def matches_any(self, authors: Iterable[str]) -> bool:
        return any(self.matches(author) for author in authors)


@lru_cache(maxsize=65_536)
def _author_parts(author: str) -> tuple[str, ...]:
    return name_parts(author)


def _same(typed: str, part: str) -> bool:
    return part == typed or (is_initial(typed) and part.startswith(typed))


def _matches(typed: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not typed or not parts:
        return False
    if len(typed) == 1:
        return typed[0] in parts
    if not _same(typed[-1], parts[-1]):
        return False
    # The earlier parts typed, in order, among the author's earlier parts (a greedy walk finds an
    # ordered match whenever one exists).
    remaining = iter(parts[:-1])
    return all(any(_same(part_typed, part) for part in remaining) for part_typed in typed[:-1])

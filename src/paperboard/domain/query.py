"""The search query language, parsed without I/O.

    graph neural networks "message passing" -survey author:"Yann LeCun" cat:cs.LG
    year:2026  from:2026-03-01  until:2026-04  date:2026-03-01..2026-04-30  has:code  sort:date

Words are ranked (BM25 and meaning); a "quoted phrase" must appear; ``-word`` and ``-"a phrase"``
must not. A quote left open is no phrase: its words count as words, and the query's notes say so
(after ``author:`` the name runs to the end). ``author:`` names one author (``domain.author_names``).
Math (``$O(n^2)$``, ``\\(…\\)``; ``domain.latex``) is read as math, not as letters: beside words it
is for the meaning only; alone, the formula is a phrase. An arXiv id typed alone, in any form
(``domain.arxiv_id``), asks for that paper. Any string at all parses to a :class:`Query` or raises
:class:`QueryError` with a message meant for the person who typed it; nothing else escapes
:func:`parse_query`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date

from paperboard.domain.arxiv_id import ArxivId, InvalidArxivId, parse_arxiv_id
from paperboard.domain.author_names import AuthorName, NotAName
from paperboard.domain.days import DayOutOfRange, parse_day, within_range
from paperboard.domain.query_text import Formulas, clean, lex
from paperboard.errors import UserError

MAX_QUERY_CHARS = 4000
SORTS = ("relevance", "date", "trending")
_SORT_ALIASES = {"relevance": "relevance", "best": "relevance", "date": "date", "new": "date",
                 "newest": "date", "recent": "date", "trending": "trending", "hot": "trending"}
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


class QueryError(UserError):
    """The query cannot be understood; the message says what to change."""


@dataclass(frozen=True)
class Query:
    """What a person asked for. ``words`` and ``phrases`` keep the text as typed (not analyzed),
    less the math beside words, which only ``free_text`` holds (read as text)."""

    text: str = ""
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_until: date | None = None
    has_code: bool = False
    sort: str = "relevance"
    sort_given: bool = False
    # Words and phrases in the order typed: the natural-language part, which the embedder reads.
    free_text: str = ""
    arxiv_id: ArxivId | None = None  # the text is this id alone
    notes: tuple[str, ...] = ()  # how the text was read, when that differs from what it may seem

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(self.authors or self.categories or self.date_from or self.date_until or self.has_code)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.has_filters or self.excluded)

    def with_filters(
        self,
        *,
        authors: tuple[str, ...] = (),
        categories: tuple[str, ...] = (),
        date_from: date | None = None,
        date_until: date | None = None,
        has_code: bool = False,
        sort: str | None = None,
    ) -> "Query":
        """This query narrowed by filters given beside the text (form fields, CLI options).

        Checked as strictly as the same filters typed into the text; the narrower date bound wins.
        """
        start = max(filter(None, (self.date_from, date_from)), default=None)
        end = min(filter(None, (self.date_until, date_until)), default=None)
        _check_range(start, end)
        chosen = self.sort
        if sort:
            chosen = _SORT_ALIASES.get(sort.lower())
            if chosen is None:
                raise QueryError(f"sort {sort!r} is not an order; use one of: " + ", ".join(SORTS))
        extra_authors = tuple(_author(a.strip()) for a in authors if a and a.strip())
        extra_categories = tuple(_category(c.strip()) for c in categories if c and c.strip())
        return replace(
            self,
            authors=self.authors + extra_authors,
            categories=tuple(dict.fromkeys(self.categories + extra_categories)),
            date_from=start,
            date_until=end,
            has_code=self.has_code or has_code,
            sort=chosen,
            sort_given=self.sort_given or bool(sort),
        )


@dataclass(frozen=True)
class SearchFilters:
    """Filters given beside the text: the site's form fields, the feeds' parameters, the CLI's
    options. Checked by the same rules as the query language's ``cat:``, ``from:``/``until:`` and
    ``sort:``, and parsed once, here."""

    category: str | None = None
    date_from: date | None = None
    date_until: date | None = None
    has_code: bool = False
    sort: str = "relevance"

    @classmethod
    def parse(cls, category: str | None = None, date_from: str | None = None, date_until: str | None = None,
              has_code: bool = False, sort: str | None = None) -> "SearchFilters":
        """From text as typed (empty fields mean no filter); QueryError says what to change."""
        category = (category or "").strip() or None
        if category is not None and not _CATEGORY.fullmatch(category):
            raise QueryError(f"category must look like cs.CL or hep-th, got {category[:40]!r}")
        first = parse_day(date_from.strip()) if (date_from or "").strip() else None
        last = parse_day(date_until.strip()) if (date_until or "").strip() else None
        if first and last and first > last:
            raise QueryError(f"the date range is empty: from {first} is after until {last}")
        chosen = _SORT_ALIASES.get((sort or "relevance").strip().lower())
        if chosen is None:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}, got {(sort or '')[:40]!r}")
        return cls(category, first, last, bool(has_code), chosen)

    @property
    def any(self) -> bool:
        """Whether any filter narrows the search (the order is not a filter)."""
        return bool(self.category or self.date_from or self.date_until or self.has_code)

    def applied_to(self, query: Query) -> Query:
        return query.with_filters(
            categories=(self.category,) if self.category else (), date_from=self.date_from,
            date_until=self.date_until, has_code=self.has_code, sort=None if self.sort == "relevance" else self.sort,
        )


@dataclass
class _Builder:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    free: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_until: date | None = None
    has_code: bool = False
    sort: str | None = None
    notes: list[str] = field(default_factory=list)

    def narrow(self, start: date | None, end: date | None) -> None:
        if start and (self.date_from is None or start > self.date_from):
            self.date_from = start
        if end and (self.date_until is None or end < self.date_until):
            self.date_until = end


def parse_query(text: str) -> Query:
    """Parse ``text``; raise QueryError (and only that) when it cannot mean anything."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,})")
    cleaned = clean(text)
    builder = _Builder()
    formulas = Formulas(cleaned)
    for negated, name, value, quoted in lex(formulas.marked, builder.notes):
        if name is None:
            _add_text(builder, formulas, negated, value, quoted)
        elif negated:
            raise QueryError(f"'-{name}:' is not supported: exclusion works on words and \"phrases\" only")
        else:
            _add_field(builder, name, formulas.restored(value))
    if not builder.words and not builder.phrases and formulas.alone:
        # Only math: the formulas themselves, each a phrase (their letters in order, never one by one).
        builder.phrases.extend(formula for formula in formulas.alone if formula)
    _check_range(builder.date_from, builder.date_until)
    return Query(
        text=cleaned,
        words=tuple(builder.words),
        phrases=tuple(builder.phrases),
        excluded=tuple(builder.excluded),
        authors=tuple(builder.authors),
        categories=tuple(dict.fromkeys(builder.categories)),
        date_from=builder.date_from,
        date_until=builder.date_until,
        has_code=builder.has_code,
        sort=builder.sort or "relevance",
        sort_given=builder.sort is not None,
        free_text=" ".join(builder.free),
        arxiv_id=_arxiv_id_alone(builder),
        notes=tuple(dict.fromkeys(builder.notes)),
    )


def _arxiv_id_alone(builder: _Builder) -> ArxivId | None:
    if builder.phrases or builder.excluded or not builder.words:
        return None
    try:
        return parse_arxiv_id(" ".join(builder.words))
    except InvalidArxivId:
        return None


def _add_text(builder: _Builder, formulas: Formulas, negated: bool, value: str, quoted: bool) -> None:
    value = value.strip()
    if not value or value == "-":
        return
    as_text = formulas.as_text(value)
    if negated or quoted:
        # A phrase (to find or to exclude) holds its formulas as text: a formula's letters in order.
        if as_text:
            (builder.excluded if negated else builder.phrases).append(as_text)
            if not negated:
                builder.free.append(as_text)
        return
    words = formulas.without(value)
    if words:
        builder.words.append(words)
    elif as_text:
        formulas.alone.append(as_text)
    if as_text:
        builder.free.append(as_text)


def _add_field(builder: _Builder, name: str, value: str) -> None:
    value = value.strip()
    if not value:
        raise QueryError(f"'{name}:' needs a value, as in: {_FIELD_EXAMPLES[name]}")
    if name == "author":
        builder.authors.append(_author(value))
    elif name == "cat":
        builder.categories.append(_category(value))
    elif name == "has":
        if value.lower() != "code":
            raise QueryError(f"has:{value} is not a filter; the one there is: has:code")
        builder.has_code = True
    elif name == "sort":
        sort = _SORT_ALIASES.get(value.lower())
        if sort is None:
            raise QueryError(f"sort:{value} is not an order; use one of: " + ", ".join(f"sort:{s}" for s in SORTS))
        builder.sort = sort
    elif name == "year":
        first, _, last = value.partition("..")
        if not re.fullmatch(r"\d{4}", first) or (last and not re.fullmatch(r"\d{4}", last)):
            raise QueryError(f"year:{value} is not a year; write year:2026 or year:2024..2026")
        builder.narrow(_period(first, name)[0], _period(last or first, name)[1])
    elif name == "date":
        first, sep, last = value.partition("..")
        start = _period(first, name)[0] if first else None
        end = _period(last if sep else first, name)[1] if (last or not sep) else None
        if start is None and end is None:
            raise QueryError(f"date:{value} names no date; write date:2026-03-01..2026-04-30")
        builder.narrow(start, end)
    elif name == "from":
        builder.narrow(_period(value, name)[0], None)
    else:  # until
        builder.narrow(None, _period(value, name)[1])


_FIELD_EXAMPLES = {
    "author": 'author:"Yann LeCun" or author:lecun',
    "cat": "cat:cs.CL (or cat:cs for all of computer science)",
    "has": "has:code",
    "sort": "sort:date",
    "year": "year:2026",
    "date": "date:2026-03-01..2026-04-30",
    "from": "from:2026-03-01",
    "until": "until:2026-04-30",
}


def _author(value: str) -> str:
    """An author's name as typed, once the index can find it (see ``domain.author_names``)."""
    try:
        AuthorName.parse(value)
    except NotAName as error:
        raise QueryError(f"author:{value[:60]} cannot be searched: {error}") from None
    return value


def _category(value: str) -> str:
    if not _CATEGORY.fullmatch(value):
        raise QueryError(f"cat:{value} is not an arXiv category; write cat:cs.CL, cat:hep-th or cat:cs")
    archive, _, subject = value.partition(".")
    archive = archive.lower()
    if not subject:
        return archive
    # arXiv writes two-letter subject classes in capitals (cs.CL, math.AG), longer ones in lower case
    # (physics.optics, cond-mat.mes-hall).
    return f"{archive}.{subject.upper() if len(subject) == 2 else subject.lower()}"


def _period(value: str, name: str) -> tuple[date, date]:
    """The first and last day of a year, a month or a day written as YYYY, YYYY-MM or YYYY-MM-DD."""
    found = _PARTIAL_DATE.fullmatch(value.strip())
    if not found:
        raise QueryError(f"{name}:{value} is not a date; write {_FIELD_EXAMPLES[name]}")
    year, month, day = (int(part) if part else None for part in found.groups())
    try:
        if month is None:
            first, last = date(year, 1, 1), date(year, 12, 31)
        elif day is None:
            first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        else:
            first = last = date(year, month, day)
        within_range(first, f"{name}:{value}")
        within_range(last, f"{name}:{value}")
    except DayOutOfRange as error:
        raise QueryError(str(error)) from None
    except ValueError:
        raise QueryError(f"{name}:{value} is not a date on the calendar") from None
    return first, last


def _check_range(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise QueryError(f"the dates leave nothing between them: from {start} is after until {end}")

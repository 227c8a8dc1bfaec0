"""The arXiv search API: build its queries, fetch its Atom feeds, turn entries into Papers.

Format (arXiv API user manual): an Atom ``feed`` with OpenSearch ``totalResults``,
``startIndex`` and ``itemsPerPage``; one ``entry`` per paper whose ``id`` is the versioned abs
URL, with ``title``, ``summary``, ``author/name`` in order, ``published`` (v1) and ``updated``
(this version), ``category`` terms, ``arxiv:primary_category``, optional ``arxiv:comment``,
``arxiv:journal_ref`` and ``arxiv:doi``, and ``link`` elements for the abs page and the PDF.
A query arXiv rejects comes back as a feed with a single entry whose id is an
``/api/errors#...`` URL and whose summary explains the problem.

A malformed entry is skipped and counted by reason; a document that is not a well-formed Atom
feed raises :class:`~paperboard.errors.UserError` naming the URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from lxml import etree

from paperboard.adapters.sources.http import PoliteClient
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import Paper
from paperboard.domain.record_limits import oversized
from paperboard.errors import SourceUnavailable, UserError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
SOURCE = "arxiv-api"

# arXiv category names: archive, optionally a dot and a subject class (cs.CL, hep-th, math.GT).
_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")

# Entities stay unexpanded, no DTD or network fetch: feeds from the network are untrusted.
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(content: bytes, url: str) -> etree._Element:
    """The root element of an XML document; UserError naming ``url`` and the line when malformed."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise UserError(f"malformed XML from {url}: {_first_line(str(error))}") from error
    if root is None:
        raise UserError(f"empty document from {url}")
    # arXiv never sends a DTD; one in a feed can only be an entity trick, so refuse it outright.
    if root.getroottree().docinfo.internalDTD is not None:
        raise UserError(f"refusing XML with a DOCTYPE declaration from {url}")
    return root


@dataclass
class AtomFeed:
    """One page of API results."""

    papers: list[Paper]
    total_results: int | None = None
    start_index: int | None = None
    entries: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class QueryRejected(UserError):
    """arXiv answered with its error feed: the query (or an id in it) is not acceptable."""


class MalformedEntry(ValueError):
    """One entry cannot become a Paper; the message is the skip reason."""


def parse_atom_feed(content: bytes, url: str) -> AtomFeed:
    root = parse_xml(content, url)
    if root.tag != f"{ATOM}feed":
        raise UserError(f"not an Atom feed from {url} (root element {etree.QName(root).localname!r})")
    entries = root.findall(f"{ATOM}entry")
    _raise_if_error_feed(entries, url)
    feed = AtomFeed(
        papers=[],
        total_results=_int_or_none(root.findtext(f"{OPENSEARCH}totalResults")),
        start_index=_int_or_none(root.findtext(f"{OPENSEARCH}startIndex")),
        entries=len(entries),
    )
    for entry in entries:
        try:
            paper = parse_entry(entry)
        except MalformedEntry as problem:
            feed.skip(f"malformed Atom entry: {problem}")
            continue
        if problem := oversized(paper):
            feed.skip(f"record too large: {paper.id}: {problem}")
            continue
        feed.papers.append(paper)
    return feed


def parse_entry(entry: etree._Element) -> Paper:
    raw_id = _text(entry, f"{ATOM}id")
    try:
        arxiv_id = parse_arxiv_id(raw_id or "")
    except InvalidArxivId:
        raise MalformedEntry("no valid arXiv id") from None
    title = _text(entry, f"{ATOM}title")
    if not title:
        raise MalformedEntry("no title")
    published = _timestamp(_text(entry, f"{ATOM}published"))
    categories = tuple(
        dict.fromkeys(term for c in entry.findall(f"{ATOM}category") if (term := (c.get("term") or "").strip()))
    )
    primary = entry.find(f"{ARXIV}primary_category")
    abs_url = pdf_url = None
    for link in entry.findall(f"{ATOM}link"):
        href = link.get("href")
        if link.get("title") == "pdf":
            pdf_url = href
        elif link.get("rel") == "alternate":
            abs_url = href
    return Paper(
        id=arxiv_id.base,
        version=arxiv_id.version,
        title=title,
        abstract=_text(entry, f"{ATOM}summary") or "",
        authors=tuple(name for a in entry.findall(f"{ATOM}author") if (name := _text(a, f"{ATOM}name"))),
        categories=categories,
        primary_category=(primary.get("term") if primary is not None else None) or None,
        published=published,
        updated=_timestamp(_text(entry, f"{ATOM}updated")),
        announced=announced_from_published(published),
        comment=_text(entry, f"{ARXIV}comment"),
        journal_ref=_text(entry, f"{ARXIV}journal_ref"),
        doi=_text(entry, f"{ARXIV}doi"),
        abs_url=abs_url,
        pdf_url=pdf_url,
        source=SOURCE,
    )


def announced_from_published(published: datetime | None) -> date | None:
    """The API has no announcement date; the v1 submission day (UTC) is the closest it offers.

    arXiv announces a submission on the next mailing, usually within one working day, so this
    runs up to a few days early; a listing import with the true date refines it (merge keeps
    the earliest date any source reported).
    """
    return published.date() if published else None


class ArxivApi:
    """The search API at ``base_url``, fetched through a PoliteClient."""

    def __init__(self, client: PoliteClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url

    def search(self, search_query: str, *, start: int, max_results: int) -> AtomFeed:
        """Newest submissions first: papers submitted during a run push older ones to later
        offsets, so a page boundary can repeat a paper but never skip one."""
        return self._fetch(
            {
                "search_query": search_query,
                "start": start,
                "max_results": max_results,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
            }
        )

    def by_ids(self, ids: Sequence[str]) -> AtomFeed:
        return self._fetch({"id_list": ",".join(ids), "max_results": len(ids)})

    def _fetch(self, params: dict) -> AtomFeed:
        # arXiv answers a query it rejects with HTTP 400 and an Atom error feed that says why.
        fetched = self.client.get(self.base_url, params, accept_statuses={400})
        if fetched.status != 400:
            return parse_atom_feed(fetched.content, fetched.url)
        try:
            parse_atom_feed(fetched.content, fetched.url)
        except QueryRejected:
            raise
        except UserError:
            pass
        raise SourceUnavailable(f"{fetched.url} answered HTTP 400 Bad Request")


def build_search_query(categories: Sequence[str], date_from: date, date_to: date) -> str:
    """``(cat:A OR cat:B) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]``; UserError on bad input."""
    if not categories:
        raise UserError("name at least one arXiv category")
    for category in categories:
        if not _CATEGORY.fullmatch(category):
            raise UserError(f"not an arXiv category: {category!r} (expected e.g. cs.CL or hep-th)")
    if date_from > date_to:
        raise UserError(f"the date window is empty: {date_from} is after {date_to}")
    terms = " OR ".join(f"cat:{c}" for c in categories)
    if len(categories) > 1:
        terms = f"({terms})"
    return f"{terms} AND submittedDate:[{date_from:%Y%m%d}0000 TO {date_to:%Y%m%d}2359]"


def _raise_if_error_feed(entries: list[etree._Element], url: str) -> None:
    if len(entries) != 1:
        return
    entry_id = _text(entries[0], f"{ATOM}id") or ""
    if "/api/errors" in entry_id:
        message = _text(entries[0], f"{ATOM}summary") or entry_id
        raise QueryRejected(f"arXiv API rejected {url}: {message}")


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _timestamp(value: str | None) -> datetime | None:
    """An RFC 3339 time as naive UTC, the way the store keeps every timestamp."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEntry(f"unreadable date {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unreadable"

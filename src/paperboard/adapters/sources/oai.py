"""arXiv over OAI-PMH 2.0: ListRecords requests, resumption tokens, and both arXiv metadata formats.

- ``arXivRaw`` carries every version with its submission date (``<version version="v2"><date>``),
  the authors as one comma-separated string, and space-separated categories, primary first.
- ``arXiv`` carries ``created``/``updated`` days and structured ``author`` elements
  (``keyname``, ``forenames``, ``suffix``) but no version number; such papers are stored with an
  unknown version, which only fills gaps and never overwrites a versioned record.

A list longer than one response ends with a ``resumptionToken``; the last page has an empty
one (or none). ``noRecordsMatch`` means an empty list, not a failure; every other OAI error
code raises :class:`OaiError`. Deleted records are counted and skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

from lxml import etree

from paperboard.adapters.sources.arxiv_atom import parse_xml
from paperboard.adapters.sources.http import PoliteClient
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import Paper
from paperboard.domain.record_limits import oversized
from paperboard.errors import SourceUnavailable, UserError

OAI = "{http://www.openarchives.org/OAI/2.0/}"
METADATA_NAMESPACES = {
    "arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}",
    "arXiv": "{http://arxiv.org/OAI/arXiv/}",
}
SOURCE = "arxiv-oai"


class OaiError(UserError):
    """The repository answered with an OAI-PMH error code other than ``noRecordsMatch``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class OaiPage:
    papers: list[Paper]
    resumption_token: str | None = None
    complete_list_size: int | None = None
    records: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class MalformedRecord(ValueError):
    """One record cannot become a Paper; the message is the skip reason."""


def parse_list_records(content: bytes, url: str, metadata_prefix: str) -> OaiPage:
    """One ListRecords response. UserError when the document is not OAI-PMH, OaiError on an error code."""
    namespace = _namespace(metadata_prefix)
    root = parse_xml(content, url)
    if root.tag != f"{OAI}OAI-PMH":
        raise UserError(f"not an OAI-PMH response from {url} (root element {etree.QName(root).localname!r})")
    errors = root.findall(f"{OAI}error")
    if errors:
        codes = [e.get("code") or "unknown" for e in errors]
        if codes == ["noRecordsMatch"]:
            return OaiPage(papers=[])
        details = "; ".join(f"{e.get('code')}: {(e.text or '').strip()}".rstrip(": ") for e in errors)
        raise OaiError(codes[0], f"OAI-PMH error from {url}: {details}")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise UserError(f"OAI-PMH response from {url} has no ListRecords element")
    page = OaiPage(papers=[])
    for record in listing.findall(f"{OAI}record"):
        page.records += 1
        header = record.find(f"{OAI}header")
        if header is not None and header.get("status") == "deleted":
            page.skip("deleted from arXiv")
            continue
        try:
            paper = parse_record(record, namespace)
        except MalformedRecord as problem:
            page.skip(f"malformed {metadata_prefix} record: {problem}")
            continue
        if problem := oversized(paper):
            page.skip(f"record too large: {paper.id}: {problem}")
            continue
        page.papers.append(paper)
    token = listing.find(f"{OAI}resumptionToken")
    if token is not None:
        page.resumption_token = (token.text or "").strip() or None
        size = token.get("completeListSize")
        page.complete_list_size = int(size) if size and size.isdigit() else None
    return page


def parse_record(record: etree._Element, namespace: str) -> Paper:
    metadata = record.find(f"{OAI}metadata")
    body = metadata[0] if metadata is not None and len(metadata) else None
    if body is None or not isinstance(body.tag, str) or not body.tag.startswith(namespace):
        raise MalformedRecord("no metadata in the requested format")
    try:
        arxiv_id = parse_arxiv_id(_text(body, f"{namespace}id") or "")
    except InvalidArxivId:
        raise MalformedRecord("no valid arXiv id") from None
    title = _text(body, f"{namespace}title")
    if not title:
        raise MalformedRecord("no title")
    categories = tuple(dict.fromkeys((_text(body, f"{namespace}categories") or "").split()))
    common = dict(
        id=arxiv_id.base,
        title=title,
        abstract=_text(body, f"{namespace}abstract") or "",
        categories=categories,
        # Both formats list the primary category first.
        primary_category=categories[0] if categories else None,
        comment=_text(body, f"{namespace}comments"),
        journal_ref=_text(body, f"{namespace}journal-ref"),
        doi=_first_doi(_text(body, f"{namespace}doi")),
        source=SOURCE,
    )
    if namespace == METADATA_NAMESPACES["arXivRaw"]:
        return _raw_paper(body, namespace, common)
    return _arxiv_paper(body, namespace, common)


def _raw_paper(body: etree._Element, namespace: str, common: dict) -> Paper:
    versions: list[tuple[int, datetime | None]] = []
    for element in body.findall(f"{namespace}version"):
        label = (element.get("version") or "").lstrip("v")
        if not label.isdigit():
            raise MalformedRecord(f"unreadable version {element.get('version')!r}")
        versions.append((int(label), _rfc2822(_text(element, f"{namespace}date"))))
    versions.sort()
    published = versions[0][1] if versions else None
    return Paper(
        **common,
        version=versions[-1][0] if versions else None,
        authors=split_authors(_text(body, f"{namespace}authors") or ""),
        published=published,
        updated=versions[-1][1] if versions else None,
        announced=published.date() if published else None,
    )


def _arxiv_paper(body: etree._Element, namespace: str, common: dict) -> Paper:
    authors = []
    for author in body.findall(f"{namespace}authors/{namespace}author"):
        parts = (_text(author, f"{namespace}{part}") for part in ("forenames", "keyname", "suffix"))
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(tex_to_unicode(name))
    created = _day(_text(body, f"{namespace}created"))
    updated = _day(_text(body, f"{namespace}updated"))
    return Paper(
        **common,
        authors=tuple(authors),
        published=datetime.combine(created, datetime.min.time()) if created else None,
        updated=datetime.combine(updated, datetime.min.time()) if updated else None,
        announced=created,
    )


class OaiPmh:
    """ListRecords against the repository at ``base_url``, fetched through a PoliteClient."""

    def __init__(self, client: PoliteClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url

    def list_records(
        self,
        metadata_prefix: str,
        *,
        set_spec: str | None = None,
        date_from: date | None = None,
        date_until: date | None = None,
    ) -> OaiPage:
        _namespace(metadata_prefix)
        params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
        if set_spec:
            params["set"] = set_spec
        if date_from:
            params["from"] = date_from.isoformat()
        if date_until:
            params["until"] = date_until.isoformat()
        return self._fetch(params, metadata_prefix)

    def resume(self, resumption_token: str, metadata_prefix: str) -> OaiPage:
        """The next page; OAI-PMH allows no other argument beside the token."""
        return self._fetch({"verb": "ListRecords", "resumptionToken": resumption_token}, metadata_prefix)

    def _fetch(self, params: dict, metadata_prefix: str) -> OaiPage:
        # Some repositories send OAI errors with HTTP 400/422 rather than 200; read them either way.
        fetched = self.client.get(self.base_url, params, accept_statuses={400, 422})
        if fetched.status < 300:
            return parse_list_records(fetched.content, fetched.url, metadata_prefix)
        try:
            parse_list_records(fetched.content, fetched.url, metadata_prefix)
        except OaiError:
            raise
        except UserError:
            pass
        raise SourceUnavailable(f"{fetched.url} answered HTTP {fetched.status}")


def split_authors(text: str) -> tuple[str, ...]:
    """``"A. One (MIT), B. Two and C. Three, Jr."`` -> ``("A. One", "B. Two", "C. Three, Jr.")``.

    arXivRaw keeps the submitter's free text: affiliations in parentheses, "and" before the
    last name, TeX accents. Affiliations are dropped because the other formats have none.
    """
    text = " ".join(text.split())
    while True:
        without = _PARENTHESISED.sub("", text)
        if without == text:
            break
        text = without
    names: list[str] = []
    for part in _AUTHOR_SEPARATOR.split(text):
        part = part.strip(" ,;")
        if not part:
            continue
        if names and _SUFFIX.fullmatch(part):
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(tex_to_unicode(part))
    return tuple(names)


_PARENTHESISED = re.compile(r"\s*\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r",|;|\band\b")
_SUFFIX = re.compile(r"(?:Jr|Sr)\.?|I{2,3}|IV")

# TeX accent commands in author names (Bal\'azs, G\"{o}del, {\v S}ediv\'y) and the Unicode
# combining marks they stand for; letters TeX writes as commands (\o, \ss, \l).
_ACCENT_MARKS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a",
}
_TEX_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ae": "æ", "AE": "Æ",
    "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı",
}
_SYMBOL_ACCENT = re.compile(r"""\\([`'^"~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))""")
_LETTER_ACCENT = re.compile(r"\\([uvHckr])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+(\\?[A-Za-z]))")
_BRACED = re.compile(r"\{([^{}\\]*)\}")
_LETTER_COMMAND = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i)(?![A-Za-z])\s?")


def tex_to_unicode(text: str) -> str:
    """Turn TeX accents and letter commands into Unicode; anything else is left as written."""
    if "\\" not in text:
        return text

    def accent(match: re.Match) -> str:
        letter = match[2] or match[3]
        base = "i" if letter == "\\i" else "j" if letter == "\\j" else letter.lstrip("\\")
        return base + _ACCENT_MARKS[match[1]]

    text = _SYMBOL_ACCENT.sub(accent, text)
    text = _LETTER_ACCENT.sub(accent, text)
    text = _LETTER_COMMAND.sub(lambda m: _TEX_LETTERS[m[1]], text)
    # Braces that grouped an accented letter ({\'a} -> {á}) have done their job; others stay.
    text = _BRACED.sub(lambda m: m[1] if not m[1].isascii() else m[0], text)
    return unicodedata.normalize("NFC", text)


def _namespace(metadata_prefix: str) -> str:
    try:
        return METADATA_NAMESPACES[metadata_prefix]
    except KeyError:
        known = " or ".join(METADATA_NAMESPACES)
        raise UserError(f"unknown OAI-PMH metadata prefix {metadata_prefix!r} (use {known})") from None


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _rfc2822(value: str | None) -> datetime | None:
    """arXivRaw version dates (``Mon, 2 Apr 2007 19:18:42 GMT``) as naive UTC."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise MalformedRecord(f"unreadable version date {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"unreadable date {value!r}") from None


def _first_doi(value: str | None) -> str | None:
    """arXiv's doi field may list several DOIs separated by spaces; the record keeps the first."""
    return value.split()[0] if value else None

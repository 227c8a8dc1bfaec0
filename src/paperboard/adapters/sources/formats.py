"""The record formats ``paperboard import`` reads, each turned into a domain ``Paper``.

One JSON object in, one ``Parsed`` out (or a ``RecordError`` saying why not). Reading files,
gzip and JSON-lines versus arrays live in ``files``; this module only knows field names.

- ``kaggle``: the Kaggle ``arxiv-metadata-oai-snapshot.json`` (one arXiv record per line).
- ``hf-daily``: items of Hugging Face's ``/api/daily_papers``; each also becomes a ``DailyFeature``.
- ``beir``: a BEIR ``corpus.jsonl`` document, stored as ``beir:<_id>``.
- ``paperboard``: our own export (``paperboard export``), every Paper field plus its feature.
- ``listings``: the arXiv listing records of ``shared/eval/arxiv-listings-*``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.links import extract_links
from paperboard.domain.paper import DailyFeature, Paper, paper_id_problem
from paperboard.domain.record_limits import oversized

FORMATS = ("kaggle", "hf-daily", "beir", "paperboard", "listings")
EXPORT_FORMAT = "paperboard/1"

# Column widths of the store (adapters/store/schema/). PostgreSQL refuses longer values and would
# fail the whole batch, so a record that does not fit is skipped on its own instead.
_MAX_LENGTH = {"id": 64, "category": 32, "doi": 255, "submitter": 255, "source": 32}
_PAPER_FIELDS = tuple(f.name for f in fields(Paper))


class RecordError(ValueError):
    """A record that cannot become a paper. ``reason`` groups the count; ``detail`` is for people."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class UnreadableFile(RecordError):
    """A record saying the rest of its file cannot be read (an export from a newer paperboard)."""


@dataclass(frozen=True)
class Parsed:
    paper: Paper
    feature: DailyFeature | None = None


def detect_format(record: object) -> str | None:
    """Which format the first record of a file is in, or None when it matches none."""
    if not isinstance(record, dict):
        return None
    if str(record.get("format", "")).startswith("paperboard/") or {"id", "title", "source", "primary_category"} <= record.keys():
        return "paperboard"
    if isinstance(record.get("paper"), dict):
        return "hf-daily"
    if "_id" in record:
        return "beir"
    if "id" in record and ("authors_parsed" in record or "versions" in record):
        return "kaggle"
    if "id" in record and "listing_date" in record:
        return "listings"
    return None


def parse_record(format: str, record: object) -> Parsed | None:
    """The paper in ``record``; None for lines that carry no paper (our export's header)."""
    if not isinstance(record, dict):
        raise RecordError("not a JSON object", type(record).__name__)
    parsed = _PARSERS[format](record)
    if parsed is not None and (problem := oversized(parsed.paper)):
        raise RecordError("record too large", f"{parsed.paper.id}: {problem}")
    return parsed


# -- Kaggle arXiv snapshot --------------------------------------------------------------------
def _kaggle(record: dict) -> Parsed:
    arxiv_id = _arxiv_id(record.get("id"))
    versions = record.get("versions") or []
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise RecordError("malformed field", "versions is not a list of objects")
    created = [_rfc2822(v.get("created"), "versions.created") for v in versions]
    categories = _strings(str(record.get("categories") or "").split(), "categories")
    return Parsed(
        Paper(
            id=arxiv_id.base,
            title=_required_text(record, "title"),
            abstract=_text(record, "abstract") or "",
            version=_kaggle_version(versions),
            authors=_kaggle_authors(record),
            categories=categories,
            primary_category=categories[0] if categories else None,
            published=created[0] if created else None,
            updated=created[-1] if created else None,
            comment=_text(record, "comments"),
            journal_ref=_text(record, "journal-ref"),
            doi=_limited(_text(record, "doi"), "doi"),
            source="kaggle",
        )
    )


def _kaggle_version(versions: list[dict]) -> int | None:
    if not versions:
        return None
    label = str(versions[-1].get("version", ""))
    # "v3" names the version; the list length is the fallback when a label is missing or odd.
    return int(label[1:]) if label[:1] == "v" and label[1:].isdigit() else len(versions)


def _kaggle_authors(record: dict) -> tuple[str, ...]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
                raise RecordError("malformed field", "authors_parsed is not a list of [last, first, suffix]")
            last, first, suffix = (parts + ["", "", ""])[:3]
            name = " ".join(p.strip() for p in (first, last, suffix) if p.strip())
            if name:
                names.append(name)
        return tuple(names)
    # Without authors_parsed: the display string, "A, B and C".
    text = _text(record, "authors") or ""
    return tuple(n.strip() for n in text.replace(" and ", ",").split(",") if n.strip())


# -- Hugging Face daily papers ----------------------------------------------------------------
def _hf_daily(record: dict) -> Parsed:
    paper = record["paper"] if isinstance(record.get("paper"), dict) else None
    if paper is None:
        raise RecordError("missing field", "paper")
    arxiv_id = _arxiv_id(paper.get("id"))
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise RecordError("malformed field", "paper.authors is not a list")
    abstract = _text(paper, "summary") or _text(record, "summary") or ""
    github = _text(paper, "githubRepo")
    code = extract_links(github, abstract).code if github else []
    title = _text(paper, "title") or _text(record, "title")
    if not title:
        raise RecordError("missing field", "title")
    result = Paper(
        id=arxiv_id.base,
        title=title,
        abstract=abstract,
        version=arxiv_id.version,
        authors=tuple(a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)),
        published=_iso_datetime(paper.get("publishedAt"), "paper.publishedAt"),
        code_urls=tuple(code),
        project_url=_text(paper, "projectPage"),
        source="hf-daily",
    )
    return Parsed(result, _hf_feature(record, paper, result.id))


def _hf_feature(record: dict, paper: dict, paper_id: str) -> DailyFeature | None:
    # The day a paper was on the daily list: huggingface_hub's PaperInfo reads it as the item's
    # ``publishedAt`` (falling back to ``submittedOnDailyAt``); ``paper.publishedAt`` is the arXiv
    # date instead. The list day is the UTC calendar date of that timestamp.
    stamp = record.get("publishedAt") or record.get("submittedOnDailyAt") or paper.get("submittedOnDailyAt")
    featured = _iso_datetime(stamp, "publishedAt")
    if featured is None:
        return None
    submitter = record.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    name = None
    if isinstance(submitter, dict):
        # ``name``/``user`` is the handle shown on the site; ``fullname`` only when it is missing.
        name = submitter.get("name") or submitter.get("user") or submitter.get("fullname")
    upvotes = _count(paper.get("upvotes", record.get("upvotes")), "paper.upvotes") or 0
    return DailyFeature(
        paper_id=paper_id,
        featured_on=featured.date(),
        submitter=_limited(name.strip() or None if isinstance(name, str) else None, "submitter"),
        upvotes=upvotes,
        source="hf-daily",
    )


# -- BEIR corpus ------------------------------------------------------------------------------
def _beir(record: dict) -> Parsed:
    local_id = record.get("_id")
    if isinstance(local_id, int):
        local_id = str(local_id)
    if not isinstance(local_id, str) or not local_id.strip():
        raise RecordError("missing field", "_id")
    title, text = _text(record, "title") or "", _text(record, "text") or ""
    if not title and not text:
        raise RecordError("missing field", "title and text are both empty")
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    return Parsed(
        Paper(
            id=_limited(f"beir:{local_id.strip()}", "id"),
            title=title,
            abstract=text,
            doi=_limited(_text(metadata, "doi"), "doi"),
            abs_url=_text(metadata, "url"),
            source="beir",
        )
    )


# -- paperboard's own export ------------------------------------------------------------------
def _paperboard(record: dict) -> Parsed | None:
    if "format" in record:
        if record["format"] != EXPORT_FORMAT:
            raise UnreadableFile(
                "unsupported export version",
                f"written in format {record['format']!r} by a newer paperboard; this one reads {EXPORT_FORMAT}",
            )
        return None
    # Values are taken exactly as exported (no stripping), so an export re-imports unchanged.
    values: dict = {name: _exact_text(record, name) for name in _EXPORT_TEXT_FIELDS}
    values["id"] = _limited(_required_text(record, "id"), "id")
    if problem := paper_id_problem(values["id"]):
        raise RecordError("not a paper id", problem)
    values["title"] = _required_text(record, "title")
    values["abstract"] = values["abstract"] or ""
    values["source"] = _limited(values["source"] or "paperboard", "source")
    values["doi"] = _limited(values["doi"], "doi")
    for name in ("authors", "categories", "code_urls", "huggingface_urls"):
        values[name] = _strings(record.get(name) or (), name, exact=True)
    for name in ("published", "updated"):
        values[name] = _iso_datetime(record.get(name), name)
    values["announced"] = _iso_date(record.get("announced"), "announced")
    values["version"] = _count(record.get("version"), "version")
    paper = Paper(**values)
    feature = record.get("feature")
    if feature is None:
        return Parsed(paper)
    if not isinstance(feature, dict):
        raise RecordError("malformed field", "feature is not an object")
    featured_on = _iso_date(feature.get("featured_on"), "feature.featured_on")
    if featured_on is None:
        raise RecordError("missing field", "feature.featured_on")
    return Parsed(
        paper,
        DailyFeature(
            paper_id=paper.id,
            featured_on=featured_on,
            submitter=_limited(_exact_text(feature, "submitter"), "submitter"),
            upvotes=_count(feature.get("upvotes"), "feature.upvotes") or 0,
            source=_limited(_exact_text(feature, "source") or "paperboard", "source"),
        ),
    )


_EXPORT_TEXT_FIELDS = (
    "abstract", "primary_category", "comment", "journal_ref", "doi", "abs_url", "pdf_url", "project_url", "source",
)


def export_header(exported_at: datetime, papers: int) -> dict:
    return {"format": EXPORT_FORMAT, "exported_at": exported_at.isoformat(), "papers": papers}


def export_record(paper: Paper, feature: DailyFeature | None) -> dict:
    """A paper as one JSON object of our export; ``_paperboard`` reads it back unchanged."""
    record = {}
    for name in _PAPER_FIELDS:
        value = getattr(paper, name)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        record[name] = value
    if feature is not None:
        record["feature"] = {
            "featured_on": feature.featured_on.isoformat(),
            "submitter": feature.submitter,
            "upvotes": feature.upvotes,
            "source": feature.source,
        }
    return record


# -- shared/eval arXiv listings ---------------------------------------------------------------
def _listings(record: dict) -> Parsed:
    arxiv_id = _arxiv_id(record.get("id"))
    categories = _strings(record.get("categories") or (), "categories")
    return Parsed(
        Paper(
            id=arxiv_id.base,
            title=_required_text(record, "title"),
            abstract=_text(record, "abstract") or "",
            version=arxiv_id.version,
            authors=_strings(record.get("authors") or (), "authors"),
            categories=categories,
            primary_category=categories[0] if categories else None,
            announced=_iso_date(record.get("listing_date"), "listing_date"),
            comment=_text(record, "comment"),
            abs_url=_text(record, "abs_url"),
            source="listings",
        )
    )


_PARSERS = {"kaggle": _kaggle, "hf-daily": _hf_daily, "beir": _beir, "paperboard": _paperboard, "listings": _listings}


# -- field helpers ----------------------------------------------------------------------------
def _arxiv_id(value: object):
    if value is None or value == "":
        raise RecordError("missing field", "id")
    try:
        return parse_arxiv_id(str(value))
    except InvalidArxivId:
        raise RecordError("not an arXiv id", repr(value)[:80]) from None


def _text(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError("malformed field", f"{key} is not text")
    return value.strip() or None


def _required_text(record: dict, key: str) -> str:
    value = _text(record, key)
    if not value:
        raise RecordError("missing field", key)
    return value


def _exact_text(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise RecordError("malformed field", f"{key} is not text")
    return value


def _count(value: object, key: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RecordError("malformed field", f"{key} is not a whole number: {value!r}"[:120])
    return value


def _strings(value: object, key: str, *, exact: bool = False) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RecordError("malformed field", f"{key} is not a list of text")
    items = tuple(value) if exact else tuple(v.strip() for v in value if v.strip())
    if key == "categories":
        for category in items:
            _limited(category, "category")
    return items


def _limited(value: str | None, key: str) -> str | None:
    if value is not None and len(value) > _MAX_LENGTH[key]:
        raise RecordError("value too long", f"{key} has {len(value)} characters, the store keeps {_MAX_LENGTH[key]}")
    return value


def _rfc2822(value: object, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _naive_utc(parsedate_to_datetime(str(value)))
    except (TypeError, ValueError):
        raise RecordError("malformed field", f"{key} is not a date: {str(value)[:40]!r}") from None


def _iso_datetime(value: object, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return _naive_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise RecordError("malformed field", f"{key} is not an ISO date: {str(value)[:40]!r}") from None


def _iso_date(value: object, key: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RecordError("malformed field", f"{key} is not an ISO date: {str(value)[:40]!r}") from None


def _naive_utc(moment: datetime) -> datetime:
    """The store keeps UTC without a zone (as ``utcnow`` does); a zone-less input is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment

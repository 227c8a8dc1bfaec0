"""The paper record every source produces and every layer reads. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from paperboard.domain.arxiv_id import is_arxiv_id, parse_arxiv_id
from paperboard.domain.links import extract_links, safe_link, safe_links


@dataclass(frozen=True)
class Paper:
    """One paper at its latest known version.

    ``id`` is the versionless arXiv id (``2401.01234``, ``hep-th/9901001``) for arXiv papers, or
    ``namespace:local-id`` for documents from elsewhere (``beir:4983``).
    """

    id: str
    title: str
    abstract: str = ""
    version: int | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    announced: date | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_urls: tuple[str, ...] = ()
    huggingface_urls: tuple[str, ...] = ()
    project_url: str | None = None
    source: str = "unknown"

    @property
    def is_arxiv(self) -> bool:
        return ":" not in self.id


def paper_id_problem(text: str) -> str | None:
    """Why ``text`` cannot be a paper's id, or None when it can: the versionless arXiv id itself
    (``2401.01234``, ``hep-th/9901001``), or ``namespace:local-id`` with a namespace of ASCII
    letters and digits and a local id of printable characters that is not a path (no leading
    ``/``, no ``.`` or ``..`` segment). Ids become URLs and keys exactly as written, so
    ``../../../etc/passwd`` or a line break must not become one.
    """
    if is_arxiv_id(text):
        base = parse_arxiv_id(text).base
        return None if base == text else f"an arXiv id is stored without version or prefix ({base!r}, not {text!r})"
    namespace, colon, local = text.partition(":")
    if not (colon and namespace.isascii() and namespace.isalnum()):
        return f"{text[:80]!r} is neither an arXiv id (2401.01234) nor namespace:id (beir:4983)"
    if not local or local != local.strip() or not local.isprintable():
        return f"{text[:80]!r}: the local id is empty, padded or holds control characters"
    if local.startswith("/") or {".", ".."} & set(local.split("/")):
        return f"{text[:80]!r}: the local id is a path"
    return None


def with_derived_fields(paper: Paper) -> Paper:
    """Fill what can be derived: links from abstract and comment, arXiv URLs, primary category.

    Every source's record passes here before it is stored, so this is where links come in: one that
    is not a ``safe_link`` is dropped (an arXiv paper's abs and PDF links then fall back to arXiv's
    own), and the rest of the record is kept.
    """
    links = extract_links(paper.abstract, paper.comment)
    primary = paper.primary_category or (paper.categories[0] if paper.categories else None)
    categories = paper.categories
    if primary and primary not in categories:
        categories = (primary, *categories)
    abs_url, pdf_url = safe_link(paper.abs_url), safe_link(paper.pdf_url)
    if paper.is_arxiv:
        abs_url = abs_url or f"https://arxiv.org/abs/{paper.id}"
        pdf_url = pdf_url or f"https://arxiv.org/pdf/{paper.id}"
    return replace(
        paper,
        title=_squash(paper.title),
        abstract=_squash(paper.abstract),
        categories=categories,
        primary_category=primary,
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_urls=safe_links(paper.code_urls) or tuple(links.code),
        huggingface_urls=safe_links(paper.huggingface_urls) or tuple(links.huggingface),
        project_url=safe_link(paper.project_url) or links.project_page,
    )


def _squash(text: str) -> str:
    """arXiv metadata wraps lines at ~80 columns; collapse all runs of whitespace."""
    return " ".join((text or "").split())


COMMUNITY = "community"  # the source of a feature a member submitted
FORMER_MEMBER = "a former member"


@dataclass(frozen=True)
class DailyFeature:
    """A paper put on the daily feed for ``featured_on`` (by a person, or imported)."""

    paper_id: str
    featured_on: date
    submitter: str | None = None
    upvotes: int = 0
    source: str = "unknown"
    # The username of the member who submitted it (source "community"); None once the account is gone.
    member: str | None = None

    @property
    def credited(self) -> str | None:
        """The name a page shows as the submitter: the member, "a former member" after their
        account was deleted, or the name that came with an imported feature."""
        if self.member:
            return self.member
        if self.source == COMMUNITY:
            return FORMER_MEMBER
        return self.submitter


@dataclass
class ImportCounts:
    """What a batch did. ``skipped`` maps a reason to how many records it covered."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def add(self, other: "ImportCounts") -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        for reason, n in other.skipped.items():
            self.skip(reason, n)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
        }

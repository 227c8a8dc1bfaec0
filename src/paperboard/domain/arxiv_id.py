"""arXiv identifiers, both schemes, with and without a version.

New style (April 2007 on): ``YYMM.NNNN`` (to 2014) or ``YYMM.NNNNN`` (2015 on).
Old style (to March 2007): ``archive[.SUBJ]/YYMMNNN`` such as ``hep-th/9901001`` or
``math.GT/0309136``; the subject class is not part of the identity and is dropped.

Any of them may come as people paste them: ``arXiv:`` labels, arXiv's abs, pdf and html pages
(with or without the scheme, a ``.pdf``, a query string or a fragment), Hugging Face's paper pages
and arXiv's DOIs (``10.48550/arXiv.2401.01234``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?")
_OLD = re.compile(
    r"(?P<archive>[A-Za-z]+(?:-[A-Za-z]+)?)(?:\.[A-Za-z]{2})?/(?P<yymm>\d{4})(?P<num>\d{3})(?:v(?P<version>\d+))?"
)
# Prefixes people paste: URLs of arXiv's abs/pdf/html pages and of Hugging Face's paper pages
# (the scheme optional), arXiv's DOIs, "arXiv:" labels.
_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|(?:www\.)?huggingface\.co/papers/"
    r"|(?:dx\.)?doi\.org/10\.48550/arxiv\.)|(?:doi:\s*)?10\.48550/arxiv\.|arxiv:\s*)",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    """The text is not an arXiv identifier in either scheme."""


@dataclass(frozen=True, order=True)
class ArxivId:
    """A parsed identifier. ``base`` is the versionless identity used as a key."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse ``text`` (an id, an ``arXiv:`` label, an arXiv or Hugging Face URL, an arXiv DOI);
    raise InvalidArxivId."""
    if not isinstance(text, str):
        raise InvalidArxivId(f"not an arXiv id: {text!r}")
    text = text.strip()
    prefix = _PREFIX.match(text)
    candidate = text[prefix.end() :] if prefix else text
    if prefix and "/" in prefix.group():  # a URL's query string or fragment is not part of the id
        candidate = re.split(r"[?#]", candidate, maxsplit=1)[0]
    candidate = candidate.rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    new = _NEW.fullmatch(candidate)
    if new:
        month = int(new["yymm"][2:])
        if not 1 <= month <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {month:02d}): {text!r}")
        # Five-digit numbers began in 2015; four-digit ones ended with 2014.
        year = int(new["yymm"][:2])
        if len(new["num"]) == 5 and year < 15 or len(new["num"]) == 4 and year >= 15:
            raise InvalidArxivId(f"not an arXiv id (wrong number width for 20{year:02d}): {text!r}")
        return ArxivId(f"{new['yymm']}.{new['num']}", _version(new["version"]))
    old = _OLD.fullmatch(candidate)
    if old:
        month = int(old["yymm"][2:])
        if not 1 <= month <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {month:02d}): {text!r}")
        return ArxivId(f"{old['archive'].lower()}/{old['yymm']}{old['num']}", _version(old["version"]))
    raise InvalidArxivId(f"not an arXiv id: {text!r}")


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def _version(raw: str | None) -> int | None:
    if raw is None:
        return None
    version = int(raw)
    if version < 1:
        raise InvalidArxivId(f"arXiv versions start at 1, got v{version}")
    return version

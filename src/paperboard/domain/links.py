"""What a safe outside link is, and finding code repositories, Hugging Face pages and project pages
in abstracts and comments.

``safe_link`` is the one rule for every paper link, applied where links come in (every import
format, harvests, link extraction) and again where they leave (templates, feeds, the API, mail):
a record from an import or a faked arXiv answer can carry ``javascript:alert(1)`` in a URL field,
and a template that puts it in ``href`` runs it on our origin.

Authors paste links in many shapes: with a trailing full stop, wrapped in LaTeX ``\\url{...}`` or
``\\href{...}{...}``, pointing at a sub-folder (``/tree/main/x``) or ending in ``.git``. We keep one
normalised URL per repository (``https://github.com/owner/repo``) so that the same repository found
twice, or in two papers, is one thing whose stars can be counted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}\\|^`\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>'\"*"
# GitHub pages that are not repositories.
_GITHUB_RESERVED = {
    "about", "features", "topics", "orgs", "settings", "marketplace", "sponsors", "login", "join",
    "explore", "collections", "trending", "apps", "search", "pricing", "site",
}
_HF_KINDS = {"datasets", "spaces", "collections", "papers"}

MAX_LINK_CHARS = 2048  # what every browser and proxy takes; arXiv's and repositories' are far shorter
_HTTP = re.compile(r"https?://", re.IGNORECASE)
# Characters a well-formed URL never holds unencoded; a backslash is read as "/" by browsers, which
# lets "https://evil.example\\@arxiv.org" show one host and open another.
_NEVER_IN_URL = frozenset('<>"`\\')
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def safe_link(url: object) -> str | None:
    """``url`` when it may stand in an ``href`` that leads off this site, else None.

    Safe means: an absolute ``http``/``https`` URL with a well-formed host, no user name or password
    (``https://arxiv.org@evil.example/`` reads as arXiv and opens evil.example), no control,
    invisible or blank characters anywhere (browsers drop tabs and newlines inside a URL, so one can
    change what the URL means; other readers stop at them) and at most ``MAX_LINK_CHARS``.
    Surrounding ASCII blanks, as a file's field often has, are dropped; nothing else is rewritten.
    Relative and protocol-relative links (``//evil.example``) are refused: a paper's links point
    elsewhere by nature, and a protocol-relative one only pretends to be local.
    """
    if not isinstance(url, str):
        return None
    url = url.strip(" \t\r\n\f")
    if not url or len(url) > MAX_LINK_CHARS or not _HTTP.match(url):
        return None
    # isprintable() is False for controls, format characters (zero-width, bidi overrides), blanks
    # other than the space, unassigned and private-use code points.
    if not url.isprintable() or " " in url or not _NEVER_IN_URL.isdisjoint(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when it is not a number up to 65535
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname or port == 0:
        return None
    return url if _is_host(parts.hostname, bracketed=parts.netloc.startswith("[")) else None


def safe_links(urls) -> tuple[str, ...]:
    """The safe ones of ``urls``, in order."""
    return tuple(u for u in map(safe_link, urls or ()) if u is not None)


def _is_host(host: str, *, bracketed: bool) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")  # an internationalised name, as DNS sees it
    except UnicodeError:
        return False
    return _HOST.fullmatch(ascii_host) is not None


@dataclass(frozen=True)
class ExtractedLinks:
    code: list[str] = field(default_factory=list)
    huggingface: list[str] = field(default_factory=list)
    project_page: str | None = None


def extract_links(*texts: str | None) -> ExtractedLinks:
    """Links found in ``texts`` in order of appearance, each kind de-duplicated."""
    code: list[str] = []
    huggingface: list[str] = []
    project_page: str | None = None
    for text in texts:
        for raw in _URL.findall(text or ""):
            url = safe_link(_clean(raw))
            if url is None:
                continue
            host, parts = _split(url)
            if host is None:
                continue
            if host in ("github.com", "gitlab.com"):
                repo = _repository(host, parts)
                if repo and repo not in code:
                    code.append(repo)
            elif host == "huggingface.co":
                page = _huggingface(parts)
                if page and page not in huggingface:
                    huggingface.append(page)
            elif project_page is None and _looks_like_project_page(host, parts):
                project_page = _rebuild(host, parts)
    return ExtractedLinks(code=code, huggingface=huggingface, project_page=project_page)


def _clean(raw: str) -> str:
    url = raw
    while url and url[-1] in _TRAILING:
        # Keep a closing parenthesis that belongs to the URL, as in wiki-style paths.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    if url.lower().startswith("www."):
        url = "https://" + url
    return url


def _split(url: str) -> tuple[str | None, list[str]]:
    match = re.match(r"https?://([^/?#]+)([^?#]*)", url, re.IGNORECASE)
    if not match:
        return None, []
    host = match.group(1).lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    parts = [p for p in match.group(2).split("/") if p]
    return host, parts


def _repository(host: str, parts: list[str]) -> str | None:
    if host == "github.com":
        if len(parts) < 2 or parts[0].lower() in _GITHUB_RESERVED:
            return None
        owner, name = parts[0], _strip_git(parts[1])
        return f"https://github.com/{owner}/{name}" if name else None
    # GitLab allows nested groups; "/-/" starts the non-repository part of a path.
    path = parts[: parts.index("-")] if "-" in parts else parts
    path = [p for p in path if p]
    if len(path) < 2:
        return None
    path[-1] = _strip_git(path[-1])
    return "https://gitlab.com/" + "/".join(path) if path[-1] else None


def _huggingface(parts: list[str]) -> str | None:
    if not parts:
        return None
    if parts[0] in _HF_KINDS:
        if parts[0] == "papers":
            return None  # a paper page, not an artefact of this paper
        return "https://huggingface.co/" + "/".join(parts[:3]) if len(parts) >= 3 else None
    # Models live at the top level: /owner/name, and organisations at /owner.
    return "https://huggingface.co/" + "/".join(parts[:2])


def _looks_like_project_page(host: str, parts: list[str]) -> bool:
    if host.endswith("arxiv.org") or host in ("doi.org", "dx.doi.org"):
        return False
    return host.endswith(".github.io") or host.endswith(".gitlab.io") or bool(
        parts and parts[0].lower() in ("project", "projects")
    ) or host.startswith("project")


def _rebuild(host: str, parts: list[str]) -> str:
    return f"https://{host}/" + "/".join(parts) + ("/" if parts else "")


def _strip_git(name: str) -> str:
    return name[:-4] if name.lower().endswith(".git") else name

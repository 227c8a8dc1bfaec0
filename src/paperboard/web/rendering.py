"""Templates and the small helpers they use. Every piece of third-party text reaches HTML through
Jinja's autoescape or :func:`marked`, which escapes each span itself; nothing here trusts a title."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from paperboard.domain.comments import render_markdown
from paperboard.domain.links import safe_link, safe_links
from paperboard.domain.paper import Paper
from paperboard.services import votes
from paperboard.web.security import csrf_field

TEMPLATES = Path(__file__).parent / "templates"
CACHE_HEADER = "x-pb-cache"
_AUTHORS_SHOWN = 8


def paper_path(paper_id: str, suffix: str = "") -> str:
    """``/papers/2401.01234`` or ``/papers/hep-th/9901001`` (the slash of old ids stays a slash)."""
    return "/papers/" + quote(paper_id, safe="/:") + suffix


def marked(snippet) -> Markup:
    """A snippet (spans of text, some marked as matching the query) as escaped HTML with <mark>."""
    parts = []
    for span in getattr(snippet, "spans", ()):
        text = escape(span.text)
        parts.append(Markup("<mark>%s</mark>") % text if span.marked else text)
    return Markup("").join(parts)


def short_authors(authors, limit: int = _AUTHORS_SHOWN) -> str:
    authors = list(authors or ())
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + f" and {len(authors) - limit} more"


def human_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def truncate(text: str | None, limit: int = 300) -> str:
    text = text or ""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def query_url(path: str, params: dict) -> str:
    """``path`` with the non-empty ``params`` in a fixed order: links and canonical URLs agree."""
    kept = [(k, v) for k, v in params.items() if v not in (None, "", False)]
    return path + ("?" + urlencode(kept) if kept else "")


def comment_html(body: str) -> Markup:
    """A comment's markdown as sanitised HTML (``domain.comments.render_markdown``)."""
    return Markup(render_markdown(body))


class MemberUpvotes:
    """The papers the member looking at a page has upvoted, read on the first question (a page
    without cards never asks); empty for visitors, whose pages are the cached, shared ones."""

    def __init__(self, ctx, member) -> None:
        self._ctx, self._member, self._ids = ctx, member, None

    def __contains__(self, paper_id: str) -> bool:
        if self._member is None:
            return False
        if self._ids is None:
            self._ids = votes.upvoted_among(self._ctx, self._member.id)
        return paper_id in self._ids


@lru_cache(maxsize=1)
def make_templates() -> Jinja2Templates:
    """One environment per process: templates compile once, however many apps are created."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.globals.update(csrf_field=csrf_field, paper_path=paper_path, query_url=query_url)
    env.filters.update(marked=marked, short_authors=short_authors, human_date=human_date, truncate_text=truncate, comment_html=comment_html)
    env.filters.update(safe_link=safe_link, safe_links=safe_links)
    env.trim_blocks = env.lstrip_blocks = True
    return templates


def page(
    request: Request,
    template: str,
    *,
    title: str,
    canonical: str,
    description: str = "",
    status: int = 200,
    cache: bool = True,
    **context,
) -> HTMLResponse:
    """Render a full page with the head every page shares (title, canonical URL, OpenGraph)."""
    base = request.app.state.base_url
    response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "site_name": request.app.state.site_name,
            "canonical": base + canonical,
            "description": truncate(description, 200),
            "request_path": request.url.path,
            "member": getattr(request.state, "member", None),
            # For forms that lead back here (upvote buttons) and the member's pressed upvotes.
            "current_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "my_upvotes": MemberUpvotes(request.app.state.ctx, getattr(request.state, "member", None)),
            **context,
        },
        status_code=status,
    )
    response.headers["cache-control"] = "private, no-cache"
    if cache and status == 200:
        response.headers[CACHE_HEADER] = "1"
    return response


def paper_markdown(paper: Paper, feature, base_url: str, *, upvotes: int | None = None) -> str:
    """The paper as markdown, like the page: title, authors, links, abstract (text kept as written).
    ``upvotes``: members' and imported together, as the page shows (default: the imported ones)."""
    lines = [f"# {_one_line(paper.title)}", ""]
    if paper.authors:
        lines += [f"**Authors:** {', '.join(_one_line(a) for a in paper.authors)}", ""]
    abs_url, pdf_url, project_url = safe_link(paper.abs_url), safe_link(paper.pdf_url), safe_link(paper.project_url)
    facts = [f"- arXiv: [{paper.id}]({abs_url})" if abs_url else f"- id: {paper.id}"]
    if pdf_url:
        facts.append(f"- PDF: {pdf_url}")
    if paper.announced:
        facts.append(f"- Announced: {paper.announced.isoformat()}")
    if paper.published:
        facts.append(f"- Published: {paper.published.date().isoformat()}")
    if feature is not None:
        facts.append(f"- Featured on: {feature.featured_on.isoformat()} ({feature.upvotes if upvotes is None else upvotes} upvotes)")
    if paper.categories:
        facts.append(f"- Categories: {', '.join(paper.categories)}")
    facts += [f"- Code: {url}" for url in safe_links(paper.code_urls)]
    if project_url:
        facts.append(f"- Project page: {project_url}")
    facts += [f"- Hugging Face: {url}" for url in safe_links(paper.huggingface_urls)]
    facts.append(f"- Page: {base_url}{paper_path(paper.id)}")
    lines += facts + ["", "## Abstract", "", paper.abstract or "(no abstract)", ""]
    if paper.comment:
        lines += ["## Comment", "", paper.comment, ""]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())

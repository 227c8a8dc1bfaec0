"""Comments on a paper: what a body may be, how it becomes safe HTML, and how a thread is laid out.

Rendering is two steps, each a real library doing what it is good at:

1. ``markdown-it-py`` in its CommonMark preset with raw HTML **disabled** (a ``<script>`` typed in a
   comment becomes the text ``&lt;script&gt;``), images and tables off, and a link validator
   (``link_allowed``) that only lets ``http``/``https`` links that are ``links.safe_link``,
   ``mailto`` and links within this site through (``javascript:`` / ``data:`` links and
   protocol-relative ones, ``//evil.example``, stay text);
2. ``nh3`` (the Ammonia sanitiser) over the result with an allowlist of the tags step 1 can produce,
   the same URL schemes, the same validator over every ``href`` and ``rel="nofollow ugc noopener"``
   on every link. Step 1 alone is already
   safe; step 2 makes safety a property of an allowlist rather than of a parser's configuration, so
   a later markdown option or plugin cannot let markup through unnoticed.

The body is stored as the member wrote it and rendered when shown, so a stricter policy applies to
old comments too. Threads are one level deep: a reply to a reply attaches to the top-level comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import nh3
from markdown_it import MarkdownIt

from paperboard.domain.links import safe_link

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
_ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


class CommentRefused(ValueError):
    """A comment that cannot be taken as written (empty, too long, in the wrong place)."""


def link_allowed(url: str) -> bool:
    """Whether a comment may link to ``url``: a ``safe_link``, a ``mailto:`` or a link within this site."""
    # Read it as a browser does: blanks and controls around it dropped, tabs and newlines inside
    # removed, a backslash taken for a slash.
    seen = "".join(c for c in url if c not in "\t\n\r").strip("".join(map(chr, range(33)))).replace("\\", "/")
    if seen.startswith("//"):
        return False  # protocol-relative: another site that only looks like a path of ours
    scheme, colon, _ = seen.partition(":")
    if not colon or "/" in scheme or "?" in scheme or "#" in scheme:
        return True  # relative: stays on this site
    if scheme.lower() == "mailto":
        return url.isprintable()
    return safe_link(url) is not None


def _make_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable(["image", "html_block", "html_inline"])
    parser.validateLink = link_allowed
    return parser


_PARSER = _make_parser()


def render_markdown(body: str) -> str:
    """The comment as sanitised HTML: only the allowed tags, links with safe schemes and ``rel``."""
    return sanitise(_PARSER.render(body))


def sanitise(html: str) -> str:
    """Step 2 on its own: only the allowed tags, attributes and links are left of ``html``."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        attribute_filter=_allowed_attribute,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _allowed_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Ammonia takes "//evil.example" for a relative URL and lets it through: decide links here too.
    if attribute == "href" and not link_allowed(value):
        return None
    return value


def clean_body(body: str | None, max_chars: int) -> str:
    """The body to store: line endings normalised, surrounding blank space dropped; refused when
    empty, too long or holding NUL or other control characters no text needs."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise CommentRefused("A comment needs some text.")
    if len(text) > max_chars:
        raise CommentRefused(f"A comment can be at most {max_chars:,} characters (this one has {len(text):,}).")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise CommentRefused("The comment contains control characters; please remove them.")
    return text


def thread_parent(parent_id: int | None, parent_parent_id: int | None) -> int | None:
    """Where a reply attaches: to the parent, or, when the parent is itself a reply, to its top-level
    comment (threads are one level deep)."""
    if parent_id is None:
        return None
    return parent_parent_id if parent_parent_id is not None else parent_id


@dataclass(frozen=True)
class Comment:
    id: int
    paper_id: str
    user_id: int
    username: str
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    hidden_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def visible(self) -> bool:
        """Counted on cards: neither deleted by its author nor hidden by a moderator."""
        return not self.deleted and not self.hidden


@dataclass
class ThreadEntry:
    """A top-level comment (or the placeholder of one that is hidden but has replies) and its replies."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)
    placeholder: bool = False  # hidden from this viewer: shown only as "hidden by a moderator"


def build_threads(comments: list[Comment], *, sees_hidden: bool) -> list[ThreadEntry]:
    """Top-level comments oldest first, each with its replies oldest first.

    A hidden comment vanishes for everyone but moderators (``sees_hidden``); a hidden top-level
    comment that still has replies someone can see keeps a placeholder, so the replies keep their
    context. A reply whose parent is gone (its author's account was deleted) stands alone.
    """
    ordered = sorted(comments, key=lambda c: (c.created_at, c.id))
    ids = {c.id for c in ordered}
    threads: dict[int, ThreadEntry] = {}
    for comment in ordered:
        if comment.parent_id is None or comment.parent_id not in ids:
            threads[comment.id] = ThreadEntry(comment)
    for comment in ordered:
        if comment.id in threads:
            continue
        if comment.hidden and not sees_hidden:
            continue
        threads[comment.parent_id].replies.append(comment)
    shown = []
    for entry in threads.values():
        if entry.comment.hidden and not sees_hidden:
            if not entry.replies:
                continue
            entry.placeholder = True
        shown.append(entry)
    return shown

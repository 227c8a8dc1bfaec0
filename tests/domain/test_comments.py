"""Comment bodies: the markdown subset, what stays inert, the body rules and the one-level threads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from lxml import html as lxml_html

from paperboard.domain import comments
from paperboard.domain.comments import Comment, CommentRefused, build_threads, clean_body, render_markdown, thread_parent

T0 = datetime(2026, 4, 8, 10, 0)


def _elements(rendered: str):
    return lxml_html.fragment_fromstring(rendered, create_parent="div").iter()


def test_the_markdown_subset_renders():
    rendered = render_markdown("**bold** *it* `x<y`\n\n- one\n- two\n\n> quoted\n\n```\ncode\n```")
    for tag in ("<strong>bold</strong>", "<em>it</em>", "<code>x&lt;y</code>", "<li>one</li>", "<blockquote>", "<pre><code>code"):
        assert tag in rendered


@pytest.mark.parametrize(
    "body",
    [
        '<script>alert("x")</script>',
        '<img src=x onerror=alert(1)>',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<div onclick="alert(1)">x</div>',
        "<style>body{display:none}</style>",
        "<!-- hidden --><svg onload=alert(1)>",
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(body):
    rendered = render_markdown(body)
    tags = {el.tag for el in _elements(rendered)} - {"div"}
    assert tags <= {"p"}, rendered
    assert "<script" not in rendered and "<img" not in rendered and "<iframe" not in rendered and "<svg" not in rendered
    assert all(not name.startswith("on") for el in _elements(rendered) for name in el.attrib)


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "![img](https://example.org/a.png)",
    ],
)
def test_links_with_unsafe_schemes_and_images_are_inert(link):
    rendered = render_markdown(link)
    for el in _elements(rendered):
        assert el.tag != "img"
        href = el.get("href")
        if href is not None:
            assert href.split(":", 1)[0].lower() in ("http", "https", "mailto"), rendered


@pytest.mark.parametrize(
    "link",
    [
        "[x](//evil.example)",
        "[x](//evil.example/papers)",
        "[x]( //evil.example)",
        "[x](</\t/evil.example>)",
        "[x](https://arxiv.org@evil.example/)",
        "[x](http:evil.example)",
    ],
)
def test_links_off_site_that_pass_for_relative_or_trusted_are_inert(link):
    hrefs = [el.get("href") for el in _elements(render_markdown(link)) if el.get("href") is not None]
    # Either no link at all, or one that a browser resolves to a path of this site.
    assert all(href.startswith("/") and not href.startswith("//") for href in hrefs), hrefs


@pytest.mark.parametrize("href", ["//evil.example", "\\\\evil.example", "/\\evil.example", " //evil.example", "https://a@evil.example"])
def test_the_sanitiser_drops_off_site_links_too(href):
    # Step 2 on its own (raw HTML that step 1 would never produce): its allowlist decides as well.
    assert "href" not in comments.sanitise(f'<a href="{href}">x</a>')


def test_safe_links_keep_their_target_and_get_rel():
    rendered = render_markdown("see [the code](https://github.com/x/y) or <mailto:a@b.org> or [home](/papers/2401.01234)")
    anchors = [el for el in _elements(rendered) if el.tag == "a"]
    assert [a.get("href") for a in anchors] == ["https://github.com/x/y", "mailto:a@b.org", "/papers/2401.01234"]
    assert all(a.get("rel") == "nofollow ugc noopener" for a in anchors)


def test_clean_body_rules():
    assert clean_body("  hi\r\nthere  ", 100) == "hi\nthere"
    with pytest.raises(CommentRefused, match="needs some text"):
        clean_body(" \n\t ", 100)
    with pytest.raises(CommentRefused, match="at most 10 characters"):
        clean_body("x" * 11, 10)
    assert clean_body("x" * 10, 10) == "x" * 10
    with pytest.raises(CommentRefused, match="control characters"):
        clean_body("a\x00b", 100)


def test_a_reply_to_a_reply_attaches_to_the_top_level_comment():
    assert thread_parent(None, None) is None
    assert thread_parent(7, None) == 7  # reply to a top-level comment
    assert thread_parent(9, 7) == 7  # reply to reply 9, whose parent is 7


def _comment(id_, parent=None, minutes=0, **kw) -> Comment:
    return Comment(id_, "2604.00001", 1, "ada", parent, f"body {id_}", T0 + timedelta(minutes=minutes), **kw)


def test_threads_oldest_first_with_replies_and_orphans_standing_alone():
    found = [_comment(3, parent=1, minutes=3), _comment(1, minutes=1), _comment(2, minutes=2), _comment(4, parent=99, minutes=4)]
    threads = build_threads(found, sees_hidden=False)
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [(1, [3]), (2, []), (4, [])]


def test_hidden_comments_vanish_for_visitors_and_stay_marked_for_moderators():
    hidden = {"hidden_at": T0}
    found = [
        _comment(1, minutes=1, **hidden),  # hidden, no replies: gone
        _comment(2, minutes=2, **hidden),  # hidden, with a visible reply: a placeholder
        _comment(3, parent=2, minutes=3),
        _comment(4, minutes=4),
        _comment(5, parent=4, minutes=5, **hidden),  # hidden reply: gone
    ]
    visitor = build_threads(found, sees_hidden=False)
    assert [(t.comment.id, t.placeholder, [r.id for r in t.replies]) for t in visitor] == [(2, True, [3]), (4, False, [])]
    moderator = build_threads(found, sees_hidden=True)
    assert [(t.comment.id, t.placeholder, [r.id for r in t.replies]) for t in moderator] == [
        (1, False, []), (2, False, [3]), (4, False, [5])
    ]


def test_deleted_comments_keep_their_place():
    found = [_comment(1, minutes=1, deleted_at=T0), _comment(2, parent=1, minutes=2)]
    threads = build_threads(found, sees_hidden=False)
    assert [(t.comment.id, t.comment.deleted, [r.id for r in t.replies]) for t in threads] == [(1, True, [2])]
    assert not threads[0].comment.visible and threads[0].replies[0].visible

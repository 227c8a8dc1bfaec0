"""The record caps: a record at every cap fits, one past any of them is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paperboard.domain import record_limits as caps
from paperboard.domain.paper import Paper

AT_THE_CAPS = Paper(
    id="2401.00001",
    title="t" * caps.TITLE_CHARS,
    abstract="a" * caps.ABSTRACT_CHARS,
    authors=("n" * caps.AUTHOR_NAME_CHARS,) + ("Ada",) * (caps.AUTHORS - 1),
    categories=("cs.CL",) * caps.CATEGORIES,
    comment="c" * caps.COMMENT_CHARS,
    journal_ref="j" * caps.JOURNAL_REF_CHARS,
    abs_url="https://e.org/" + "u" * (caps.URL_CHARS - 14),
    code_urls=("https://github.com/a/b",) * caps.URLS,
)


def test_a_record_at_every_cap_fits():
    assert caps.oversized(AT_THE_CAPS) is None
    assert caps.oversized(Paper("2401.00002", "A title")) is None


@pytest.mark.parametrize(
    "change, said",
    [
        (dict(title="t" * (caps.TITLE_CHARS + 1)), "the title has 2,001 characters (at most 2,000)"),
        (dict(abstract="a" * (caps.ABSTRACT_CHARS + 1)), "the abstract has 100,001 characters (at most 100,000)"),
        (dict(comment="c" * (caps.COMMENT_CHARS + 1)), "the comment has 10,001 characters (at most 10,000)"),
        (dict(journal_ref="j" * (caps.JOURNAL_REF_CHARS + 1)), "the journal reference has 2,001 characters"),
        (dict(pdf_url="h" * (caps.URL_CHARS + 1)), "the PDF URL has 2,001 characters"),
        (dict(authors=("Ada",) * (caps.AUTHORS + 1)), "20,001 authors (at most 20,000)"),
        (dict(authors=("n" * (caps.AUTHOR_NAME_CHARS + 1),)), "an author name has 1,001 characters"),
        (dict(categories=("cs.CL",) * (caps.CATEGORIES + 1)), "101 categories (at most 100)"),
        (dict(huggingface_urls=("https://huggingface.co/x",) * (caps.URLS + 1)), "101 Hugging Face links"),
        (dict(code_urls=("https://github.com/" + "x" * caps.URL_CHARS,)), "a code link is longer than 2,000 characters"),
    ],
)
def test_one_past_any_cap_is_named(change, said):
    assert said in caps.oversized(replace(AT_THE_CAPS, **change))

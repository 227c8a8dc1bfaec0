"""The query language: what each operator means, and that no string can make it raise anything else."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperboard.domain.query import MAX_QUERY_CHARS, Query, QueryError, parse_query
from paperboard.errors import UserError


def test_free_words_phrases_and_exclusions():
    query = parse_query('graph  neural "message passing" -survey -"large language"')
    assert query.words == ("graph", "neural")
    assert query.phrases == ("message passing",)
    assert query.excluded == ("survey", "large language")
    assert query.free_text == "graph neural message passing"
    assert query.has_text and not query.has_filters


def test_fields_with_quoted_and_bare_values():
    query = parse_query('author:"Yann LeCun" AUTHOR:hinton cat:cs.lg cat:hep-th cat:cs has:code sort:new')
    assert query.authors == ("Yann LeCun", "hinton")
    assert query.categories == ("cs.LG", "hep-th", "cs")
    assert query.has_code and query.sort == "date" and query.sort_given
    assert not query.has_text and query.has_filters


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("year:2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("year:2024..2025", date(2024, 1, 1), date(2025, 12, 31)),
        ("from:2026-03-01", date(2026, 3, 1), None),
        ("until:2026-02", None, date(2026, 2, 28)),
        ("date:2026-03-01..2026-04-30", date(2026, 3, 1), date(2026, 4, 30)),
        ("date:2026-03..", date(2026, 3, 1), None),
        ("date:..2026-03", None, date(2026, 3, 31)),
        ("date:2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("year:2026 from:2026-03-10 until:2026-05", date(2026, 3, 10), date(2026, 5, 31)),
    ],
)
def test_dates_become_inclusive_ranges(text, start, end):
    query = parse_query(text)
    assert (query.date_from, query.date_until) == (start, end)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("author:", "needs a value"),
        ('author:""', "needs a value"),
        ("year:26", "not a year"),
        ("from:2026-13-01", "not a date on the calendar"),
        ("from:2026-02-30", "not a date on the calendar"),
        ("until:yesterday", "not a date"),
        ("date:..", "names no date"),
        ("year:2026 until:2025-06", "leave nothing between them"),
        ("has:pdf", "has:code"),
        ("sort:stars", "sort:relevance, sort:date, sort:trending"),
        ("cat:cs/CL", "not an arXiv category"),
        ("-cat:cs.CV", "not supported"),
        ("from:9999-12-31", "outside the days this site knows"),
        ("year:9999", "outside the days this site knows"),
        ("until:0001-01", "outside the days this site knows"),
        ("date:2026-01-01..9999-12-31", "outside the days this site knows"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
    ],
)
def test_bad_input_gets_a_message_that_says_what_to_change(text, fragment):
    with pytest.raises(QueryError, match=fragment.replace("(", r"\(")) as raised:
        parse_query(text)
    assert isinstance(raised.value, UserError)


def test_lenient_where_intent_is_clear():
    unclosed = parse_query('diffusion "score matching')
    assert unclosed.phrases == ("score matching",)
    typographic = parse_query("\u201cflow matching\u201d")
    assert typographic.phrases == ("flow matching",)
    assert parse_query("BERT: pretraining").words == ("BERT:", "pretraining")
    assert parse_query("http://example.org/a").words == ("http://example.org/a",)
    assert parse_query("state-of-the-art - --").words == ("state-of-the-art", "--")
    assert parse_query("a\x00b\u200bc\nd").words == ("a", "b", "c", "d")


def test_empty_and_blank_queries_parse_to_nothing():
    for text in ("", "   ", '""', "-", "\t\n"):
        assert parse_query(text).is_empty


def test_filters_given_beside_the_text_narrow_the_query():
    query = parse_query("rag year:2026").with_filters(
        categories=("cs.cl",), date_from=date(2026, 3, 1), date_until=date(2027, 1, 1), has_code=True, sort="date"
    )
    assert query.categories == ("cs.CL",)
    assert (query.date_from, query.date_until) == (date(2026, 3, 1), date(2026, 12, 31))
    assert query.has_code and query.sort == "date"
    with pytest.raises(QueryError):
        parse_query("rag until:2026-01").with_filters(date_from=date(2026, 3, 1))
    with pytest.raises(QueryError):
        Query().with_filters(categories=("not a category",))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_query_error(text):
    try:
        query = parse_query(text)
    except QueryError as error:
        assert str(error)
    else:
        assert isinstance(query, Query)
        for part in query.words + query.phrases + query.excluded:
            assert part and part == part.strip()


_PIECES = st.sampled_from(
    ['"', "-", ":", "author:", "cat:", "year:", "from:", "until:", "date:", "has:", "sort:", "..",
     " ", "cs.CL", "2026", "2026-03", "code", "é", "\x00", "\u202e", "word", '-"', ":"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join))
def test_operator_soup_parses_or_raises_query_error(text):
    try:
        parse_query(text)
    except QueryError as error:
        assert str(error)


def test_huge_strings_are_refused_quickly():
    with pytest.raises(QueryError):
        parse_query('"' * 1_000_000)
    assert parse_query("a " * (MAX_QUERY_CHARS // 2)).words

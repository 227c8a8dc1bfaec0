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
    assert unclosed.phrases == () and unclosed.words == ("diffusion", "score", "matching")
    assert "not closed" in unclosed.notes[0]
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


# -- an open quote, author names, math, arXiv ids ---------------------------------------------------
@pytest.mark.parametrize(
    "text, words, phrases, excluded",
    [
        ('"diffusion models', ("diffusion", "models"), (), ()),
        ('graph "diffusion models', ("graph", "diffusion", "models"), (), ()),
        ('graph"diffusion models', ("graph", "diffusion", "models"), (), ()),
        ('-"diffusion models', ("models",), (), ("diffusion",)),
        ('"flow matching" "score', ("score",), ("flow matching",), ()),
        ('"a "b" c', ("b", "c"), ("a",), ()),
    ],
)
def test_an_open_quote_makes_no_phrase_and_says_so(text, words, phrases, excluded):
    query = parse_query(text)
    assert (query.words, query.phrases, query.excluded) == (words, phrases, excluded)
    assert len(query.notes) == 1 and "is not closed" in query.notes[0] and "separate words" in query.notes[0]


def test_balanced_quotes_and_a_bare_trailing_quote_need_no_note():
    assert parse_query('"diffusion models" graph').notes == ()
    assert parse_query('graph "').notes == () and parse_query('graph "').words == ("graph",)
    assert parse_query("\u201cflow matching").notes != ()  # a typographic quote opens too


def test_an_open_quote_after_a_field_runs_to_the_end():
    query = parse_query('graph author:"Kang Liao')
    assert query.authors == ("Kang Liao",) and query.words == ("graph",)
    assert "author: is not closed" in query.notes[0] and "name" in query.notes[0]
    assert parse_query('foo:"bar baz').words == ("foo:", "bar", "baz")  # not a field: words


@pytest.mark.parametrize("text", ['author:"K."', "author:K", 'author:"A. B."', "author:an", 'author:"-"'])
def test_author_names_the_index_cannot_find_are_refused(text):
    with pytest.raises(QueryError, match="cannot be searched"):
        parse_query(text)
    with pytest.raises(QueryError):
        Query().with_filters(authors=(text.partition(":")[2].strip('"'),))


@pytest.mark.parametrize(
    "text, words, phrases, free_text",
    [
        # Beside words, math is for the meaning only: never its letters as words.
        ("$O(n^2)$ attention", ("attention",), (), "O(n^2) attention"),
        ("attention in \\(O(n \\log n)\\) time", ("attention", "in", "time"), (), "attention in O(n log n) time"),
        ("$k$-means clustering", ("-means", "clustering"), (), "k -means clustering"),
        # Alone, a formula is a phrase: its letters in order.
        ("$O(n^2)$", (), ("O(n^2)",), "O(n^2)"),
        ("$\\mathcal{O}(n)$ $n^2$", (), ("O(n)", "n^2"), "O(n) n^2"),
        # Quoted, it is part of the phrase, read as text.
        ('"$O(n^2)$ attention" memory', ("memory",), ("O(n^2) attention",), "O(n^2) attention memory"),
        # Dollars that hold no math stay words.
        ("costs $5 and $10", ("costs", "$5", "and", "$10"), (), "costs $5 and $10"),
    ],
)
def test_math_is_read_as_math(text, words, phrases, free_text):
    query = parse_query(text)
    assert (query.words, query.phrases, query.free_text) == (words, phrases, free_text)
    assert query.text == text


def test_excluded_math_is_a_formula_and_a_field_keeps_its_dollars():
    assert parse_query("-$O(n^2)$ attention").excluded == ("O(n^2)",)
    assert parse_query("transformers has:code $x$").has_code
    assert parse_query('graph author:"Kang Liao" $x$').authors == ("Kang Liao",)


@pytest.mark.parametrize(
    "text, arxiv_id",
    [
        ("2605.30332", "2605.30332"),
        ("2605.30332v2", "2605.30332v2"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136v1", "math/0309136v1"),
        ("arXiv:2605.30332", "2605.30332"),
        ("arXiv: hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/2605.30332v1", "2605.30332v1"),
        ("https://arxiv.org/pdf/2605.30332.pdf", "2605.30332"),
        ("https://huggingface.co/papers/2605.30332", "2605.30332"),
        ("2605.30332 cat:cs.LG", "2605.30332"),
    ],
)
def test_an_arxiv_id_alone_in_any_form(text, arxiv_id):
    assert str(parse_query(text).arxiv_id) == arxiv_id


@pytest.mark.parametrize("text", ["2605.30332 diffusion", '"2605.30332"', "2605.30332 -survey", "hep-th", "2605.3033"])
def test_an_id_among_other_words_is_no_id(text):
    assert parse_query(text).arxiv_id is None

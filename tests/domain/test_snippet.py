"""Snippets and text analysis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.analysis import analyze, normalise_title, tokens
from paperboard.domain.snippet import ELLIPSIS, build_snippet


def test_analyze_folds_drops_stopwords_and_stems():
    assert analyze("The Transformers are RUNNING over Schrödinger's graphs") == [
        "transform", "run", "schroding", "graph",
    ]
    assert analyze("") == [] and analyze("of the and") == []


def test_token_offsets_point_into_the_original_text():
    text = "Naïve Bayes, re-visited"
    assert [(text[t.start:t.end], t.term) for t in tokens(text)] == [
        ("Naïve", "naiv"), ("Bayes", "bay"), ("re", "re"), ("visited", "visit"),
    ]


def test_normalised_titles_ignore_case_punctuation_and_spacing():
    assert normalise_title("  Attention Is All You Need! ") == normalise_title("attention is all you need")
    assert normalise_title("Café: a study") == "cafe a study"


def test_whole_text_marks_every_matching_word():
    snippet = build_snippet("Graph networks for graphs <b>", set(analyze("graph")), width=None)
    assert snippet.marked_text() == "[Graph] networks for [graphs] <b>"
    assert snippet.matched == ("Graph", "graphs")
    assert snippet.text == "Graph networks for graphs <b>"


def test_window_goes_where_the_most_distinct_terms_are():
    filler = "lorem ipsum dolor sit amet " * 20
    text = filler + "we study sparse attention for long documents. " + filler
    snippet = build_snippet(text, set(analyze("sparse attention")), width=120)
    assert snippet.text.startswith(ELLIPSIS) and snippet.text.endswith(ELLIPSIS)
    assert "[sparse] [attention]" in snippet.marked_text()
    assert len(snippet.text) <= 120 + 2


def test_no_match_gives_the_opening():
    text = "word " * 100
    snippet = build_snippet(text, {"absent"}, width=50)
    assert snippet.text.startswith("word word") and snippet.text.endswith(ELLIPSIS)
    assert not snippet.matched


@given(st.text(max_size=400), st.lists(st.text(max_size=8), max_size=5), st.integers(10, 200))
def test_snippets_are_pieces_of_the_text(text, words, width):
    snippet = build_snippet(text, set(analyze(" ".join(words))), width=width)
    assert snippet.text.replace(ELLIPSIS, "") in text or ELLIPSIS in text or not text.strip()
    for span in snippet.spans:
        if span.marked:
            assert span.text in text


def test_irregular_stems_are_found_through_the_typed_word():
    snippet = build_snippet("A study of studies; Studying studied.", set(analyze("study")), None, ["study"])
    assert snippet.matched == ("study", "studies", "Studying", "studied")
    accented = build_snippet("Über Schrödinger equations", set(analyze("schrodinger")), None, ["schrodinger"])
    assert accented.matched == ("Schrödinger",)

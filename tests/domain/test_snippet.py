"""Snippets and text analysis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain import snippet as snippet_module
from paperboard.domain.analysis import analyze, normalise_title, tokens
from paperboard.domain.snippet import ELLIPSIS, SCAN_CHARS, build_snippet


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


def _marked(snippet) -> str:
    return "".join(f"[{s.text}]" if s.marked else s.text for s in snippet.spans)


def test_whole_text_marks_every_matching_word():
    snippet = build_snippet("Graph networks for graphs <b>", set(analyze("graph")), width=None)
    assert _marked(snippet) == "[Graph] networks for [graphs] <b>"
    assert snippet.matched == ("Graph", "graphs")
    assert snippet.text == "Graph networks for graphs <b>"


def test_window_goes_where_the_most_distinct_terms_are():
    filler = "lorem ipsum dolor sit amet " * 20
    text = filler + "we study sparse attention for long documents. " + filler
    snippet = build_snippet(text, set(analyze("sparse attention")), width=120)
    assert snippet.text.startswith(ELLIPSIS) and snippet.text.endswith(ELLIPSIS)
    assert "[sparse] [attention]" in _marked(snippet)
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


class _CountingHits(list):
    """Hits that count every element read, however it is read (index or iteration)."""

    reads = 0

    def __getitem__(self, index):
        self.reads += 1
        return super().__getitem__(index)

    def __iter__(self):
        for item in super().__iter__():
            self.reads += 1
            yield item


def _window_reads(text: str, terms: set[str], width: int = 240) -> tuple[int, int]:
    hits = _CountingHits(snippet_module._matches(text, terms, ()))
    snippet_module._best_window(text, hits, width)
    return len(hits), hits.reads


def test_choosing_the_window_reads_each_hit_a_bounded_number_of_times():
    # The crafted abstract of the attack: one word thousands of times (it took 41 s per search).
    terms = set(analyze("transformer attention"))
    for repeats in (1_000, 4_000, 16_000):
        count, reads = _window_reads("transformer attention " * repeats, terms)
        assert count == 2 * repeats
        assert reads <= 8 * count + 8  # linear: counting every window afresh read count² hits


def _brute_force_window_start(text, hits, width):
    """The window the quadratic version chose: per anchor, every hit counted afresh."""
    best_start, best_count = 0, -1
    for anchor, _end, _term in hits or [(0, 0, "")]:
        start = 0 if anchor <= snippet_module._LEAD else snippet_module._word_start(text, anchor - snippet_module._LEAD, anchor)
        count = len({term for s, e, term in hits if start <= s and e <= start + width})
        if count > best_count:
            best_start, best_count = start, count
    return best_start


@given(
    st.lists(st.sampled_from(["graph", "graphs", "neural", "network", "of", "the", "x", "lorem", "ipsum,", "—", "\n"]), max_size=300),
    st.integers(10, 200),
)
def test_the_sliding_window_chooses_what_counting_every_window_chose(words, width):
    text = " ".join(words)
    hits = snippet_module._matches(text, set(analyze("graph neural network")), ())
    assert snippet_module._best_window(text, hits, width)[0] == _brute_force_window_start(text, hits, width)


def test_a_huge_text_is_scanned_only_as_far_as_the_bound():
    filler = "lorem ipsum " * (SCAN_CHARS // 12 + 1000)
    snippet = build_snippet(filler + "transformer", set(analyze("transformer")), width=120)
    assert not snippet.matched and snippet.text.startswith("lorem ipsum")  # the word beyond the bound is not looked for
    early = build_snippet("a transformer " + filler, set(analyze("transformer")), width=120)
    assert early.matched == ("transformer",)
    assert build_snippet(filler + "transformer", set(analyze("transformer")), width=None).matched == ("transformer",)

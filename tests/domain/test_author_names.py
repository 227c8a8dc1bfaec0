"""author: names: one author's full name, normalised; the index's candidate terms never miss a match."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperboard.domain.analysis import analyze
from paperboard.domain.author_names import AuthorName, NotAName, name_parts


@pytest.mark.parametrize(
    "typed, author",
    [
        ("Kang Liao", "Kang Liao"),
        ("kang LIAO", "Kang Liao"),
        ("K. Liao", "Kang Liao"),
        ("K Liao", "Kang Liao"),
        ("Liao", "Kang Liao"),
        ("Liao", "Zhifei Liao"),
        ("Liao, Kang", "Kang Liao"),
        ("Geoffrey Hinton", "Geoffrey E. Hinton"),
        ("G. E. Hinton", "Geoffrey E. Hinton"),
        ("José Hernández-Lobato", "Jose Miguel Hernandez-Lobato"),
        ("Jose Miguel Hernandez Lobato", "José Miguel Hernández-Lobato"),
        ("Hernández-Lobato", "Jose Miguel Hernandez-Lobato"),
        ("Anna Thoni", "Anna Thöni"),
        ("Chih-Ting Liao", "Chih-Ting Liao"),
        ("C.-T. Liao", "Chih-Ting Liao"),
        ("C T Liao", "Chih-Ting Liao"),
        ("Martin Luther King", "Martin Luther King, Jr."),
        ("Martin King", "Martin Luther King Jr."),
        ("King", "Martin Luther King III"),
        ("Ludwig van Beethoven", "Ludwig van Beethoven"),
        ("van Beethoven", "Ludwig van Beethoven"),
        ("Pat O'Brien", "Pat O'Brien"),
        ("Kang L.", "Kang Liao"),
        ("K. Liao", "K. Liao"),
        ("Will Smith", "Will Smith"),
        ("Smith, John", "John Smith"),
        ("John Smith", "Smith, John"),
    ],
)
def test_names_that_match(typed, author):
    assert AuthorName.parse(typed).matches(author)


@pytest.mark.parametrize(
    "typed, author",
    [
        # The case: a "Kang" and a "Liao" of two different authors.
        ("Kang Liao", "Zhifei Liao"),
        ("Kang Liao", "Zhao Kang"),
        ("Kang Liao", "Shuhao Kang"),
        ("Kang Liao", "Liao Kang"),  # not the order typed
        ("K. Liao", "Liao Kang"),
        ("K. Liao", "Jun Liao"),
        ("Kang Liao", "K. Liao"),  # a part typed in full must be there in full
        ("Kang Liao", "Kang Liaoning"),
        ("Kang Liao", "Kang Li"),
        ("Liao", "Liaoning Wang"),
        ("Liao", "Kang Lia"),
        ("Geoffrey Hinton", "Geoffrey Hintonn"),
        ("Geoffrey Hinton", "Hinton Geoffrey"),
        ("Ludwig Beethoven", "Ludwig van Beethoven Smith"),
        ("Juan Garcia", "Juan Carlos Garcia Lopez"),  # the last part typed is the family name
        ("Kang Liao", ""),
        ("Kang Liao", "; :"),
    ],
)
def test_names_that_do_not_match(typed, author):
    assert not AuthorName.parse(typed).matches(author)


def test_one_of_many_authors():
    authors = ["Youqi Liao", "Shuhao Kang", "Jingyu Xu"]
    assert not AuthorName.parse("Kang Liao").matches_any(authors)
    assert AuthorName.parse("Kang Liao").matches_any([*authors, "Kang Liao"])
    assert AuthorName.parse("Liao").matches_any(authors)
    assert not AuthorName.parse("Liao").matches_any([])


def test_parts_fold_split_turn_around_and_drop_suffixes():
    assert name_parts("  Jean-Pierre  SARTRE ") == ("jean", "pierre", "sartre")
    assert name_parts("Sartre, Jean-Pierre") == ("jean", "pierre", "sartre")
    assert name_parts("Martin Luther King, Jr.") == ("martin", "luther", "king")
    assert name_parts("Henry VIII") == ("henry", "viii")
    assert name_parts("Jr") == ("jr",)
    assert name_parts("Ødegård, Å.") == ("a", "ødegard")  # as the analyzer folds: ø is a letter of its own
    assert name_parts("") == ()


def test_terms_are_the_stems_of_the_parts_typed_in_full():
    assert AuthorName.parse("K. Liao").terms == ("liao",)
    assert AuthorName.parse("Kang Liao").terms == ("kang", "liao")
    assert AuthorName.parse("Will Smith").terms == ("smith",)  # "will" is a stopword: checked, not looked up
    assert AuthorName.parse("Jones").terms == ("jone",)


@pytest.mark.parametrize("typed", ["K.", "K. L.", "A B", "an", "Will", "", "  ", "-", "..."])
def test_names_the_index_cannot_find_are_refused(typed):
    with pytest.raises(NotAName):
        AuthorName.parse(typed)


_name_part = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)
_separator = st.sampled_from([" ", ". ", "-", "  ", ".-", "'"])


@st.composite
def _names(draw):
    parts = draw(st.lists(_name_part, min_size=1, max_size=5))
    separators = [draw(_separator) for _ in parts[1:]]
    return parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:]))


@settings(max_examples=400, deadline=None)
@given(_names(), st.lists(_names(), max_size=3), st.lists(_names(), max_size=3), st.data())
def test_a_match_always_holds_the_candidate_terms(author, before, after, data):
    """The index finds candidates by ``terms`` in the authors' analyzed text: nothing that
    ``matches`` accepts may lack them, or the index would hide a real match."""
    parts = name_parts(author)
    if not parts:
        return
    typed_parts = data.draw(st.lists(st.sampled_from(parts), min_size=1, max_size=4))
    typed_parts = [p[0] if data.draw(st.booleans()) and p[0].isascii() and p[0].isalpha() else p for p in typed_parts]
    try:
        name = AuthorName.parse(" ".join(typed_parts))
    except NotAName:
        return
    authors = [*before, author, *after]
    if name.matches_any(authors):
        indexed = set(analyze(" ; ".join(authors)))
        assert set(name.terms) <= indexed


@settings(max_examples=300, deadline=None)
@given(_names())
def test_every_name_matches_itself_typed_back(author):
    try:
        name = AuthorName.parse(author)
    except NotAName:
        return
    assert name.matches(author)
    assert name.matches(author.upper()) == name.matches(author.upper().lower())

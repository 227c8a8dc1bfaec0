import pytest

from paperboard.domain.collection import (
    SLUG_MAX,
    TITLE_MAX,
    CollectionRuleError,
    clean_description,
    clean_title,
    is_slug,
    slugify,
    unique_slug,
)


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Diffusion models", "diffusion-models"),
        ("  Émile's   Reading List!  ", "emile-s-reading-list"),
        ('<script>alert("x")</script>', "script-alert-x-script"),
        ("日本語", "collection"),
        ("---", "collection"),
    ],
)
def test_slugify_keeps_ascii_letters_digits_and_hyphens(title, slug):
    assert slugify(title) == slug
    assert is_slug(slug)


def test_long_titles_make_slugs_within_the_limit_and_without_a_trailing_hyphen():
    slug = slugify("a" * 79 + " b")
    assert len(slug) <= SLUG_MAX and not slug.endswith("-")


def test_unique_slug_numbers_repeated_titles():
    assert unique_slug("Reading list", set()) == "reading-list"
    assert unique_slug("Reading list", {"reading-list"}) == "reading-list-2"
    assert unique_slug("Reading list", {"reading-list", "reading-list-2"}) == "reading-list-3"
    long = slugify("x" * 200)
    numbered = unique_slug("x" * 200, {long})
    assert numbered.endswith("-2") and len(numbered) <= SLUG_MAX


def test_titles_are_required_squashed_and_bounded():
    assert clean_title("  Good \n papers ") == "Good papers"
    with pytest.raises(CollectionRuleError, match="needs a title"):
        clean_title("   ")
    with pytest.raises(CollectionRuleError, match=f"at most {TITLE_MAX}"):
        clean_title("t" * (TITLE_MAX + 1))


def test_descriptions_keep_their_lines_and_are_bounded():
    assert clean_description(" one\r\ntwo ") == "one\ntwo"
    assert clean_description(None) == ""
    with pytest.raises(CollectionRuleError, match="at most"):
        clean_description("d" * 5001)


@pytest.mark.parametrize("text", ["", "-a", "a-", "A", "a/b", "a" * (SLUG_MAX + 1), "..", "a b"])
def test_is_slug_rejects_what_no_collection_can_be_named(text):
    assert not is_slug(text)

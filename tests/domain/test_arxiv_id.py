"""arXiv identifiers: both schemes, versions, URLs; property-based round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.arxiv_id import ArxivId, InvalidArxivId, is_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2401.01234", "2401.01234", None),
        ("2401.01234v3", "2401.01234", 3),
        ("0704.0001", "0704.0001", None),
        ("1412.9999v2", "1412.9999", 2),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math/0309136", None),
        ("cond-mat/0011234v1", "cond-mat/0011234", 1),
        ("arXiv:2401.01234", "2401.01234", None),
        ("ARXIV:2401.01234v1", "2401.01234", 1),
        ("https://arxiv.org/abs/2401.01234v2", "2401.01234", 2),
        ("http://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/pdf/2401.01234.pdf", "2401.01234", None),
        ("  2604.01234  ", "2604.01234", None),
        ("math.GT/0309136v2", "math/0309136", 2),
        ("HEP-TH/9901001", "hep-th/9901001", None),
        ("arXiv: 2605.30332", "2605.30332", None),
        ("arxiv:hep-th/9901001v1", "hep-th/9901001", 1),
        ("arxiv.org/abs/2605.30332", "2605.30332", None),
        ("www.arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001", 3),
        ("https://arxiv.org/pdf/2605.30332v2.pdf", "2605.30332", 2),
        ("https://arxiv.org/pdf/2605.30332v2", "2605.30332", 2),
        ("https://arxiv.org/pdf/hep-th/9901001.PDF", "hep-th/9901001", None),
        ("https://arxiv.org/html/2605.30332v1/", "2605.30332", 1),
        ("https://arxiv.org/abs/2605.30332?context=cs.LG#section", "2605.30332", None),
        ("https://huggingface.co/papers/2605.30332", "2605.30332", None),
        ("huggingface.co/papers/2605.30332v2", "2605.30332", 2),
        ("10.48550/arXiv.2605.30332", "2605.30332", None),
        ("https://doi.org/10.48550/arXiv.2605.30332", "2605.30332", None),
    ],
)
def test_parses_known_shapes(text, base, version):
    assert parse_arxiv_id(text) == ArxivId(base, version)


@pytest.mark.parametrize(
    "text",
    ["", "2401.1234", "1401.12345", "2413.01234", "2400.01234", "2401.01234v0", "hep-th/990100",
     "hep-th/9913001", "/9901001", "2401.01234v", "abc", "2401 01234", "https://example.org/abs/2401.01234",
     "https://huggingface.co/models/2401.01234", "https://arxiv.org/list/2401.01234", "2401.01234?x",
     "10.1234/arXiv.2401.01234", "arXiv:2401.01234 diffusion"],
)
def test_refuses_what_is_not_an_id(text):
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


new_style = st.builds(
    lambda year, month, number, version: (
        f"{year:02d}{month:02d}.{number:05d}" if year >= 15 else f"{year:02d}{month:02d}.{number % 10000:04d}",
        version,
    ),
    st.integers(7, 99), st.integers(1, 12), st.integers(1, 99999), st.none() | st.integers(1, 50),
)
old_style = st.builds(
    lambda archive, year, month, number, version: (f"{archive}/{year:02d}{month:02d}{number:03d}", version),
    st.sampled_from(["hep-th", "math", "cond-mat", "astro-ph", "quant-ph", "cs"]),
    st.integers(0, 99), st.integers(1, 12), st.integers(1, 999), st.none() | st.integers(1, 50),
)


@given(new_style | old_style)
def test_round_trips_through_text_url_and_label(pair):
    base, version = pair
    parsed = ArxivId(base, version)
    assert parse_arxiv_id(str(parsed)) == parsed
    assert parse_arxiv_id(f"https://arxiv.org/abs/{parsed}") == parsed
    assert parse_arxiv_id(f"arXiv:{parsed}") == parsed


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_the_one_error(text):
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    assert parse_arxiv_id(str(parsed)) == parsed

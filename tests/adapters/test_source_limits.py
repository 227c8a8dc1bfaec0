"""Harvested records past the record caps are skipped and named by id, like malformed ones; the
rest of the page is kept."""

from __future__ import annotations

from paperboard.adapters.sources.arxiv_atom import parse_atom_feed
from paperboard.adapters.sources.oai import parse_list_records
from tests.fakes_arxiv import atom_entry, atom_feed, oai_response, raw_record

URL = "http://127.0.0.1:1/api/query"


def test_an_api_page_skips_over_long_entries_by_id():
    feed = parse_atom_feed(
        atom_feed([
            atom_entry("2401.00001"),
            atom_entry("2401.00002", summary="x" * 200_000),
            atom_entry("2401.00003", authors=["A" * 1_001]),
            atom_entry("2401.00004", comment="c" * 10_001),
            atom_entry("2401.00005", summary="y" * 100_000),  # at the cap: kept
        ]),
        URL,
    )
    assert [p.id for p in feed.papers] == ["2401.00001", "2401.00005"]
    assert feed.skipped == {
        "record too large: 2401.00002: the abstract has 200,000 characters (at most 100,000)": 1,
        "record too large: 2401.00003: an author name has 1,001 characters (at most 1,000)": 1,
        "record too large: 2401.00004: the comment has 10,001 characters (at most 10,000)": 1,
    }


def test_an_oai_page_skips_over_long_records_by_id():
    page = parse_list_records(
        oai_response([
            raw_record("2401.00001"),
            raw_record("2401.00002", title="T" * 2_001),
            raw_record("2401.00003", authors=", ".join(f"Author {n}" for n in range(20_001))),
            raw_record("2401.00004"),
        ]),
        URL,
        "arXivRaw",
    )
    assert [p.id for p in page.papers] == ["2401.00001", "2401.00004"]
    assert page.skipped == {
        "record too large: 2401.00002: the title has 2,001 characters (at most 2,000)": 1,
        "record too large: 2401.00003: 20,001 authors (at most 20,000)": 1,
    }

"""Parsing arXiv API Atom feeds, and the API client against a real server on 127.0.0.1."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from paperboard.adapters.sources.arxiv_atom import (
    ArxivApi,
    QueryRejected,
    build_search_query,
    parse_atom_feed,
)
from paperboard.adapters.sources.http import PoliteClient
from paperboard.errors import SourceUnavailable, UserError
from tests.fakes_arxiv import ATOM_TYPE, ApiCorpus, FakeArxiv, Reply, atom_entry, atom_error, atom_feed

URL = "http://127.0.0.1/api/query?search_query=x"


def test_an_entry_becomes_a_paper_with_every_field():
    entry = atom_entry(
        "2401.01234",
        version=3,
        title="Attention  Is\n   All You Need",
        summary="We propose a model.\n Code: https://github.com/org/repo.",
        authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar"),
        categories=("cs.CL", "cs.LG"),
        primary="cs.CL",
        published="2024-01-02T18:59:59-05:00",
        updated="2024-02-10T09:00:00Z",
        comment="15 pages, 5 figures",
        journal_ref="NeurIPS 2017",
        doi="10.5555/3295222.3295349",
    )
    feed = parse_atom_feed(atom_feed([entry], total=1234, start=200), URL)
    assert (feed.total_results, feed.start_index, feed.entries, feed.skipped) == (1234, 200, 1, {})
    paper = feed.papers[0]
    assert (paper.id, paper.version) == ("2401.01234", 3)
    assert paper.title == "Attention  Is\n   All You Need"  # whitespace is squashed when stored
    assert paper.authors == ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar")
    assert (paper.primary_category, paper.categories) == ("cs.CL", ("cs.CL", "cs.LG"))
    # -05:00 is converted: 18:59:59 in New York is 23:59:59 UTC.
    assert paper.published == datetime(2024, 1, 2, 23, 59, 59)
    assert paper.updated == datetime(2024, 2, 10, 9, 0, 0)
    assert paper.announced == date(2024, 1, 2)
    assert (paper.comment, paper.journal_ref, paper.doi) == ("15 pages, 5 figures", "NeurIPS 2017", "10.5555/3295222.3295349")
    assert paper.abs_url == "http://arxiv.org/abs/2401.01234v3"
    assert paper.pdf_url == "http://arxiv.org/pdf/2401.01234v3"
    assert paper.source == "arxiv-api"


def test_old_style_ids_keep_their_archive_and_lose_the_subject_class():
    entries = [
        atom_entry("hep-th/9901001", version=2),
        atom_entry("math.GT/0309136", raw_id="http://arxiv.org/abs/math.GT/0309136v1"),
    ]
    papers = parse_atom_feed(atom_feed(entries), URL).papers
    assert [(p.id, p.version) for p in papers] == [("hep-th/9901001", 2), ("math/0309136", 1)]


def test_optional_fields_are_absent_not_empty():
    paper = parse_atom_feed(atom_feed([atom_entry("2401.00001")]), URL).papers[0]
    assert (paper.comment, paper.journal_ref, paper.doi) == (None, None, None)


def test_malformed_entries_are_skipped_and_counted_by_reason():
    entries = [
        atom_entry("2401.00001"),
        atom_entry("2401.00002", raw_id="http://arxiv.org/abs/not-an-id"),
        atom_entry("2401.00003", title=" "),
        atom_entry("2401.00004", published="the second of January"),
        atom_entry("2401.00005", raw_id="http://arxiv.org/abs/2413.00005v1"),  # month 13
        atom_entry("2401.00006"),
    ]
    feed = parse_atom_feed(atom_feed(entries), URL)
    assert [p.id for p in feed.papers] == ["2401.00001", "2401.00006"]
    assert feed.skipped == {
        "malformed Atom entry: no valid arXiv id": 2,
        "malformed Atom entry: no title": 1,
        "malformed Atom entry: unreadable date 'the second of January'": 1,
    }


def test_an_empty_result_is_an_empty_feed():
    feed = parse_atom_feed(atom_feed([], total=0), URL)
    assert (feed.papers, feed.total_results, feed.skipped) == ([], 0, {})


@pytest.mark.parametrize(
    "document, expected",
    [
        (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>", "malformed XML from " + URL),
        (b"Rate exceeded.", "malformed XML from " + URL),
        (b"", "malformed XML from " + URL),
        (b"<html><body>Service down</body></html>", "not an Atom feed from " + URL),
    ],
)
def test_a_malformed_document_raises_one_line_naming_the_url(document, expected):
    with pytest.raises(UserError) as raised:
        parse_atom_feed(document, URL)
    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


def test_an_error_feed_raises_with_arxivs_explanation():
    with pytest.raises(QueryRejected, match="incorrect id format for 1234.123456"):
        parse_atom_feed(atom_error("incorrect id format for 1234.123456"), URL)


@pytest.mark.parametrize(
    "declaration, reference",
    [
        ('<!ENTITY leak SYSTEM "file://{secret}">', "&leak;"),
        ('<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">', "&b;"),
    ],
)
def test_documents_declaring_entities_are_refused(tmp_path, declaration, reference):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    feed = atom_feed([atom_entry("2401.00001", summary="PLACEHOLDER")]).decode()
    feed = feed.replace("PLACEHOLDER", reference).replace(
        "<feed ", f"<!DOCTYPE feed [{declaration.format(secret=secret)}]><feed ", 1
    )
    with pytest.raises(UserError, match="refusing XML with a DOCTYPE") as raised:
        parse_atom_feed(feed.encode(), URL)
    assert "TOP SECRET" not in str(raised.value)


def test_search_query_names_categories_and_the_date_window():
    query = build_search_query(["cs.CL", "cs.LG"], date(2024, 1, 1), date(2024, 1, 31))
    assert query == "(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202401010000 TO 202401312359]"
    assert build_search_query(["hep-th"], date(2024, 1, 1), date(2024, 1, 1)) == (
        "cat:hep-th AND submittedDate:[202401010000 TO 202401012359]"
    )


@pytest.mark.parametrize("category", ["cs.CL)", "cs CL", "", "cat:cs.CL OR all:x"])
def test_search_query_refuses_what_is_not_a_category(category):
    with pytest.raises(UserError, match="not an arXiv category"):
        build_search_query([category], date(2024, 1, 1), date(2024, 1, 2))


def test_search_query_refuses_an_empty_window():
    with pytest.raises(UserError, match="empty"):
        build_search_query(["cs.CL"], date(2024, 2, 1), date(2024, 1, 1))


def _client() -> PoliteClient:
    return PoliteClient(user_agent="paperboard-test", delay_seconds=0, max_retries=2, timeout_seconds=5)


def test_the_api_client_sends_paging_and_sort_parameters():
    entries = {f"2401.{n:05d}": atom_entry(f"2401.{n:05d}") for n in range(1, 8)}
    with FakeArxiv() as server, _client() as client:
        server.api = ApiCorpus(entries)
        feed = ArxivApi(client, server.api_url).search("cat:cs.CL", start=5, max_results=5)
    assert [p.id for p in feed.papers] == ["2401.00006", "2401.00007"]
    assert feed.total_results == 7
    params = server.requests[0].params
    assert params == {
        "search_query": "cat:cs.CL",
        "start": "5",
        "max_results": "5",
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    assert server.requests[0].headers["User-Agent"] == "paperboard-test"


def test_the_api_client_reports_a_rejected_query_from_an_http_400():
    with FakeArxiv() as server, _client() as client:
        server.queue(Reply(400, atom_error("incorrect id format for 99"), ATOM_TYPE))
        with pytest.raises(QueryRejected, match="incorrect id format for 99"):
            ArxivApi(client, server.api_url).by_ids(["99"])
        server.queue(Reply(400, b"<html>Bad Request</html>", "text/html"))
        with pytest.raises(SourceUnavailable, match="answered HTTP 400"):
            ArxivApi(client, server.api_url).by_ids(["2401.00001"])

"""Parsing OAI-PMH ListRecords (arXivRaw and arXiv formats), and the client against a real server."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from paperboard.adapters.sources.http import PoliteClient
from paperboard.adapters.sources.oai import OaiError, OaiPmh, parse_list_records, split_authors, tex_to_unicode
from paperboard.errors import UserError
from tests.fakes_arxiv import (
    FakeArxiv,
    OaiChain,
    Reply,
    arxiv_record,
    deleted_record,
    oai_error,
    oai_response,
    raw_record,
)

URL = "http://127.0.0.1/oai?verb=ListRecords"


def test_an_arxivraw_record_carries_versions_dates_and_split_authors():
    record = raw_record(
        "0704.0001",
        versions=("Mon, 2 Apr 2007 19:18:42 GMT", "Tue, 24 Jul 2007 20:10:27 GMT"),
        title="Calculation of prompt diphoton production cross sections",
        authors=r"C. Bal\'azs, E. L. Berger (ANL), P. M. Nadolsky and C.-P. Yuan",
        categories="hep-ph hep-ex",
        comments="37 pages, 15 figures",
        journal_ref="Phys.Rev.D76:013009,2007",
        doi="10.1103/PhysRevD.76.013009",
    )
    page = parse_list_records(oai_response([record]), URL, "arXivRaw")
    paper = page.papers[0]
    assert (paper.id, paper.version) == ("0704.0001", 2)
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")
    assert (paper.primary_category, paper.categories) == ("hep-ph", ("hep-ph", "hep-ex"))
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27)
    assert paper.announced == date(2007, 4, 2)
    assert (paper.comment, paper.journal_ref, paper.doi) == (
        "37 pages, 15 figures",
        "Phys.Rev.D76:013009,2007",
        "10.1103/PhysRevD.76.013009",
    )
    assert paper.source == "arxiv-oai"
    assert page.resumption_token is None and page.skipped == {}


def test_an_arxiv_format_record_has_dates_but_no_version():
    record = arxiv_record(
        "hep-th/9901001",
        created="1999-01-04",
        updated="2001-05-06",
        authors=(("G\\\"odel", "Kurt"), ("Turing", "Alan M.")),
        categories="hep-th math-ph",
        doi="10.1000/a 10.1000/b",
    )
    paper = parse_list_records(oai_response([record]), URL, "arXiv").papers[0]
    assert (paper.id, paper.version) == ("hep-th/9901001", None)
    assert paper.authors == ("Kurt Gödel", "Alan M. Turing")
    assert paper.published == datetime(1999, 1, 4) and paper.updated == datetime(2001, 5, 6)
    assert paper.announced == date(1999, 1, 4)
    assert paper.doi == "10.1000/a"


def test_deleted_and_malformed_records_are_skipped_with_reasons():
    records = [
        raw_record("2401.00001"),
        deleted_record("2401.00002"),
        raw_record("2401.00003", title="  "),
        raw_record("24010.0004"),
        raw_record("2401.00005", versions=("yesterday-ish",)),
        arxiv_record("2401.00006"),  # the wrong format for an arXivRaw request
        raw_record("2401.00007"),
    ]
    page = parse_list_records(oai_response(records, token="next", complete_size=100), URL, "arXivRaw")
    assert [p.id for p in page.papers] == ["2401.00001", "2401.00007"]
    assert page.records == 7
    assert page.skipped == {
        "deleted from arXiv": 1,
        "malformed arXivRaw record: no title": 1,
        "malformed arXivRaw record: no valid arXiv id": 1,
        "malformed arXivRaw record: unreadable version date 'yesterday-ish'": 1,
        "malformed arXivRaw record: no metadata in the requested format": 1,
    }
    assert (page.resumption_token, page.complete_list_size) == ("next", 100)


def test_the_last_page_has_an_empty_token():
    page = parse_list_records(oai_response([raw_record("2401.00001")], last_page=True, complete_size=9), URL, "arXivRaw")
    assert page.resumption_token is None


def test_no_records_match_is_an_empty_list_not_an_error():
    page = parse_list_records(oai_error("noRecordsMatch", "nothing in that window"), URL, "arXivRaw")
    assert (page.papers, page.resumption_token, page.skipped) == ([], None, {})


@pytest.mark.parametrize("code", ["badResumptionToken", "badArgument", "cannotDisseminateFormat", "noSetHierarchy"])
def test_other_oai_errors_raise_with_code_and_url(code):
    with pytest.raises(OaiError) as raised:
        parse_list_records(oai_error(code, "explained by the repository"), URL, "arXivRaw")
    assert raised.value.code == code
    assert str(raised.value) == f"OAI-PMH error from {URL}: {code}: explained by the repository"


@pytest.mark.parametrize(
    "document, message",
    [
        (b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords><record>", "malformed XML from"),
        (b"<html>maintenance</html>", "not an OAI-PMH response from"),
        (b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>", "has no ListRecords element"),
    ],
)
def test_a_malformed_document_raises_naming_the_url(document, message):
    with pytest.raises(UserError, match=message) as raised:
        parse_list_records(document, URL, "arXivRaw")
    assert URL in str(raised.value)


def test_an_unknown_metadata_prefix_is_refused():
    with pytest.raises(UserError, match="unknown OAI-PMH metadata prefix 'oai_dc'"):
        parse_list_records(oai_response([]), URL, "oai_dc")


@pytest.mark.parametrize(
    "written, expected",
    [
        ("A. One, B. Two and C. Three", ("A. One", "B. Two", "C. Three")),
        ("A. One (1 and 2), B. Two ((a) MIT)", ("A. One", "B. Two")),
        ("John Smith, Jr., Jane Doe", ("John Smith, Jr.", "Jane Doe")),
        ("Anand Rajaraman and Alexandra Sand", ("Anand Rajaraman", "Alexandra Sand")),
        ("ATLAS Collaboration", ("ATLAS Collaboration",)),
        ("", ()),
    ],
)
def test_split_authors(written, expected):
    assert split_authors(written) == expected


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"Bal\'azs", "Balázs"),
        (r"G\"{o}del", "Gödel"),
        (r"{\v S}ediv\'y", "Šedivý"),
        (r"Kr\'{\i}\v{z}", "Kríž"),
        (r"Gro\ss e", "Große"),
        (r"\O ksendal", "Øksendal"),
        (r"$\vec{x}$ and \lambda", r"$\vec{x}$ and \lambda"),
    ],
)
def test_tex_accents_become_unicode(tex, text):
    assert tex_to_unicode(tex) == text


def _client() -> PoliteClient:
    return PoliteClient(user_agent="paperboard-test", delay_seconds=0, max_retries=2, timeout_seconds=5)


def test_the_client_follows_a_resumption_token_chain_to_its_end():
    pages = [[raw_record(f"2401.{p}{n:04d}") for n in range(3)] for p in range(1, 5)]
    with FakeArxiv() as server, _client() as client:
        server.oai = OaiChain(pages)
        oai = OaiPmh(client, server.oai_url)
        page = oai.list_records("arXivRaw", set_spec="cs", date_from=date(2024, 1, 1), date_until=date(2024, 1, 31))
        seen = [p.id for p in page.papers]
        while page.resumption_token:
            page = oai.resume(page.resumption_token, "arXivRaw")
            seen += [p.id for p in page.papers]
    assert seen == [f"2401.{p}{n:04d}" for p in range(1, 5) for n in range(3)]
    first, *rest = [r.params for r in server.requests]
    assert first == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2024-01-01", "until": "2024-01-31"}
    # OAI-PMH: a resumption request carries the token and nothing else.
    assert rest == [{"verb": "ListRecords", "resumptionToken": f"page-{n}"} for n in (2, 3, 4)]


def test_the_client_raises_oai_errors_sent_with_an_error_status():
    with FakeArxiv() as server, _client() as client:
        server.queue(Reply(400, oai_error("badArgument", "from is not a date")))
        with pytest.raises(OaiError, match="badArgument: from is not a date"):
            OaiPmh(client, server.oai_url).list_records("arXivRaw")

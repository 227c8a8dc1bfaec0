"""File readers on small files each test builds: every format, gzip and plain, and broken files."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from paperboard.adapters.sources.files import FileFormatError, PaperFile, Record, Skipped
from paperboard.adapters.sources.formats import export_header, export_record, parse_record
from paperboard.domain.paper import DailyFeature, Paper

KAGGLE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", ""],
        ["Yuan", "C. -P.", "Jr"],
    ],
}

KAGGLE_OLD_STYLE = {
    "id": "math/0406514",
    "title": "Knot theory",
    "abstract": "Knots.",
    "categories": "math.GT math.AT",
    "versions": [{"version": "v1", "created": "Fri, 25 Jun 2004 10:00:00 GMT"}],
    "authors_parsed": [["Doe", "Jane", ""]],
}

# Shaped like an item of https://huggingface.co/api/daily_papers (fields as the API sends them).
HF_ITEM = {
    "paper": {
        "id": "2405.00001",
        "authors": [
            {"_id": "66311", "name": "Ada Lovelace", "hidden": False},
            {"_id": "66312", "name": "Alan Turing", "hidden": False, "user": {"user": "aturing"}},
        ],
        "publishedAt": "2024-04-30T17:59:59.000Z",
        "submittedOnDailyAt": "2024-05-01T00:12:34.567Z",
        "title": "A Paper on the Daily Feed",
        "summary": "We present a method.\nCode: https://github.com/owner/method.",
        "upvotes": 42,
        "discussionId": "6631a",
        "githubRepo": "https://github.com/Owner/Repo",
        "ai_summary": "A method.",
        "ai_keywords": ["method"],
        "projectPage": "https://owner.github.io/repo/",
    },
    "publishedAt": "2024-05-01T03:04:05.000Z",
    "title": "A Paper on the Daily Feed",
    "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.00001.png",
    "numComments": 3,
    "submittedBy": {
        "_id": "60f1",
        "avatarUrl": "https://cdn-avatars.huggingface.co/a.png",
        "fullname": "AK",
        "name": "akhaliq",
        "type": "user",
        "isPro": False,
    },
    "isAuthorParticipating": False,
}

BEIR_DOC = {"_id": "4983", "title": "Microstructural development", "text": "Alterations of white matter.", "metadata": {}}

LISTING = {
    "id": "2602.23367",
    "title": "HumanMCP: A Human-Like Query Dataset",
    "abstract": "MCP servers. Code at https://github.com/x/humanmcp.",
    "authors": ["Shubh Laddha", "Lucas Changbencharoen"],
    "categories": ["cs.AI", "cs.IR"],
    "comment": "4 pages",
    "listing_date": "2026-03-02",
    "listing_dates": ["2026-03-02", "2026-03-03"],
    "abs_url": "https://arxiv.org/abs/2602.23367",
}


def write_lines(path: Path, records, *, compress: bool = False) -> Path:
    data = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def read_all(path: Path, format: str | None = None) -> tuple[str | None, list]:
    with PaperFile(path, format) as source:
        return source.format, list(source.records())


def only_paper(path: Path, format: str | None = None):
    detected, items = read_all(path, format)
    assert len(items) == 1 and isinstance(items[0], Record), items
    return detected, items[0].parsed


# -- each format ----------------------------------------------------------------------------
def test_kaggle_record_becomes_the_latest_version_with_ordered_authors(tmp_path):
    detected, parsed = only_paper(write_lines(tmp_path / "arxiv-metadata-oai-snapshot.json", [KAGGLE]))
    paper = parsed.paper
    assert detected == "kaggle"
    assert (paper.id, paper.version, paper.source) == ("0704.0001", 2, "kaggle")
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan Jr")
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27)
    assert (paper.categories, paper.primary_category) == (("hep-ph",), "hep-ph")
    assert (paper.doi, paper.journal_ref) == ("10.1103/PhysRevD.76.013009", "Phys.Rev.D76:013009,2007")
    assert paper.comment == "37 pages, 15 figures; published version"
    assert parsed.feature is None


def test_kaggle_old_style_id_and_several_categories(tmp_path):
    _, parsed = only_paper(write_lines(tmp_path / "k.json", [KAGGLE_OLD_STYLE]))
    assert parsed.paper.id == "math/0406514"
    assert parsed.paper.categories == ("math.GT", "math.AT") and parsed.paper.primary_category == "math.GT"
    assert parsed.paper.version == 1


def test_kaggle_without_authors_parsed_splits_the_author_string():
    record = {**KAGGLE_OLD_STYLE, "authors_parsed": None, "authors": "A. One, B. Two and C. Three"}
    assert parse_record("kaggle", record).paper.authors == ("A. One", "B. Two", "C. Three")


def test_hf_daily_array_keeps_featured_date_submitter_and_upvotes(tmp_path):
    path = tmp_path / "daily_papers.json"
    second = json.loads(json.dumps(HF_ITEM))
    second["paper"]["id"] = "2405.00002"
    second["publishedAt"] = "2024-05-02T23:30:00-05:00"  # 04:30 UTC on 3 May
    second["submittedBy"] = {"fullname": "Someone Without Handle"}
    path.write_text(json.dumps([HF_ITEM, second], indent=2))
    detected, items = read_all(path)
    assert detected == "hf-daily"
    first = items[0].parsed
    assert first.paper.id == "2405.00001" and first.paper.source == "hf-daily"
    assert first.paper.authors == ("Ada Lovelace", "Alan Turing")
    assert first.paper.published == datetime(2024, 4, 30, 17, 59, 59)
    # githubRepo first (normalised), then links of the abstract; the project page as given.
    assert first.paper.code_urls == ("https://github.com/Owner/Repo", "https://github.com/owner/method")
    assert first.paper.project_url == "https://owner.github.io/repo/"
    assert first.feature == DailyFeature("2405.00001", date(2024, 5, 1), "akhaliq", 42, "hf-daily")
    assert items[1].parsed.feature.featured_on == date(2024, 5, 3)
    assert items[1].parsed.feature.submitter == "Someone Without Handle"


def test_hf_daily_as_json_lines_falls_back_to_submitted_on_daily_at(tmp_path):
    item = {k: v for k, v in HF_ITEM.items() if k != "publishedAt"}
    _, parsed = only_paper(write_lines(tmp_path / "daily.jsonl", [item]))
    assert parsed.feature.featured_on == date(2024, 5, 1)


def test_beir_document_is_namespaced_and_not_arxiv(tmp_path):
    detected, parsed = only_paper(write_lines(tmp_path / "corpus.jsonl", [BEIR_DOC]))
    assert detected == "beir"
    assert parsed.paper.id == "beir:4983" and not parsed.paper.is_arxiv
    assert (parsed.paper.title, parsed.paper.abstract, parsed.paper.source) == (
        "Microstructural development",
        "Alterations of white matter.",
        "beir",
    )


def test_listing_record_uses_listing_date_as_announced(tmp_path):
    detected, parsed = only_paper(write_lines(tmp_path / "papers.jsonl", [LISTING]))
    paper = parsed.paper
    assert detected == "listings"
    assert paper.announced == date(2026, 3, 2)
    assert paper.authors == ("Shubh Laddha", "Lucas Changbencharoen")
    assert (paper.categories, paper.primary_category) == (("cs.AI", "cs.IR"), "cs.AI")
    assert (paper.comment, paper.abs_url) == ("4 pages", "https://arxiv.org/abs/2602.23367")


def test_export_record_reads_back_as_the_same_paper_and_feature(tmp_path):
    paper = Paper(
        id="2401.01234",
        title="T",
        abstract="  kept exactly  ",
        version=3,
        authors=("A", "B"),
        categories=("cs.CL", "cs.AI"),
        primary_category="cs.CL",
        published=datetime(2024, 1, 2, 3, 4, 5),
        updated=datetime(2024, 2, 2, 3, 4, 5),
        announced=date(2024, 1, 3),
        comment="10 pages\n",
        journal_ref="J",
        doi="10.1/x",
        abs_url="https://arxiv.org/abs/2401.01234",
        pdf_url="https://arxiv.org/pdf/2401.01234",
        code_urls=("https://github.com/a/b",),
        huggingface_urls=("https://huggingface.co/a/b",),
        project_url="https://a.github.io/b/",
        source="oai",
    )
    feature = DailyFeature("2401.01234", date(2024, 1, 4), "someone", 7, "hf-daily")
    path = write_lines(
        tmp_path / "export.jsonl",
        [export_header(datetime(2024, 5, 1), 2), export_record(paper, feature), export_record(Paper("beir:1", "x"), None)],
    )
    detected, items = read_all(path)
    assert detected == "paperboard"
    assert [i.parsed for i in items] == [
        parse_record("paperboard", export_record(paper, feature)),
        parse_record("paperboard", export_record(Paper("beir:1", "x"), None)),
    ]
    assert items[0].parsed.paper == paper and items[0].parsed.feature == feature
    assert items[1].parsed.paper == Paper("beir:1", "x") and items[1].parsed.feature is None


HOSTILE_EXPORT_IDS = [
    "../../../etc/passwd", "2605.99997/../../x", "..", "a\nb", "<script>", "2605.99996?x=1", "2401.01234v2",
    "arXiv:2401.01234", "https://arxiv.org/abs/2401.01234", "beir:../../x", "beir:/etc/passwd", "beir:a/./b", "beir:",
    "beir: padded", "beir:a\u202eb", "bé:1", ":1",
]


def test_export_ids_that_are_no_paper_id_are_skipped_and_named(tmp_path):
    """Issue 16: ``../../../etc/passwd`` was stored as a paper id from an export file."""
    records = [{"id": pid, "title": "T"} for pid in HOSTILE_EXPORT_IDS]
    path = write_lines(tmp_path / "export.jsonl", [export_header(datetime(2024, 5, 1), len(records)), *records])
    _, items = read_all(path)
    assert [type(i) for i in items] == [Skipped] * len(HOSTILE_EXPORT_IDS)
    assert {i.reason for i in items} == {"not a paper id"}
    assert "etc/passwd" in items[0].detail and "namespace:id" in items[0].detail


@pytest.mark.parametrize("paper_id", ["2401.01234", "hep-th/9901001", "0704.0001", "beir:4983", "beir:MED-10", "beir:AC/DC",
                                      "beir:Global warming", "beir:c6-2019-04-18T13:32:05Z-00000"])
def test_export_ids_this_site_writes_read_back(tmp_path, paper_id):
    path = write_lines(tmp_path / "export.jsonl", [export_header(datetime(2024, 5, 1), 1), export_record(Paper(paper_id, "T"), None)])
    assert only_paper(path)[1].paper.id == paper_id


def test_export_from_a_newer_paperboard_is_refused(tmp_path):
    path = write_lines(tmp_path / "export.jsonl", [{"format": "paperboard/2"}, {"id": "2401.01234", "title": "T"}])
    with pytest.raises(FileFormatError, match=r"export\.jsonl line 1: .*newer paperboard"):
        read_all(path)


# -- containers and compression ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["papers.jsonl.gz", "papers.json"])
def test_gzip_is_recognised_by_its_bytes_not_its_name(tmp_path, name):
    compressed = write_lines(tmp_path / name, [LISTING, BEIR_DOC], compress=True)
    plain = write_lines(tmp_path / "plain.jsonl", [LISTING, BEIR_DOC])
    with PaperFile(compressed) as source:
        assert source.compressed
        from_gzip = list(source.records())
    with PaperFile(plain) as source:
        assert not source.compressed
        assert list(source.records()) == from_gzip
    assert len(from_gzip) == 2


def test_a_plain_file_named_gz_is_read_as_plain(tmp_path):
    detected, parsed = only_paper(write_lines(tmp_path / "not-really.jsonl.gz", [LISTING]))
    assert detected == "listings" and parsed.paper.id == "2602.23367"


def test_truncated_gzip_yields_what_came_before_then_names_file_and_line(tmp_path):
    records = [{**LISTING, "id": f"2603.{n:05d}", "abstract": f"Abstract {n} " * 40} for n in range(1, 2001)]
    whole = write_lines(tmp_path / "whole.jsonl.gz", records, compress=True).read_bytes()
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    seen = []
    with pytest.raises(FileFormatError) as raised:
        with PaperFile(truncated) as source:
            for item in source.records():
                seen.append(item)
    message = str(raised.value)
    assert message.startswith(f"{truncated} line ")
    assert "truncated" in message
    assert 0 < len(seen) < 2000 and all(isinstance(i, Record) for i in seen)
    assert raised.value.line == len(seen) + 1


def test_corrupt_gzip_data_is_a_file_error(tmp_path):
    data = bytearray(gzip.compress(("\n".join(json.dumps(LISTING) for _ in range(200)) + "\n").encode()))
    for i in range(40, len(data) - 40):
        data[i] ^= 0x5A
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match=r"corrupt\.jsonl\.gz.*(corrupt|truncated)"):
        read_all(path)


def test_bad_lines_are_skipped_with_their_line_and_reason(tmp_path):
    lines = [
        LISTING,
        "{not json",
        {**LISTING, "id": "not-an-id"},
        {**LISTING, "id": "2602.00002", "title": ""},
        "",
        {**LISTING, "id": "2602.00003", "authors": "one string"},
        "[1, 2]",
        {**LISTING, "id": "2602.00004"},
    ]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    path.write_bytes(path.read_bytes() + b'{"id": "\xff\xfe"}\n')
    _, items = read_all(path)
    skipped = [(i.line, i.reason) for i in items if isinstance(i, Skipped)]
    assert skipped == [
        (2, "not valid JSON"),
        (3, "not an arXiv id"),
        (4, "missing field"),
        (6, "malformed field"),
        (7, "not a JSON object"),
        (9, "not UTF-8 text"),
    ]
    assert [i.parsed.paper.id for i in items if isinstance(i, Record)] == ["2602.23367", "2602.00004"]
    detail = next(i for i in items if isinstance(i, Skipped) and i.line == 3).detail
    assert "not-an-id" in detail


def test_unknown_format_names_the_file_and_line(tmp_path):
    path = write_lines(tmp_path / "mystery.jsonl", ["", {"name": "x", "value": 1}])
    with pytest.raises(FileFormatError, match=r"mystery\.jsonl line 2: unknown format: the first record has the keys name, value; pass --format"):
        read_all(path)


def test_a_file_that_is_not_json_cannot_be_detected(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(FileFormatError, match=r"notes\.txt line 1: not JSON lines or a JSON array"):
        read_all(path)


def test_given_format_skips_a_bad_first_line_instead_of_failing(tmp_path):
    path = write_lines(tmp_path / "corpus.jsonl", ["{oops", BEIR_DOC])
    detected, items = read_all(path, "beir")
    assert detected == "beir"
    assert isinstance(items[0], Skipped) and items[0].line == 1
    assert items[1].parsed.paper.id == "beir:4983"


def test_given_format_overrides_detection(tmp_path):
    path = write_lines(tmp_path / "looks-like-beir.jsonl", [BEIR_DOC])
    _, items = read_all(path, "listings")
    assert isinstance(items[0], Skipped) and items[0].reason == "missing field"


def test_malformed_json_array_names_the_line(tmp_path):
    path = tmp_path / "daily.json"
    path.write_text("\n[\n" + json.dumps(HF_ITEM) + ",\n{\"paper\": \n")
    with pytest.raises(FileFormatError, match=r"daily\.json line 5: malformed JSON array"):
        read_all(path)


def test_skipped_items_of_an_array_are_counted_by_item(tmp_path):
    path = tmp_path / "daily.json"
    path.write_text(json.dumps([HF_ITEM, {"paper": {"id": "bogus", "title": "x"}}]))
    _, items = read_all(path)
    assert isinstance(items[1], Skipped) and items[1].where == "item 2"


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_all(empty) == (None, [])
    with pytest.raises(FileFormatError, match=r"absent\.jsonl: cannot read the file"):
        read_all(tmp_path / "absent.jsonl")
    with pytest.raises(FileFormatError, match="cannot read the file"):
        read_all(tmp_path)


def test_values_too_long_for_the_store_are_skipped(tmp_path):
    path = write_lines(tmp_path / "corpus.jsonl", [{**BEIR_DOC, "_id": "x" * 80}, BEIR_DOC])
    _, items = read_all(path)
    assert isinstance(items[0], Skipped) and items[0].reason == "value too long"
    assert isinstance(items[1], Record)

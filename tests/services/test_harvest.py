"""Harvest use cases end to end: a real HTTP server on 127.0.0.1 playing arXiv, a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from paperboard.adapters.sources.oai import OaiError
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.checkpoints import save_checkpoint
from paperboard.adapters.store.schema import harvest_checkpoints
from paperboard.errors import SourceUnavailable, UserError
from paperboard.services.context import default_context
from paperboard.services.harvest import (
    checkpoint_key,
    harvest_arxiv_api,
    harvest_oai,
    index_one,
)
from paperboard.settings import get_settings
from tests.fakes_arxiv import (
    ApiCorpus,
    FakeArxiv,
    OaiChain,
    Reply,
    arxiv_record,
    atom_entry,
    atom_feed,
    deleted_record,
    oai_error,
    raw_record,
)

JAN_1, JAN_31 = date(2024, 1, 1), date(2024, 1, 31)


@pytest.fixture
def arxiv(paperboard_env, monkeypatch):
    with FakeArxiv() as server:
        monkeypatch.setenv("PAPERBOARD_ARXIV_API_URL", server.api_url)
        monkeypatch.setenv("PAPERBOARD_ARXIV_OAI_URL", server.oai_url)
        monkeypatch.setenv("PAPERBOARD_ARXIV_DELAY_SECONDS", "0")
        monkeypatch.setenv("PAPERBOARD_HTTP_MAX_RETRIES", "2")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture
def ctx(arxiv):
    context = default_context()
    context.migrate()
    yield context
    context.database.dispose()


def _ids(n: int, month: str = "2401") -> list[str]:
    return [f"{month}.{i:05d}" for i in range(1, n + 1)]


def _stored(ctx) -> dict[str, object]:
    with ctx.database.read() as connection:
        return {p.id: p for p in paper_store.iter_papers(connection)}


def _checkpoints(ctx) -> dict[str, dict]:
    with ctx.database.read() as connection:
        return {r.key: r.state for r in connection.execute(select(harvest_checkpoints))}


# -- the search API ------------------------------------------------------------------------------
def test_api_harvest_pages_through_the_window_and_rerunning_adds_nothing(ctx, arxiv):
    arxiv.api = ApiCorpus({i: atom_entry(i, categories=("cs.CL", "cs.LG")) for i in _ids(7)})
    first = harvest_arxiv_api(ctx, ["cs.CL", "cs.LG"], JAN_1, JAN_31, page_size=3)
    assert (first.read, first.inserted, first.updated, first.skipped) == (7, 7, 0, {})
    requests = arxiv.requests_to("/api/query")
    assert [(r.params["start"], r.params["max_results"]) for r in requests] == [("0", "3"), ("3", "3"), ("6", "3")]
    assert requests[0].params["search_query"] == (
        "(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202401010000 TO 202401312359]"
    )
    assert set(_stored(ctx)) == set(_ids(7))
    assert _checkpoints(ctx) == {}  # a finished harvest leaves no checkpoint behind
    second = harvest_arxiv_api(ctx, ["cs.CL", "cs.LG"], JAN_1, JAN_31, page_size=3)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 7)


def test_api_harvest_stops_at_max(ctx, arxiv):
    arxiv.api = ApiCorpus({i: atom_entry(i) for i in _ids(9)})
    counts = harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, max_results=5, page_size=3)
    assert counts.inserted == 5
    assert [r.params["max_results"] for r in arxiv.requests] == ["3", "2"]
    assert len(_stored(ctx)) == 5 and _checkpoints(ctx) == {}


def test_api_harvest_resumes_from_the_last_committed_page(ctx, arxiv):
    corpus = ApiCorpus({i: atom_entry(i) for i in _ids(8)})
    arxiv.api = lambda request: corpus(request) if request.params["start"] == "0" else Reply(503, b"down")
    with pytest.raises(SourceUnavailable, match="gave up on http://127.0.0.1"):
        harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, page_size=3)
    assert set(_stored(ctx)) == set(_ids(3))
    assert list(_checkpoints(ctx).values()) == [{"start": 3, "total": 8}]
    arxiv.api = corpus
    arxiv.requests.clear()
    counts = harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, page_size=3)
    assert [r.params["start"] for r in arxiv.requests] == ["3", "6"]
    assert counts.inserted == 5 and set(_stored(ctx)) == set(_ids(8))
    assert _checkpoints(ctx) == {}


def test_api_harvest_skips_malformed_entries_and_rides_out_throttling(ctx, arxiv):
    entries = {i: atom_entry(i) for i in _ids(4)}
    entries["bad"] = atom_entry("2401.99999", raw_id="http://arxiv.org/abs/garbage")
    arxiv.api = ApiCorpus(entries)
    arxiv.queue(Reply(503, b"busy", headers={"Retry-After": "0"}), Reply(429, b"slow down"))
    counts = harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, page_size=10)
    assert (counts.read, counts.inserted) == (5, 4)
    assert counts.skipped == {"malformed Atom entry: no valid arXiv id": 1}
    assert len(arxiv.requests) == 3  # two refusals, then the page


def test_api_harvest_keeps_committed_pages_when_a_document_is_malformed(ctx, arxiv):
    corpus = ApiCorpus({i: atom_entry(i) for i in _ids(6)})
    arxiv.api = lambda request: corpus(request) if request.params["start"] == "0" else Reply(body=b"<feed><entry>")
    with pytest.raises(UserError, match=r"malformed XML from http://127\.0\.0\.1:\d+/api/query\?.*start=3"):
        harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, page_size=3)
    assert set(_stored(ctx)) == set(_ids(3))
    assert [s["start"] for s in _checkpoints(ctx).values()] == [3]


def test_api_harvest_retries_a_connection_cut_mid_response(ctx, arxiv):
    arxiv.api = ApiCorpus({i: atom_entry(i) for i in _ids(2)})
    body = atom_feed([atom_entry(i) for i in _ids(2)])
    arxiv.queue(Reply(body=body, cut_after=len(body) // 2))
    counts = harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31)
    assert counts.inserted == 2 and len(arxiv.requests) == 2


def test_api_harvest_rejects_bad_parameters_before_any_request(ctx, arxiv):
    with pytest.raises(UserError, match="not an arXiv category"):
        harvest_arxiv_api(ctx, ["cs.CL OR all:x"], JAN_1, JAN_31)
    with pytest.raises(UserError, match="--max must be at least 1"):
        harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31, max_results=0)
    with pytest.raises(UserError, match="empty"):
        harvest_arxiv_api(ctx, ["cs.CL"], JAN_31, JAN_1)
    assert arxiv.requests == []


# -- OAI-PMH --------------------------------------------------------------------------------------
def test_oai_harvest_follows_the_chain_skips_deleted_and_malformed_records(ctx, arxiv):
    pages = [
        [raw_record("2401.00001"), raw_record("2401.00002")],
        [deleted_record("2401.00003"), raw_record("2401.00004", title="  ")],
        [raw_record("2401.00005", versions=("Tue, 2 Jan 2024 10:00:00 GMT", "Fri, 5 Jan 2024 10:00:00 GMT"))],
    ]
    arxiv.oai = OaiChain(pages)
    seen = []
    counts = harvest_oai(ctx, "cs", JAN_1, JAN_31, "arXivRaw", on_page=lambda p: seen.append((p.done, p.total)))
    assert (counts.read, counts.inserted) == (5, 3)
    assert counts.skipped == {"deleted from arXiv": 1, "malformed arXivRaw record: no title": 1}
    assert seen == [(2, 5), (4, 5), (5, 5)]
    stored = _stored(ctx)
    assert set(stored) == {"2401.00001", "2401.00002", "2401.00005"}
    assert stored["2401.00005"].version == 2 and stored["2401.00005"].announced == date(2024, 1, 2)
    assert arxiv.requests[0].params["set"] == "cs"
    assert [r.params.get("resumptionToken") for r in arxiv.requests] == [None, "page-2", "page-3"]
    assert _checkpoints(ctx) == {}
    again = harvest_oai(ctx, "cs", JAN_1, JAN_31, "arXivRaw")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_oai_harvest_of_an_empty_window_is_zero_records(ctx, arxiv):
    arxiv.oai = lambda request: Reply(body=oai_error("noRecordsMatch", "no records"))
    counts = harvest_oai(ctx, "cs", JAN_1, JAN_1, "arXiv")
    assert counts.as_dict() == {"read": 0, "inserted": 0, "updated": 0, "unchanged": 0, "skipped": {}}


def test_oai_harvest_resumes_with_the_saved_token(ctx, arxiv):
    chain = OaiChain([[raw_record(i)] for i in _ids(4)])
    arxiv.oai = lambda request: Reply(503, b"down") if request.params.get("resumptionToken") == "page-3" else chain(request)
    with pytest.raises(SourceUnavailable):
        harvest_oai(ctx, "cs", JAN_1, JAN_31)
    assert set(_stored(ctx)) == set(_ids(2))
    (state,) = _checkpoints(ctx).values()
    assert state == {"resumption_token": "page-3", "done": 2, "total": 4}
    arxiv.oai = chain
    arxiv.requests.clear()
    seen = []
    counts = harvest_oai(ctx, "cs", JAN_1, JAN_31, on_page=lambda p: seen.append((p.done, p.resumed)))
    assert [r.params.get("resumptionToken") for r in arxiv.requests] == ["page-3", "page-4"]
    assert counts.inserted == 2 and set(_stored(ctx)) == set(_ids(4))
    assert seen == [(3, True), (4, True)]


def test_oai_harvest_with_an_expired_token_says_so_and_restart_recovers(ctx, arxiv):
    arxiv.oai = OaiChain([[raw_record(i)] for i in _ids(2)])
    key = checkpoint_key("arxiv-oai", prefix="arXivRaw", set="cs", date_from=JAN_1, date_to=JAN_31)
    with ctx.database.write() as connection:
        save_checkpoint(connection, key, {"resumption_token": "expired-yesterday", "done": 1})
    with pytest.raises(OaiError, match="badResumptionToken") as raised:
        harvest_oai(ctx, "cs", JAN_1, JAN_31)
    assert raised.value.code == "badResumptionToken"
    counts = harvest_oai(ctx, "cs", JAN_1, JAN_31, restart=True)
    assert counts.inserted == 2 and _checkpoints(ctx) == {}


def test_a_newer_version_from_oai_replaces_what_the_api_stored(ctx, arxiv):
    arxiv.api = ApiCorpus({"2401.00001": atom_entry("2401.00001", version=1, title="First draft")})
    harvest_arxiv_api(ctx, ["cs.CL"], JAN_1, JAN_31)
    arxiv.oai = OaiChain(
        [[raw_record("2401.00001", title="Final title", versions=("Tue, 2 Jan 2024 18:59:59 GMT", "Fri, 9 Feb 2024 08:00:00 GMT"))]]
    )
    counts = harvest_oai(ctx, "cs", JAN_1, None)
    assert counts.updated == 1
    paper = _stored(ctx)["2401.00001"]
    assert (paper.version, paper.title, paper.source) == (2, "Final title", "arxiv-oai")


def test_the_arxiv_metadata_format_fills_gaps_but_never_overwrites_a_versioned_record(ctx, arxiv):
    arxiv.oai = OaiChain([[raw_record("2401.00001", title="Raw title"), arxiv_record("2401.00002")]])
    with pytest.raises(UserError):
        harvest_oai(ctx, "cs", JAN_1, JAN_31, "oai_dc")
    harvest_oai(ctx, "cs", JAN_1, JAN_31, "arXivRaw")
    arxiv.oai = OaiChain([[arxiv_record("2401.00001", title="Other title")]])
    counts = harvest_oai(ctx, "cs", JAN_1, JAN_31, "arXiv")
    assert counts.unchanged == 1 and _stored(ctx)["2401.00001"].title == "Raw title"


# -- one paper -----------------------------------------------------------------------------------
def test_index_one_fetches_and_stores_the_latest_version(ctx, arxiv):
    arxiv.api = ApiCorpus({"hep-th/9901001": atom_entry("hep-th/9901001", version=3, title="Strings")})
    indexed = index_one(ctx, "https://arxiv.org/abs/hep-th/9901001v1")
    assert arxiv.requests[0].params["id_list"] == "hep-th/9901001"
    assert (indexed.paper.id, indexed.paper.version, indexed.paper.title) == ("hep-th/9901001", 3, "Strings")
    assert indexed.counts.inserted == 1
    assert index_one(ctx, "hep-th/9901001").counts.unchanged == 1


def test_index_one_explains_bad_and_unknown_ids(ctx, arxiv):
    arxiv.api = ApiCorpus({})
    with pytest.raises(UserError, match="not an arXiv id"):
        index_one(ctx, "2401.1")
    assert arxiv.requests == []
    with pytest.raises(UserError, match="arXiv has no paper 2401.00001"):
        index_one(ctx, "2401.00001")


def test_checkpoint_keys_name_the_parameters_and_fit_the_column():
    assert checkpoint_key("arxiv-oai", prefix="arXiv", set="cs", date_from=JAN_1, date_to=None) == (
        "arxiv-oai:prefix=arXiv:set=cs:date_from=2024-01-01:date_to="
    )
    long_key = checkpoint_key("arxiv-api", cat="+".join(f"cat{i}.XX" for i in range(100)))
    assert len(long_key) <= 255 and long_key.startswith("arxiv-api:sha256=")

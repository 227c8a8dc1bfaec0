"""A gzip bomb as arXiv's answer: ``paperboard ingest arxiv`` stops with one line and a non-zero
exit, having read at most the answer limit, and the pages committed before it stay."""

from __future__ import annotations

import zlib

import pytest
from sqlalchemy import func, select

from paperboard.adapters.sources.http import MAX_ANSWER_BYTES
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.schema import harvest_checkpoints, papers
from tests.cli.test_ingest_cli import _error_line, arxiv, paperboard  # noqa: F401, F811 - fixtures
from tests.fakes_arxiv import ATOM_TYPE, ApiCorpus, Reply, atom_entry


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """2 MB of gzip that inflate to 2 GB of spaces."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b" " * 2**20
    body = b"".join(compressor.compress(chunk) for _ in range(2048)) + compressor.flush()
    assert len(body) < 3 * 2**20
    return body


def _stored(database_url: str) -> tuple[int, int]:
    database = Database(database_url)
    with database.read() as connection:
        counts = (connection.scalar(select(func.count()).select_from(papers)),
                  connection.scalar(select(func.count()).select_from(harvest_checkpoints)))
    database.dispose()
    return counts


def test_a_gzip_bomb_from_the_api_is_one_line_and_keeps_the_pages_before_it(paperboard, arxiv, bomb, database_url):
    corpus = ApiCorpus({f"2401.{n:05d}": atom_entry(f"2401.{n:05d}") for n in range(1, 301)})

    def answer(request):
        if int(request.params.get("start", 0)) == 0:
            return corpus(request)  # the first page of 200 is fine
        return Reply(body=bomb, content_type=ATOM_TYPE, headers={"Content-Encoding": "gzip"})

    arxiv.api = answer
    code, _, err = paperboard("ingest", "arxiv", "-c", "cs.CL", "--from", "2024-01-01", "--until", "2024-01-02")
    assert code == 3
    line = _error_line(err)
    assert f"sent an answer larger than {MAX_ANSWER_BYTES:,} bytes once decompressed" in line
    assert "MemoryError" not in err and "Traceback" not in err
    assert len(arxiv.requests_to("/api/query")) == 2  # a bomb is not asked for again
    assert _stored(database_url) == (200, 1)  # the first page, and the checkpoint to resume from

    arxiv.api = corpus  # arXiv well again: the rerun resumes after the first page
    code, _, err = paperboard("ingest", "arxiv", "-c", "cs.CL", "--from", "2024-01-01", "--until", "2024-01-02")
    assert code == 0, err
    assert _stored(database_url) == (300, 0)
    assert arxiv.requests_to("/api/query")[-1].params["start"] == "200"

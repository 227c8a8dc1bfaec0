"""Every HTTP answer is read decompressed and bounded: a gzip bomb or an oversized body is refused
with one line (not retried, no MemoryError), on a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json

import pytest

from paperboard.adapters.sources.github import GitHubClient
from paperboard.adapters.sources.http import AnswerTooLarge, PoliteClient
from paperboard.errors import SourceUnavailable
from tests.fakes_arxiv import FakeArxiv, Reply

LIMIT = 10_000


@pytest.fixture
def server():
    with FakeArxiv() as fake:
        yield fake


def _client(**options) -> PoliteClient:
    return PoliteClient(user_agent="t", delay_seconds=0, max_retries=2, backoff_seconds=0.01, max_answer_bytes=LIMIT, **options)


def test_an_answer_within_the_limit_arrives_decompressed(server):
    body = b"<feed>" + b"a" * (LIMIT - 20) + b"</feed>"
    server.queue(Reply(body=gzip.compress(body), headers={"Content-Encoding": "gzip"}))
    with _client() as client:
        fetched = client.get(server.api_url)
    assert fetched.content == body and "content-encoding" not in fetched.headers


def test_a_gzip_bomb_is_refused_once_past_the_limit_and_not_asked_again(server):
    server.queue(Reply(body=gzip.compress(b" " * 100 * LIMIT), headers={"Content-Encoding": "gzip"}))
    with _client() as client, pytest.raises(AnswerTooLarge) as refused:
        client.get(server.api_url)
    assert str(refused.value) == (
        f"{server.api_url} sent an answer larger than {LIMIT:,} bytes once decompressed (a decompression bomb?); refused"
    )
    assert len(server.requests) == 1


def test_a_declared_length_past_the_limit_is_refused_before_reading(server):
    server.queue(Reply(body=b"x" * (LIMIT + 1), cut_after=0))  # announced, never sent: nothing to wait for
    with _client() as client, pytest.raises(AnswerTooLarge, match=f"an answer of {LIMIT + 1:,} bytes"):
        client.get(server.api_url)


def test_corrupt_compressed_data_is_one_line_too(server):
    server.queue(Reply(body=b"\x1f\x8b\x08\x00not gzip at all", headers={"Content-Encoding": "gzip"}))
    with _client() as client, pytest.raises(SourceUnavailable, match="sent an answer that cannot be decompressed"):
        client.get(server.api_url)


def test_the_github_client_is_bounded_the_same_way(server):
    server.queue(Reply(body=gzip.compress(json.dumps({"padding": " " * 100 * LIMIT}).encode()),
                       content_type="application/json", headers={"Content-Encoding": "gzip"}))
    with GitHubClient(api_url=server.base_url, user_agent="t", max_retries=2, backoff_seconds=0.01,
                      max_answer_bytes=LIMIT) as client, pytest.raises(AnswerTooLarge, match="once decompressed"):
        client.check("https://github.com/acme/widgets")
    assert [r.path for r in server.requests] == ["/repos/acme/widgets"]

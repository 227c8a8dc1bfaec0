"""The polite client against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from paperboard.adapters.sources.http import PoliteClient, retry_after_seconds
from paperboard.errors import SourceUnavailable, SourceUnreachable
from tests.fakes_arxiv import FakeArxiv, Reply
from tests.offline import closed_port, unresolvable  # noqa: F401 - a fixture

BODY = b"<ok>" + b"x" * 5000 + b"</ok>"


def _client(**overrides) -> PoliteClient:
    options = dict(user_agent="paperboard-test/1", delay_seconds=0, backoff_seconds=0.01, max_retries=3, timeout_seconds=5)
    options.update(overrides)
    return PoliteClient(**options)


@pytest.fixture
def server():
    with FakeArxiv() as fake:
        fake.api = lambda request: Reply(body=BODY)
        yield fake


def _retry_logs(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "paperboard.http"]


def test_a_503_with_retry_after_is_waited_out_and_retried(server, caplog):
    server.queue(Reply(503, b"busy", headers={"Retry-After": "1"}))
    with caplog.at_level(logging.WARNING, "paperboard.http"), _client() as client:
        fetched = client.get(server.api_url, {"q": "x"})
    assert fetched.content == BODY and fetched.status == 200
    assert len(server.requests) == 2
    assert _retry_logs(caplog) == [f"{server.api_url}?q=x: HTTP 503 with Retry-After; retry 1 of 3 in 1.0 s"]


def test_a_retry_after_date_in_the_past_means_retry_now(server, caplog):
    past = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=5), usegmt=True)
    server.queue(Reply(503, b"busy", headers={"Retry-After": past}))
    with caplog.at_level(logging.WARNING, "paperboard.http"), _client() as client:
        assert client.get(server.api_url).content == BODY
    assert len(server.requests) == 2
    assert _retry_logs(caplog)[0].endswith("HTTP 503 with Retry-After; retry 1 of 3 in 0.0 s")


def test_a_429_without_retry_after_backs_off_and_retries(server, caplog):
    server.queue(Reply(429, b"slow down"), Reply(429, b"slow down"))
    with caplog.at_level(logging.WARNING, "paperboard.http"), _client() as client:
        assert client.get(server.api_url).content == BODY
    assert len(server.requests) == 3
    assert [m.split(": ", 1)[1].split(" in ")[0] for m in _retry_logs(caplog)] == [
        "HTTP 429; retry 1 of 3",
        "HTTP 429; retry 2 of 3",
    ]


def test_a_body_cut_short_is_retried(server, caplog):
    server.queue(Reply(body=BODY, cut_after=len(BODY) // 2))
    with caplog.at_level(logging.WARNING, "paperboard.http"), _client() as client:
        assert client.get(server.api_url).content == BODY
    assert len(server.requests) == 2
    assert "connection failed" in _retry_logs(caplog)[0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_then_given_up_naming_the_url(server, status):
    server.api = lambda request: Reply(status, b"down")
    with _client(max_retries=2) as client, pytest.raises(SourceUnavailable) as raised:
        client.get(server.api_url, {"start": 0})
    assert str(raised.value) == f"gave up on {server.api_url}?start=0 after 3 attempts: HTTP {status}"
    assert len(server.requests) == 3


def test_a_connection_cut_every_time_gives_up_with_the_reason(server):
    server.api = lambda request: Reply(body=BODY, cut_after=10)
    with _client(max_retries=1) as client, pytest.raises(SourceUnavailable, match="connection failed") as raised:
        client.get(server.api_url)
    assert server.api_url in str(raised.value) and "\n" not in str(raised.value)


def test_a_retry_after_of_an_hour_is_not_waited_for(server):
    server.queue(Reply(503, b"maintenance", headers={"Retry-After": "3600"}))
    with _client() as client, pytest.raises(SourceUnavailable, match="asks to retry after 3600 s"):
        client.get(server.api_url)
    assert len(server.requests) == 1


def test_a_client_error_is_not_retried(server):
    server.queue(Reply(404, b"no such thing"))
    with _client() as client, pytest.raises(SourceUnavailable, match=r"answered HTTP 404 Not Found"):
        client.get(server.api_url)
    assert len(server.requests) == 1


def test_an_accepted_error_status_is_returned_to_the_caller(server):
    server.queue(Reply(400, b"<error/>"))
    with _client() as client:
        fetched = client.get(server.api_url, accept_statuses={400})
    assert (fetched.status, fetched.content) == (400, b"<error/>")


def test_a_timeout_is_retried(server, caplog):
    server.queue(Reply(body=BODY, delay_seconds=1))
    with caplog.at_level(logging.WARNING, "paperboard.http"), _client(timeout_seconds=0.2) as client:
        assert client.get(server.api_url).content == BODY
    assert len(server.requests) == 2
    assert "timed out" in _retry_logs(caplog)[0]


def test_nothing_listening_fails_at_once_naming_host_and_port(caplog):
    port = closed_port()
    with (
        caplog.at_level(logging.WARNING, "paperboard.http"),
        _client(service="arXiv") as client,
        pytest.raises(SourceUnreachable) as raised,
    ):
        client.get(f"http://127.0.0.1:{port}/api/query")
    assert str(raised.value) == f"arXiv is unreachable: connection refused by 127.0.0.1:{port}"
    assert _retry_logs(caplog) == []  # no retry, so no wait before one


def test_a_name_that_does_not_resolve_fails_at_once_saying_so(unresolvable, caplog):  # noqa: F811
    with (
        caplog.at_level(logging.WARNING, "paperboard.http"),
        _client(service="arXiv") as client,
        pytest.raises(SourceUnreachable) as raised,
    ):
        client.get("http://export.arxiv.invalid/api/query")
    assert str(raised.value) == "arXiv is unreachable: cannot resolve export.arxiv.invalid (no network or DNS?)"
    assert unresolvable == ["export.arxiv.invalid"] and _retry_logs(caplog) == []


def test_calls_are_spaced_by_the_delay_and_carry_the_user_agent(server):
    with _client(delay_seconds=0.2) as client:
        for _ in range(3):
            client.get(server.api_url)
    arrivals = [r.received_at for r in server.requests]
    assert all(later - earlier >= 0.2 for earlier, later in zip(arrivals, arrivals[1:]))
    assert {r.headers["User-Agent"] for r in server.requests} == {"paperboard-test/1"}


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_header_values(header, expected):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(header, now) == expected

"""Request bodies are capped while they are read: a declared Content-Length past the cap is 413 at
once, a chunked body past it is 413 once the count passes it; forms and the JSON API differ."""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlencode

import httpx
import pytest

from paperboard.web.limits import BodyLimits

CHUNK = 64 * 1024


def _token(site) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', site.get("/subscribe").text)[1]


def _chunks(total: int):
    piece = b" " * CHUNK
    for _ in range(total // CHUNK):
        yield piece


def test_a_form_past_its_cap_is_413_and_one_below_is_served(site):
    token = _token(site)
    limit = site.app.state.body_limits.form_bytes
    ok = site.post("/subscribe", data={"email": "reader@example.org", "csrf_token": token})
    assert ok.status_code == 200
    padded = urlencode({"email": "reader@example.org", "csrf_token": token, "pad": "x" * limit})
    refused = site.post("/subscribe", content=padded, headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413
    assert "The request body is too large: this address takes at most" in refused.text
    assert "<html" in refused.text.lower()


def test_an_api_body_past_its_cap_is_a_json_413(site):
    limit = site.app.state.body_limits.api_bytes
    body = b'{"body": "' + b"x" * limit + b'"}'
    refused = site.post("/api/papers/2604.00001/comments", content=body, headers={"content-type": "application/json"})
    assert refused.status_code == 413
    assert refused.json() == {"error": "The request body is too large: this address takes at most 1 MB."}


def test_the_form_cap_fits_the_longest_comment_in_any_script():
    limits = BodyLimits(form_bytes=64 * 1024, api_bytes=2**20, comment_chars=5000)
    worst = urlencode({"body": "\U0001f600" * 5000, "csrf_token": "t" * 200, "next": "/papers/" + "x" * 2000})
    assert len(worst) <= limits.form_bytes
    assert BodyLimits(form_bytes=64 * 1024, api_bytes=2**20, comment_chars=10).form_bytes == 64 * 1024
    assert limits.limit_for("/api/comments/3") == 2**20 and limits.limit_for("/comments/3/edit") == limits.form_bytes


def test_a_declared_length_past_the_cap_is_answered_before_any_body_is_sent(live_site):
    host, port = "127.0.0.1", int(live_site.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/papers/2604.00001/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        answer = connection.recv(65536)  # no body sent at all: the answer cannot have waited for one
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"error":"The request body is too large' in answer


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read())[1]) * 1024


def test_a_200_mb_chunked_body_is_refused_having_read_about_the_cap(live_site):
    limits = live_site.server.config.app.state.body_limits
    with httpx.Client(base_url=live_site.url, timeout=60) as client:
        client.get("/papers")  # the first page's one-time costs are not counted below
        before, started = _rss_bytes(), time.monotonic()
        refused = client.post(
            "/api/papers/2604.00001/comments", content=_chunks(200 * 2**20), headers={"content-type": "application/json"}
        )
        grown = _rss_bytes() - before
        served = client.get("/papers")  # the connection (or a new one) still serves
    assert refused.status_code == 413 and served.status_code == 200
    assert refused.request.headers["transfer-encoding"] == "chunked"  # no Content-Length to go by
    assert limits.api_bytes < limits.most_read <= limits.api_bytes + 4 * CHUNK  # the cap and at most a few chunks
    assert grown < 40 * 2**20, f"the process grew by {grown / 2**20:.0f} MB"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("path", ["/subscribe", "/login", "/papers/2604.00001/comments"])
def test_chunked_forms_are_capped_too(live_site, path):
    limits = live_site.server.config.app.state.body_limits
    with httpx.Client(base_url=live_site.url, timeout=60) as client:
        refused = client.post(path, content=_chunks(8 * 2**20), headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413
    assert limits.form_bytes < limits.most_read <= limits.form_bytes + 4 * CHUNK

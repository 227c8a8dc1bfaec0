"""Per-IP limits on a real server: ``X-Forwarded-For`` counts only from FORWARDED_ALLOW_IPS.

uvicorn believes proxy headers from 127.0.0.1 unless told otherwise, so a client on loopback (or
behind a proxy that passes the header along) used to get a fresh address for every login attempt.
"""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.cli.test_web_cli import _environment, _wait_until_serving
from tests.web.conftest import free_port

ATTEMPTS = 40  # the login limit per IP is 30 in 15 minutes


class Server:
    def __init__(self, tmp_path, command: list[str], forwarded_allow_ips: str) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = _environment(tmp_path) | {"PAPERBOARD_FORWARDED_ALLOW_IPS": forwarded_allow_ips}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "paperboard", *command, "--host", "127.0.0.1", "--port", self.url.rsplit(":", 1)[1]],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )

    def __enter__(self) -> "Server":
        try:
            _wait_until_serving(self.url, self.process)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _failed_logins(server: Server, addresses: list[str]) -> list[int]:
    """A failed login per address given as X-Forwarded-For; each a different account, so only the
    per-IP limit can refuse them."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        return [
            client.post("/login", data={"login": f"nobody{n}", "password": "not the password", "csrf_token": token},
                        headers={"X-Forwarded-For": address}).status_code
            for n, address in enumerate(addresses)
        ]


@pytest.mark.parametrize("command", [["web"], ["up", "--no-harvest"]], ids=["web", "up"])
def test_without_the_setting_a_rotating_forwarded_for_is_ignored(tmp_path, command):
    with Server(tmp_path, command, "") as server:
        statuses = _failed_logins(server, [f"198.51.100.{n}" for n in range(ATTEMPTS)])
    assert statuses[:30] == [400] * 30
    assert statuses[30:] == [429] * (ATTEMPTS - 30)


@pytest.mark.parametrize(
    "command", [["web"], ["web", "--workers", "2"], ["up", "--no-harvest"]], ids=["web", "web-workers", "up"]
)
def test_from_a_named_proxy_the_forwarded_address_is_the_one_limited(tmp_path, command):
    with Server(tmp_path, command, "127.0.0.1") as server:
        rotating = _failed_logins(server, [f"198.51.100.{n}" for n in range(ATTEMPTS)])
        one_client = _failed_logins(server, ["203.0.113.7"] * ATTEMPTS)
        another = _failed_logins(server, ["203.0.113.8"])
    assert rotating == [400] * ATTEMPTS  # each address tried once: none over its limit
    assert one_client[:30] == [400] * 30 and one_client[30:] == [429] * (ATTEMPTS - 30)
    assert another == [400]  # the proxy's own address was never the one counted

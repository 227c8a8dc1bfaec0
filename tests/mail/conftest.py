"""A real SMTP server (aiosmtpd) on 127.0.0.1 that receives every mail the tests send, a site and
subscribers on each database, and helpers to read mail back and follow its links.

The sink's handler can be told to refuse recipients at RCPT, answer DATA with scripted replies
(4xx, 5xx) or take its time, so failures come from a real server over a real socket.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
from collections import defaultdict, deque
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from paperboard.adapters.mail.sink import MailFolder, SinkHandler, start_sink
from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.schema import subscriptions as subscriptions_table
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services.context import AppContext
from paperboard.settings import Settings

BASE_URL = "https://papers.example.org"
DAY = date(2026, 4, 14)  # a Tuesday: its daily digest covers papers announced that day
NEXT_DAY = date(2026, 4, 15)
XSS_TITLE = 'Attention <script>alert("x")</script> is <b>all</b> you need'
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScriptedHandler(SinkHandler):
    """Stores mail like the real sink; replies can be scripted per recipient."""

    def __init__(self, folder: MailFolder) -> None:
        super().__init__(folder)
        self.refuse_rcpt: dict[str, str] = {}
        self.data_replies: dict[str, deque[str]] = defaultdict(deque)
        self.delay_seconds = 0.0
        self.drop_after_data: set[str] = set()
        self.drop_after_data_once: set[str] = set()  # dropped at the next DATA only
        self.attempts: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0]
        with self.lock:
            self.attempts[recipient] += 1
            scripted = self.data_replies[recipient].popleft() if self.data_replies[recipient] else None
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if scripted:
            return scripted
        reply = await super().handle_DATA(server, session, envelope)
        if recipient in self.drop_after_data or recipient in self.drop_after_data_once:
            self.drop_after_data_once.discard(recipient)
            server.transport.close()  # the mail is kept, but the client never hears the 250
        return reply


class Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = MailFolder(folder)
        self.handler = ScriptedHandler(self.folder)
        self.port = free_port()
        self.controller = start_sink(folder, "127.0.0.1", self.port, handler=self.handler)

    def messages(self) -> list[EmailMessage]:
        return self.folder.messages()

    def to(self, email: str) -> list[EmailMessage]:
        return [m for m in self.messages() if email in m.get_all("Delivered-To", [])]

    def recipients(self) -> list[str]:
        return [r for m in self.messages() for r in m.get_all("Delivered-To", [])]

    def raw(self) -> list[bytes]:
        return [self.folder.raw(n) for n in self.folder.names()]


@pytest.fixture
def sink(tmp_path):
    server = Sink(tmp_path / "sink")
    yield server
    server.controller.stop()


def settings_for(home: Path, database_url: str, sink: Sink, **overrides) -> Settings:
    values = dict(
        home=home,
        database_url=database_url,
        base_url=BASE_URL,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        mail_from="paperboard <digest@papers.example.org>",
        mail_retry_base_seconds=0.05,
        secret_key="test-secret-key-that-is-long-enough-for-production",
    )
    values.update(overrides)
    return Settings(**values)


def environment_for(settings: Settings) -> dict[str, str]:
    """The same settings for a ``python -m paperboard`` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOARD_")}
    env.update(
        PAPERBOARD_HOME=str(settings.home),
        PAPERBOARD_DATABASE_URL=settings.database_url,
        PAPERBOARD_BASE_URL=settings.base_url,
        PAPERBOARD_MAIL_BACKEND="smtp",
        PAPERBOARD_SMTP_HOST=settings.smtp_host,
        PAPERBOARD_SMTP_PORT=str(settings.smtp_port),
        PAPERBOARD_MAIL_FROM=settings.mail_from,
        PAPERBOARD_MAIL_RETRY_BASE_SECONDS=str(settings.mail_retry_base_seconds),
        PAPERBOARD_MAIL_MAX_ATTEMPTS=str(settings.mail_max_attempts),
        PAPERBOARD_DIGEST_CLAIM_LEASE_SECONDS=str(settings.digest_claim_lease_seconds),
        PAPERBOARD_SECRET_KEY=settings.secret_key,
        PAPERBOARD_CONFIG=str(settings.home / "absent.toml"),
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def run_cli(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "paperboard", *args],
        env=environment_for(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def ctx(tmp_path, database_url, sink) -> AppContext:
    context = AppContext(settings_for(tmp_path / "home", database_url, sink))
    context.migrate()
    seed_papers(context.database)
    yield context
    context.database.dispose()


def seed_papers(database: Database) -> None:
    """Papers announced on DAY (and the day after) in two categories; a few featured with upvotes."""
    announced = []
    for n in range(12):
        category = "cs.CL" if n % 2 else "cs.CV"
        announced.append(
            Paper(
                id=f"2604.{10000 + n}",
                title=XSS_TITLE if n == 0 else f"Paper number {n} about {category}",
                abstract=f"Background sentence {n}. We propose method {n}, which works. It is evaluated.",
                authors=("Ada Lovelace", "Alan Turing"),
                categories=(category,),
                announced=DAY,
                code_urls=(f"https://github.com/example/repo{n}",) if n % 3 == 0 else (),
                source="test",
            )
        )
    announced += [
        Paper(id=f"2604.{20000 + n}", title=f"Tomorrow's paper {n}", abstract="We present a later thing.",
              categories=("cs.CL",), announced=NEXT_DAY, source="test")
        for n in range(3)
    ]
    with database.write() as connection:
        paper_store.upsert_papers(connection, announced)
        feature_store.upsert_features(
            connection,
            [DailyFeature(f"2604.{10000 + n}", DAY, "someone", 50 - n, "test") for n in range(4)]
            + [DailyFeature("2604.20000", NEXT_DAY, "someone", 7, "test")],
        )


def add_subscribers(ctx: AppContext, emails, *, frequency: str = "daily", categories=(), searches=()) -> None:
    """Confirmed subscribers, inserted directly (the subscribe-and-confirm flow has tests of its own)."""
    now = datetime(2026, 4, 1)
    topics = {"categories": list(categories), "searches": list(searches)}
    rows = [
        dict(email=e, status="confirmed", source="test", created_at=now, confirmed_at=now, frequency=frequency, topics=topics)
        for e in emails
    ]
    with ctx.database.write() as connection:
        connection.execute(insert(subscriptions_table), rows)


@pytest.fixture
def cli(ctx, monkeypatch, run_paperboard):
    """Run ``paperboard ARGS...`` in-process with the test's settings; (exit code, stdout, stderr)."""
    from paperboard.settings import get_settings

    for name, value in environment_for(ctx.settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    run = run_paperboard

    yield run
    get_settings.cache_clear()


@pytest.fixture
def site(ctx):
    from paperboard.web.app import create_app

    with TestClient(create_app(ctx), base_url=BASE_URL) as client:
        yield client


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and html parts, with line ends as a reader sees them."""
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    return text, html


def links(text: str, prefix: str) -> list[str]:
    return re.findall(re.escape(BASE_URL + prefix) + r"[A-Za-z0-9_.\-]+", text)


def list_unsubscribe_urls(message: EmailMessage) -> list[str]:
    return re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))

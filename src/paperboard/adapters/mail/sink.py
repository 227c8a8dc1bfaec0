"""A local SMTP server (aiosmtpd) that keeps every mail it receives as an ``.eml`` file.

``paperboard mail-sink`` runs it on 127.0.0.1:8025 for development; tests and the benchmark start
it on a free port. Each accepted message is written whole, as received, with one ``Delivered-To``
header per envelope recipient in front (as a mail store does), to a temporary name first and then
renamed, so a reader never sees half a file. File names sort in arrival order.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

_NAME = re.compile(r"\d{19}-\d{8}\.eml")


class MailFolder:
    """The folder of received mail: written by the sink, read by /dev/mail and by tests."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._numbers = itertools.count()

    def store(self, content: bytes, recipients: list[str]) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():019d}-{next(self._numbers) % 10**8:08d}.eml"
        delivered = b"".join(b"Delivered-To: " + r.encode() + b"\r\n" for r in recipients)
        temporary = self.path / f".{name}.tmp"
        temporary.write_bytes(delivered + content)
        os.replace(temporary, self.path / name)
        return self.path / name

    def names(self) -> list[str]:
        """Every stored message's name, oldest first."""
        if not self.path.is_dir():
            return []
        return sorted(n for n in os.listdir(self.path) if _NAME.fullmatch(n))

    def raw(self, name: str) -> bytes | None:
        """The message as stored, or None for a name that is not one of ours (no path tricks)."""
        if not _NAME.fullmatch(name or "") or not (self.path / name).is_file():
            return None
        return (self.path / name).read_bytes()

    def read(self, name: str) -> EmailMessage | None:
        raw = self.raw(name)
        return None if raw is None else message_from_bytes(raw, policy=policy.default)

    def messages(self) -> list[EmailMessage]:
        return [m for m in (self.read(n) for n in self.names()) if m is not None]

    def summaries(self, limit: int = 100) -> list["StoredMail"]:
        """The newest ``limit`` messages, newest first, with what a list shows."""
        found = []
        for name in reversed(self.names()[-limit:]):
            message = self.read(name)
            if message is None:
                continue
            received = datetime.fromtimestamp(int(name[:19]) / 1e9, tz=timezone.utc)
            found.append(StoredMail(name, received, tuple(message.get_all("Delivered-To", [])), str(message["Subject"] or "")))
        return found


@dataclass(frozen=True)
class StoredMail:
    name: str
    received: datetime
    recipients: tuple[str, ...]
    subject: str


class SinkHandler:
    """aiosmtpd handler: accept every recipient and store every message."""

    def __init__(self, folder: MailFolder) -> None:
        self.folder = folder

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        """Offer PIPELINING (RFC 2920), which aiosmtpd does not announce although it serves it:
        it reads commands from a buffered stream and answers each in order. A client may then
        send MAIL, RCPT and DATA at once, half the round trips of a mail."""
        session.host_name = hostname  # this hook replaces aiosmtpd's own bookkeeping of EHLO
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope) -> str:
        self.folder.store(envelope.content, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start_sink(folder: Path, host: str = "127.0.0.1", port: int = 8025, handler=None) -> Controller:
    """Start the sink on a background thread and return its controller (``.stop()`` ends it)."""
    controller = Controller(
        handler or SinkHandler(MailFolder(folder)),
        hostname=host,
        port=port,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    return controller

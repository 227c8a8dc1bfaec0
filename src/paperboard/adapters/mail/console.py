"""The development default: each mail is printed (headers that matter, then the text part).

Nothing is delivered, so links can be followed by copying them from the terminal. For a real SMTP
round trip during development, run ``paperboard mail-sink`` and set ``mail_backend = "smtp"``.
"""

from __future__ import annotations

import sys
from email import message_from_bytes, policy
from typing import TextIO

from paperboard.adapters.mail.sender import OutgoingMail

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post")


class ConsoleSender:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def connect(self) -> "ConsoleSender":
        """Printing needs no connection: the sender is its own."""
        return self

    def __enter__(self) -> "ConsoleSender":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close; present so every sender has the same shape."""

    def send(self, mail: OutgoingMail) -> None:
        message = message_from_bytes(mail.data, policy=policy.default)
        out = self.stream or sys.stdout
        lines = ["-" * 72]
        lines += [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
        text = message.get_body(preferencelist=("plain",))
        lines += ["", text.get_content().rstrip() if text is not None else "(no text part)", ""]
        out.write("\n".join(lines) + "\n")
        out.flush()

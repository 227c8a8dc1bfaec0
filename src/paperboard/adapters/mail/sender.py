"""The one interface every mail goes through, the failures it reports, and the choice by setting.

A mail is an :class:`OutgoingMail`: the envelope (one sender, one recipient) and the finished
message bytes (``compose.py`` makes them). A :class:`MailSender` is built once per process from
plain values (where the relay is, how to log in) and holds no connection, so threads share it;
``connect()`` opens a :class:`MailConnection`, a context manager, so a batch of mail shares one:

    with sender.connect() as connection:
        connection.send(mail)

``send`` returns only when the relay accepted the message. Otherwise it raises one of the errors
below, which say what the caller may safely do next: retry, give up on the address, give up on
the message, or neither (the message may have been delivered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol



@dataclass(frozen=True)
class OutgoingMail:
    sender: str  # envelope sender (MAIL FROM), a bare address
    recipient: str  # envelope recipient (RCPT TO), a checked address
    message_id: str
    data: bytes  # the whole message, CRLF line ends, as it goes after DATA

    @property
    def international(self) -> bool:
        """Whether an address needs SMTPUTF8 (a non-ASCII local part or domain)."""
        return not (self.sender.isascii() and self.recipient.isascii())


class MailError(Exception):
    """Base of every failure to hand a message to the relay."""


class TemporaryMailError(MailError):
    """A 4xx reply or a connection that failed before the message was handed over: retry later."""


class RecipientRefused(MailError):
    """A permanent (5xx) refusal of the recipient at RCPT: the address bounces; do not retry."""


class MessageRefused(MailError):
    """A permanent refusal of this message (at DATA); the address is not to blame; do not retry."""


class MailInDoubt(MailError):
    """The connection broke after the whole message was sent: the relay may have accepted it.

    Retrying may deliver it twice: a caller that retries sends the same Message-ID again, so the
    receiving mail store can drop the second copy (digests do; see ``services/digest.py``).
    """


class MailConfigError(MailError):
    """The relay refuses us, not the recipient (login, TLS, sender address): fix the settings."""


class MailConnection(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> "MailConnection": ...

    def __exit__(self, *exc_info) -> None: ...


class MailSender(Protocol):
    def connect(self) -> MailConnection: ...


def make_sender(
    backend: str,
    *,
    host: str,
    port: int,
    security: str = "none",
    username: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
) -> MailSender:
    """The sender ``backend`` names: ``smtp`` (a real relay) or ``console`` (printed)."""
    if backend == "smtp":
        from paperboard.adapters.mail.smtp import SmtpSender

        return SmtpSender(host=host, port=port, security=security, username=username, password=password, timeout=timeout)
    from paperboard.adapters.mail.console import ConsoleSender

    return ConsoleSender()

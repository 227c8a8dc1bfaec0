"""Sending through an SMTP relay with :mod:`smtplib`: plain, STARTTLS or implicit TLS, optional AUTH.

An :class:`SmtpSender` is built once; each :class:`SmtpConnection` it opens serves many messages.
Each message is sent as separate MAIL, RCPT and DATA commands rather than with ``sendmail`` so
that every failure can be placed exactly:

- before the final ``.`` of DATA went out, the relay cannot have accepted the message, so a 4xx
  reply or a broken connection is a :class:`TemporaryMailError` (safe to retry);
- a 5xx reply to RCPT is the recipient's address: :class:`RecipientRefused` (it bounces);
- a broken connection while waiting for the reply to the final ``.`` is :class:`MailInDoubt`:
  the relay may have queued the message, and only the caller knows whether a retry is acceptable.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field

from paperboard.adapters.mail.sender import (
    MailConfigError,
    MailInDoubt,
    MessageRefused,
    OutgoingMail,
    RecipientRefused,
    TemporaryMailError,
)

_SERVICE_CLOSING = 421


@dataclass(frozen=True)
class SmtpSender:
    """Where the relay is and how to reach it; built once, shared by threads, holds no connection."""

    host: str
    port: int
    security: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"unknown SMTP security {self.security!r}")

    def connect(self) -> "SmtpConnection":
        """A connection for one batch of mail, opened at its first send, closed by its ``with``."""
        return SmtpConnection(self)


class SmtpConnection:
    def __init__(self, relay: SmtpSender) -> None:
        self.relay = relay
        self._smtp: smtplib.SMTP | None = None

    # -- connection -----------------------------------------------------------------------------
    def __enter__(self) -> "SmtpConnection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):  # already gone: nothing left to close politely
            self._smtp.close()
        self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        relay = self.relay
        where = f"{relay.host}:{relay.port}"
        context = relay.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if relay.security == "tls":
                smtp = smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, context=context)
            else:
                smtp = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout)
            smtp.ehlo()
            if relay.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if relay.username:
                smtp.login(relay.username, relay.password or "")
        except smtplib.SMTPAuthenticationError as error:
            _close_quietly(smtp)
            raise MailConfigError(f"SMTP login to {where} refused: {_reply(error)}") from error
        except smtplib.SMTPNotSupportedError as error:
            _close_quietly(smtp)
            raise MailConfigError(f"SMTP relay {where} does not offer what the settings ask: {error}") from error
        except ssl.SSLCertVerificationError as error:
            _close_quietly(smtp)
            raise MailConfigError(f"TLS certificate of {where} not trusted: {error.verify_message}") from error
        except (smtplib.SMTPException, OSError) as error:
            _close_quietly(smtp)
            raise TemporaryMailError(f"cannot reach SMTP relay {where}: {error}") from error
        self._smtp = smtp
        return smtp

    # -- one message ----------------------------------------------------------------------------
    def send(self, mail: OutgoingMail) -> None:
        recipient = mail.recipient
        smtp = self._connection()
        if mail.international and not smtp.has_extn("smtputf8"):
            raise MessageRefused(f"the SMTP relay cannot deliver to an internationalised address ({recipient})")
        options = ""
        if mail.international:
            options = " SMTPUTF8 BODY=8BITMIME"
        elif not mail.data.isascii():
            if not smtp.has_extn("8bitmime"):
                raise MessageRefused("the SMTP relay does not accept 8-bit mail (no 8BITMIME)")
            options = " BODY=8BITMIME"
        # Addresses were checked before they got here, so the commands are written directly
        # (smtplib's mail()/rcpt() parse each address again, a real cost at 100,000 mails).
        smtp.command_encoding = "utf-8" if mail.international else "ascii"
        envelope = [("MAIL FROM", f"MAIL FROM:<{mail.sender}>{options}"), ("RCPT TO", f"RCPT TO:<{recipient}>"), ("DATA", "DATA")]
        try:
            if smtp.has_extn("pipelining"):
                # RFC 2920: the three commands in one write, then their replies in order: two round
                # trips per mail instead of four. Each command still gets its own reply, so a
                # refusal is placed exactly as without pipelining.
                smtp.send("".join(f"{line}\r\n" for _, line in envelope))
                replies = [smtp.getreply() for _ in envelope]
            else:
                replies = []
                for stage, line in envelope:
                    replies.append(smtp.docmd(line))
                    if not _accepted(replies[-1], stage):
                        break
            for (stage, _), reply in zip(envelope, replies):
                if not _accepted(reply, stage):
                    if replies[-1][0] == 354 and stage != "DATA":
                        self._drop()  # the relay now waits for a message that will not come: hang up
                    self._command(reply, stage, recipient)
            smtp.send(_dot_stuffed(mail.data) + b"\r\n.\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise TemporaryMailError(f"connection to the SMTP relay lost before the message went out: {error}") from error
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise MailInDoubt(f"connection lost while the relay acknowledged the mail to {recipient}: {error}") from error
        self._command((code, reply), "end of DATA", recipient)

    def _command(self, result: tuple[int, bytes], stage: str, recipient: str) -> None:
        if _accepted(result, stage):
            return
        code, reply = result
        text = f"{stage} for {recipient}: {code} {_decode(reply)}"
        if code == _SERVICE_CLOSING:
            self._drop()
        else:
            self._reset()
        if 400 <= code < 500 or code < 200:
            raise TemporaryMailError(text)
        if stage == "RCPT TO":
            raise RecipientRefused(text)
        if stage == "MAIL FROM":
            raise MailConfigError(f"the relay refuses our sender address: {text}")
        raise MessageRefused(text)

    def _reset(self) -> None:
        """End the failed transaction so the connection can carry the next message."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def _accepted(result: tuple[int, bytes], stage: str) -> bool:
    code = result[0]
    return code == 354 if stage == "DATA" else 200 <= code < 300


def _dot_stuffed(data: bytes) -> bytes:
    """The message without its last line break, every line that starts with "." given a second
    one (RFC 5321 4.5.2) so that no line of it can end the DATA early."""
    data = data.rstrip(b"\r\n")
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\n.", b"\n..")


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_decode(error.smtp_error)}"


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()

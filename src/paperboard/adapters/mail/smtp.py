"""Sending through an SMTP relay with :mod:`smtplib`: plain, STARTTLS or implicit TLS, optional AUTH.

One connection serves many messages. Each message is sent as separate MAIL, RCPT and DATA
commands rather than with ``sendmail`` so that every failure can be placed exactly:

- before the final ``.`` of DATA went out, the relay cannot have accepted the message, so a 4xx
  reply or a broken connection is a :class:`TemporaryMailError` (safe to retry);
- a 5xx reply to RCPT is the recipient's address: :class:`RecipientRefused` (it bounces);
- a broken connection while waiting for the reply to the final ``.`` is :class:`MailInDoubt`:
  the relay may have queued the message, and only the caller knows whether a retry is acceptable.
"""

from __future__ import annotations

import re
import smtplib
import ssl

from paperboard.adapters.mail.sender import (
    MailConfigError,
    MailInDoubt,
    MessageRefused,
    OutgoingMail,
    RecipientRefused,
    TemporaryMailError,
)

_LEADING_DOT = re.compile(rb"(?m)^\.")
_SERVICE_CLOSING = 421


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout = timeout
        self.tls_context = tls_context
        self._smtp: smtplib.SMTP | None = None

    # -- connection -----------------------------------------------------------------------------
    def __enter__(self) -> "SmtpSender":
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
        where = f"{self.host}:{self.port}"
        context = self.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
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
        try:
            self._command(smtp.docmd("MAIL", f"FROM:<{mail.sender}>{options}"), "MAIL FROM", recipient)
            self._command(smtp.docmd("RCPT", f"TO:<{recipient}>"), "RCPT TO", recipient)
            self._command(smtp.docmd("DATA"), "DATA", recipient, expected=354)
            smtp.send(_LEADING_DOT.sub(b"..", mail.data.rstrip(b"\r\n")) + b"\r\n.\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise TemporaryMailError(f"connection to the SMTP relay lost before the message went out: {error}") from error
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise MailInDoubt(f"connection lost while the relay acknowledged the mail to {recipient}: {error}") from error
        self._command((code, reply), "end of DATA", recipient)

    def _command(self, result: tuple[int, bytes], stage: str, recipient: str, expected: int | None = None) -> None:
        code, reply = result
        accepted = code == expected if expected is not None else 200 <= code < 300
        if accepted:
            return
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


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_decode(error.smtp_error)}"


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()

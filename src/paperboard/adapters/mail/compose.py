"""Mail as it leaves: a template trio (subject, text, html) rendered and put into one message.

Each mail ``NAME`` has ``NAME.subject.txt``, ``NAME.txt`` and ``NAME.html`` under ``templates/``;
the text and html extend the one layout (``_layout.txt``, ``_layout.html``).
The html is rendered with autoescape (third-party titles and abstracts are escaped there); the
text and subject are not, and the subject is folded to one line, so no text from a paper can
start a header of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import binascii
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from paperboard.adapters.mail.sender import OutgoingMail
from paperboard.domain.links import safe_link

TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_CHARS = 180
MAX_LINE_OCTETS = 998  # RFC 5321: a line of at most 1000 octets with its CRLF
PACKED_LINE_CHARS = 600  # html lines are joined up to this; a long title or URL can push one to ~900


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailTemplates:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        def environment(autoescape: bool) -> Environment:
            env = Environment(
                loader=FileSystemLoader(str(directory)),
                autoescape=autoescape,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                auto_reload=False,  # templates do not change under a running process: no stat per render
            )
            env.filters["safe_link"] = safe_link  # outside links leave only as the domain allows
            return env

        self._text = environment(False)
        self._html = environment(True)

    def fragment(self, name: str, context: Mapping) -> tuple[str, Markup]:
        """A partial rendered once for reuse in many mails: its text and (escaped) html."""
        text = self._text.get_template(f"{name}.txt").render(context)
        return text, Markup(self._html.get_template(f"{name}.html").render(context))

    def render(self, name: str, context: Mapping) -> RenderedMail:
        subject = one_line(self._text.get_template(f"{name}.subject.txt").render(context), SUBJECT_CHARS)
        text = self._text.get_template(f"{name}.txt").render(context)
        html = self._html.get_template(f"{name}.html").render({**context, "subject": subject})
        return RenderedMail(subject, text, html)


@lru_cache(maxsize=1)
def mail_templates() -> MailTemplates:
    """One set per process: each template compiles once, however many mails use it."""
    return MailTemplates()


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def compose(
    rendered: RenderedMail,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    unsubscribe_urls: Sequence[str],
    list_id: str | None = None,
    date: datetime | None = None,
) -> OutgoingMail:
    """One multipart/alternative message with the list headers of RFC 2369 and RFC 8058.

    ``unsubscribe_urls`` are the https link (which must accept a one-click POST) and optionally
    a mailto: address; ``recipient`` must already be a checked address (never raw form input).

    The bytes are written here rather than by ``email.message``: its generator costs several
    milliseconds a message, a real share of a 100,000-subscriber run, and it folds a long
    ``List-Unsubscribe`` URL into RFC 2047 encoded words, which mail clients do not decode there.
    A part goes as it is (7bit, or 8bit for UTF-8 text: every relay today speaks 8BITMIME) unless
    a line is too long for SMTP, then quoted-printable. The tests read every message back with the
    standard library's parser.
    """
    headers = [
        ("From", _from(sender)[0]),
        ("To", recipient),
        ("Subject", _text_header("Subject", rendered.subject)),
        ("Date", format_datetime(date or datetime.now(timezone.utc))),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
    ]
    if list_id:
        headers.append(("List-Id", list_id))
    if unsubscribe_urls:
        headers.append(("List-Unsubscribe", ", ".join(f"<{url}>" for url in unsubscribe_urls)))
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    boundary = "=_pb_" + secrets.token_hex(24)  # random: no part can contain it by chance
    headers += [("MIME-Version", "1.0"), ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    for name, value in headers:
        unfolded = value.replace("\r\n ", " ")
        if "\r" in unfolded or "\n" in unfolded:
            raise ValueError(f"{name} header would contain a line break")
    parts = [
        b"".join(f"{name}: {value}\r\n".encode() for name, value in headers),
        b"\r\n",
        _part(boundary, "text/plain", rendered.text),
        _part(boundary, "text/html", pack_lines(rendered.html)),
        f"--{boundary}--\r\n".encode(),
    ]
    return OutgoingMail(_from(sender)[1], recipient, message_id, b"".join(parts))


def pack_lines(html: str, width: int = PACKED_LINE_CHARS) -> str:
    """Join the template's short html lines into lines of about ``width`` characters.

    A line break and a space are the same whitespace in HTML (the mail templates have no <pre>),
    and a receiving server handles a message line by line: a third of the lines is a third of its
    work per mail. Packing already packed html changes nothing, so a fragment shared by many
    mails can be packed once and cost little here after.
    """
    packed: list[str] = []
    current = ""
    for line in html.splitlines():
        line = line.strip()
        if not line:
            continue
        if current and len(current) + 1 + len(line) > width:
            packed.append(current)
            current = line
        else:
            current = f"{current} {line}" if current else line
    if current:
        packed.append(current)
    return "\n".join(packed) + "\n"


def _part(boundary: str, content_type: str, body: str) -> bytes:
    data = body.replace("\r\n", "\n").encode()
    if b"\r" in data or b"\x00" in data or max(map(len, data.split(b"\n"))) > MAX_LINE_OCTETS:
        encoding = "quoted-printable"
        data = binascii.b2a_qp(data, istext=True)
    else:
        encoding = "7bit" if data.isascii() else "8bit"
    head = (
        f"--{boundary}\r\nContent-Type: {content_type}; charset=\"utf-8\"\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    # The line break before the next boundary belongs to the boundary, so one is always added.
    return head.encode() + data.replace(b"\n", b"\r\n") + b"\r\n"


def _text_header(name: str, value: str) -> str:
    """ASCII stays as it is; anything else becomes RFC 2047 encoded words, folded with CRLF."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


@lru_cache(maxsize=8)
def _from(value: str) -> tuple[str, str]:
    """The From header and the bare address (the same sender for a whole run: parsed once)."""
    name, address = parseaddr(value)
    return (formataddr((name, address), charset="utf-8") if name else address), address


def sender_domain(sender: str) -> str:
    """The domain of the From address: what Message-IDs and List-Id are made under."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"

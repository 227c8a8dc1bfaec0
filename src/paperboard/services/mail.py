"""Every mail leaves through :func:`send_mail`: render, send, and say what became of it.

A mail is a :class:`Letter`: which template trio (``NAME.subject.txt``, ``NAME.txt``,
``NAME.html`` under ``adapters/mail/templates``), to whom, and the values its text needs. Each
template extends the one layout (``_layout.html``, ``_layout.txt``), and every mail gets the
site's name (``SITE_NAME``), its base URL and the recipient's address from here, so no mail
carries a name or a frame of its own. It goes out through the context's mail sender, on the
caller's open connection (a batch) or on one of its own.

Each failure the sender reports is turned into one :class:`Delivery` status, and logged, here
and nowhere else. What a status means for the caller's records is the caller's:

- ``deferred``: the relay surely did not take it (4xx, no connection): safe to retry;
- ``in_doubt``: the connection broke while the relay acknowledged it: it may have arrived;
- ``bounced``: the relay refused the address for good;
- ``failed``: the relay refused this message for good (the address is not to blame);
- ``misconfigured``: the relay refuses us (login, TLS, our sender address): nothing else will
  go through until the settings are fixed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from paperboard.adapters.mail.compose import compose, mail_templates, sender_domain
from paperboard.adapters.mail.sender import (
    MailConfigError,
    MailConnection,
    MailError,
    MailInDoubt,
    MessageRefused,
    OutgoingMail,
    RecipientRefused,
    TemporaryMailError,
)
from paperboard.services.context import AppContext
from paperboard.settings import Settings

log = logging.getLogger("paperboard.mail")

# The same words as the digest ledger's statuses, so a run records a delivery as it is.
SENT, DEFERRED, IN_DOUBT, BOUNCED, FAILED, MISCONFIGURED = "sent", "deferred", "in_doubt", "bounced", "failed", "misconfigured"
_STATUS = (
    (TemporaryMailError, DEFERRED),
    (MailInDoubt, IN_DOUBT),
    (RecipientRefused, BOUNCED),
    (MessageRefused, FAILED),
    (MailConfigError, MISCONFIGURED),
)


@dataclass(frozen=True)
class Letter:
    """What one mail says and to whom; ``send_mail`` adds the site's name, the frame and the headers.

    ``to`` must be a checked address (never raw form input). A mail of the digest list passes
    ``unsubscribe_url`` (its one-click link: the ``List-Unsubscribe`` header and the footer) and
    ``manage_url`` in ``values``; a transactional mail the member asked for passes neither.
    ``message_id`` defaults to a fresh random one; a mail that may be sent again (a digest) passes
    its own, so every copy carries the same.
    """

    template: str
    to: str
    values: Mapping = field(default_factory=dict)
    unsubscribe_url: str | None = None
    message_id: str | None = None
    list_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    status: str
    error: MailError | None = None

    @property
    def sent(self) -> bool:
        return self.status == SENT


def list_unsubscribe(settings: Settings, unsubscribe_url: str) -> list[str]:
    """What ``List-Unsubscribe`` lists: the one-click https URL, and mailto: when configured."""
    targets = [unsubscribe_url]
    if settings.mail_unsubscribe_mailto:
        targets.append(f"mailto:{settings.mail_unsubscribe_mailto}?subject=unsubscribe")
    return targets


def render_mail(ctx: AppContext, letter: Letter) -> OutgoingMail:
    """The finished message of ``letter``: its template trio inside the layout, with its headers."""
    settings = ctx.settings
    rendered = mail_templates().render(
        letter.template,
        {
            "site_name": settings.site_name,
            "base_url": settings.resolved_base_url,
            "email": letter.to,
            "unsubscribe_url": letter.unsubscribe_url,
            **letter.values,
        },
    )
    return compose(
        rendered,
        sender=settings.mail_from,
        recipient=letter.to,
        message_id=letter.message_id or f"<{letter.template}.{secrets.token_hex(12)}@{sender_domain(settings.mail_from)}>",
        unsubscribe_urls=list_unsubscribe(settings, letter.unsubscribe_url) if letter.unsubscribe_url else [],
        list_id=letter.list_id,
    )


def send_mail(ctx: AppContext, letter: Letter, *, connection: MailConnection | None = None) -> Delivery:
    """Render ``letter`` and send it on ``connection`` (a batch's), else on a connection of its own.

    Never raises a mail failure: it comes back as the delivery's status (see the module's notes).
    """
    mail = render_mail(ctx, letter)
    try:
        if connection is not None:
            connection.send(mail)
        else:
            with ctx.mail_sender.connect() as own:
                own.send(mail)
    except MailError as error:
        status = next((status for kind, status in _STATUS if isinstance(error, kind)), FAILED)
        level = logging.ERROR if status in (FAILED, MISCONFIGURED) else logging.WARNING
        log.log(level, "%s mail to %s %s: %s", letter.template, letter.to, status.replace("_", " "), error)
        return Delivery(status, error)
    return Delivery(SENT)

"""Subscribing to the trending digest from the site banner.

The address is stored as *pending* now; the digest issue sends the double opt-in mail and
confirms it. The answer is the same for a new and a known address, so the form cannot be used
to find out who is subscribed.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperboard.adapters.store.subscriptions import add_subscription
from paperboard.domain.email_address import InvalidEmail, normalise_email
from paperboard.errors import UserError
from paperboard.services.context import AppContext


@dataclass(frozen=True)
class Subscribed:
    email: str
    created: bool


def subscribe(ctx: AppContext, raw_email: str, *, source: str = "banner") -> Subscribed:
    """Store the address (idempotent); UserError with the reason when it is not an address."""
    try:
        email = normalise_email(raw_email)
    except InvalidEmail as error:
        raise UserError(f"Not a usable email address: {error}") from None
    with ctx.database.write() as connection:
        created = add_subscription(connection, email, source=source)
    return Subscribed(email, created)

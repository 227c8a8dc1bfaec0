"""Subscribing to the digest: double opt-in, signed links, preferences, one-click unsubscribe.

``subscribe`` stores the address as *pending* and records that a confirmation mail is owed; it
sends nothing. The mail leaves from :func:`send_confirmation` after that transaction committed:
the web route schedules it to run once the response has gone, and the scheduled job
(:func:`send_owed_confirmations`) picks up anything a crashed process left. The answer is the same
for a new and a known address, so the form cannot tell anyone who is subscribed, and a second
request within ``RESEND_AFTER`` sends no second mail. Requests are rate limited per IP and per
address, so the form cannot be used to flood a mailbox or to mail a thousand strangers.

Links in mail carry a token signed with the site's secret (itsdangerous), made for one purpose:
``confirm`` (expires after ``mail_confirm_hours``), ``manage`` and ``unsubscribe`` (no expiry: an
unsubscribe link in an old mail must keep working). A token for one purpose is refused for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from paperboard.adapters.mail.sender import MailConnection
from paperboard.adapters.store import digests as digest_store
from paperboard.adapters.store import subscriptions as store
from paperboard.domain.digest import FREQUENCIES, InvalidTopics, Topics, email_from_payload, parse_topics, token_payload, topics_from_json
from paperboard.domain.email_address import InvalidEmail, normalise_email
from paperboard.domain.query import QueryError, parse_query
from paperboard.errors import UserError
from paperboard.services import ratelimit
from paperboard.services.context import AppContext
from paperboard.services.mail import BOUNCED, DEFERRED, Letter, send_mail
from paperboard.services.site_secret import site_secret
from paperboard.settings import Settings

RESEND_AFTER = timedelta(minutes=15)
CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"


class InvalidLink(UserError):
    """A link from a mail that is damaged, expired, or made for something else."""


@dataclass(frozen=True)
class Subscribed:
    email: str
    created: bool
    confirmation_owed: bool = False



# -- signed links -------------------------------------------------------------------------------
def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    # The same secret as the web's CSRF and session signers, so every process of a site agrees.
    return URLSafeTimedSerializer(site_secret(settings), salt=f"paperboard.mail.{purpose}")


def make_token(settings: Settings, purpose: str, email: str) -> str:
    return _serializer(settings, purpose).dumps(token_payload(purpose, email))


def read_token(settings: Settings, purpose: str, token: str) -> str:
    """The address a token of ``purpose`` names, or InvalidLink saying what is wrong with it."""
    max_age = settings.mail_confirm_hours * 3600 if purpose == CONFIRM else None
    try:
        payload = _serializer(settings, purpose).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InvalidLink(
            f"This confirmation link has expired (they work for {settings.mail_confirm_hours} hours). "
            "Subscribe again to get a fresh one."
        ) from None
    except BadSignature:
        raise InvalidLink("This link is damaged or was not made by this site. Copy the whole link from the mail.") from None
    email = email_from_payload(payload, purpose)
    if email is None:
        raise InvalidLink("This link was made for something else.")
    return email


def link(settings: Settings, purpose: str, email: str) -> str:
    paths = {CONFIRM: "/subscription/confirm/", MANAGE: "/subscription/manage/", UNSUBSCRIBE: "/unsubscribe/"}
    return settings.resolved_base_url + paths[purpose] + make_token(settings, purpose, email)


# -- subscribe and confirm ----------------------------------------------------------------------
def subscribe(
    ctx: AppContext, raw_email: str, *, ip: str | None = None, source: str = "banner", now: datetime | None = None
) -> Subscribed:
    """Store the address as pending (idempotent) and owe it a confirmation mail.

    UserError with the reason when the text is not one deliverable address (line breaks, several
    addresses, display names and the like are refused here, before they can reach a header).
    RateLimited past ``rate_limit_subscribe_ip`` requests from ``ip`` (when the request came over
    the web) or ``rate_limit_subscribe_address`` requests for the address: every request counts,
    so an address can be sent at most that many confirmations a window, whoever asks.
    """
    if ip is not None:
        ratelimit.check(ctx, "subscribe_ip", ip, now=now)
    try:
        email = normalise_email(raw_email)
    except InvalidEmail as error:
        raise UserError(f"Not a usable email address: {error}") from None
    ratelimit.check(ctx, "subscribe_address", email, now=now)
    now = now or ctx.now()
    with ctx.database.write() as connection:
        created = store.add_subscription(connection, email, source=source)
        owed = store.request_confirmation(connection, email, now=now, resend_before=now - RESEND_AFTER)
    return Subscribed(email, created, owed)


def send_confirmation(ctx: AppContext, email: str, *, outbox: MailConnection | None = None, now: datetime | None = None) -> bool:
    """Send the owed confirmation mail of ``email`` once; True when it left.

    Claim (commit) first, then send: a crash after the claim loses that one mail rather than
    sending it twice; the person can ask again from the form. A temporary failure releases the
    claim for the scheduled job to retry; a permanent refusal of the address marks it bouncing.
    """
    settings = ctx.settings
    now = now or ctx.now()
    with ctx.database.write() as connection:
        claimed = store.claim_confirmation(connection, email, now)
    if not claimed:
        return False
    letter = Letter(
        "confirm",
        email,
        {"confirm_url": link(settings, CONFIRM, email), "manage_url": link(settings, MANAGE, email), "valid_hours": settings.mail_confirm_hours},
        unsubscribe_url=link(settings, UNSUBSCRIBE, email),
    )
    delivery = send_mail(ctx, letter, connection=outbox)
    if delivery.status == DEFERRED:
        with ctx.database.write() as connection:
            store.release_confirmation(connection, email)
    elif delivery.status == BOUNCED:
        with ctx.database.write() as connection:
            store.record_bounce(connection, email, str(delivery.error))
    return delivery.sent


def send_owed_confirmations(ctx: AppContext, *, now: datetime | None = None) -> str | None:
    """The scheduled sweep: every confirmation still owed whose link would still work."""
    now = now or ctx.now()
    with ctx.database.read() as connection:
        owed = store.confirmations_owed(connection, now - timedelta(hours=ctx.settings.mail_confirm_hours))
    if not owed:
        return None
    with ctx.mail_sender.connect() as outbox:
        sent = sum(send_confirmation(ctx, email, outbox=outbox, now=now) for email in owed)
    return f"{sent} of {len(owed)} owed confirmation mails sent"


@dataclass(frozen=True)
class LinkTarget:
    """Who a link is for and where their subscription stands (for pages shown on GET)."""

    email: str
    status: str | None
    frequency: str = "daily"
    topics: Topics = Topics()
    bouncing: bool = False


def inspect_link(ctx: AppContext, purpose: str, token: str) -> LinkTarget:
    """Check a link and describe its subscription; changes nothing (for GET)."""
    email = read_token(ctx.settings, purpose, token)
    with ctx.database.read() as connection:
        return _target(connection, email)


def _target(connection, email: str) -> LinkTarget:
    subscriber = digest_store.get_subscriber(connection, email)
    if subscriber is None:
        return LinkTarget(email, None)
    return LinkTarget(email, subscriber.status, subscriber.frequency, topics_from_json(subscriber.topics), subscriber.bouncing)


def confirm(ctx: AppContext, token: str) -> LinkTarget:
    """Confirm the address a confirm link names (a no-op when already confirmed)."""
    email = read_token(ctx.settings, CONFIRM, token)
    with ctx.database.write() as connection:
        before = store.confirm(connection, email, ctx.now())
        target = _target(connection, email)
    if before is None:
        raise InvalidLink("This address is no longer on the list. Subscribe again from the site.")
    if before == store.UNSUBSCRIBED:
        raise InvalidLink("This address was unsubscribed after the link was sent. Subscribe again from the site.")
    return target


def update_preferences(ctx: AppContext, token: str, *, frequency: str, categories: str, searches: str) -> LinkTarget:
    email = read_token(ctx.settings, MANAGE, token)
    if frequency not in FREQUENCIES:
        raise UserError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    try:
        topics = parse_topics(categories, searches)
    except InvalidTopics as error:
        raise UserError(str(error)) from None
    for search in topics.searches:
        try:
            parse_query(search)
        except QueryError as error:
            raise UserError(f"the saved search “{search}” cannot be run: {error}") from None
    with ctx.database.write() as connection:
        if not store.save_preferences(connection, email, frequency=frequency, topics=topics.as_json()):
            raise InvalidLink("This address is no longer on the list. Subscribe again from the site.")
        return _target(connection, email)


def unsubscribe(ctx: AppContext, token: str) -> str:
    """Stop every mail to the address an unsubscribe link names; the address. Idempotent."""
    email = read_token(ctx.settings, UNSUBSCRIBE, token)
    with ctx.database.write() as connection:
        store.unsubscribe(connection, email, ctx.now())
    return email

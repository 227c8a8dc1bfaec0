"""The subscribe form cannot be turned into a mail cannon: per-IP and per-address limits, counted
against the confirmation mails the real SMTP sink actually received."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from paperboard.services import subscriptions
from paperboard.services.ratelimit import RateLimited
from tests.factories import csrf_token
from tests.mail.conftest import BASE_URL


def _post(site: TestClient, token: str, email: str):
    return site.post("/subscribe", data={"email": email, "csrf_token": token})


def test_a_thousand_requests_from_one_ip_get_429_after_the_limit_and_mail_only_that_many(ctx, site, sink):
    limit = int(ctx.settings.rate_limit_subscribe_ip.split("/")[0])
    token = csrf_token(site)
    statuses = [_post(site, token, f"stranger{n}@example.org").status_code for n in range(1000)]
    assert statuses[:limit] == [200] * limit
    assert set(statuses[limit:]) == {429}
    refused = _post(site, token, "one-more@example.org")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many subscribe requests from your network" in refused.text
    # The background sends ran with each response; the sweep finds nothing more owed.
    assert subscriptions.send_owed_confirmations(ctx) is None
    assert sorted(sink.recipients()) == sorted(f"stranger{n}@example.org" for n in range(limit))


def test_one_address_gets_a_few_confirmations_a_day_whoever_asks(ctx, sink):
    limit = int(ctx.settings.rate_limit_subscribe_address.split("/")[0])
    start = datetime.now().replace(hour=0, minute=1)
    sent = 0
    for n in range(20):  # every 16 minutes from a new address each time, so the resend pause never holds it back
        now = start + timedelta(minutes=16 * n)
        try:
            result = subscriptions.subscribe(ctx, "Victim@Example.org", ip=f"10.0.{n}.1", now=now)
        except RateLimited as error:
            assert "subscribe requests for this address" in str(error)
            continue
        sent += subscriptions.send_confirmation(ctx, result.email, now=now)
    assert sent == limit
    assert len(sink.to("victim@example.org")) == limit
    # Another address is not held back by the victim's count.
    assert subscriptions.subscribe(ctx, "someone-else@example.org", ip="10.9.9.9", now=start).confirmation_owed


def test_the_subscribe_limiters_fail_closed(ctx, site, sink):
    with ctx.database.write() as connection:
        connection.execute(text("DROP TABLE rate_limit_hits"))
    response = _post(site, csrf_token(site), "closed@example.org")
    assert response.status_code == 503  # the site could not count: not a rate limit the visitor hit
    assert sink.messages() == []


@pytest.fixture
def unlimited_site(ctx):
    from paperboard.services.context import AppContext
    from paperboard.settings import Settings
    from paperboard.web.app import create_app

    settings = Settings(**{**ctx.settings.model_dump(), "rate_limit_subscribe_ip": "off", "rate_limit_subscribe_address": "off"})
    with TestClient(create_app(AppContext(settings)), base_url=BASE_URL) as client:
        yield client


def test_off_switches_the_subscribe_limits_off(unlimited_site, sink):
    token = csrf_token(unlimited_site)
    assert {_post(unlimited_site, token, f"reader{n}@example.org").status_code for n in range(30)} == {200}
    assert len(sink.messages()) == 30

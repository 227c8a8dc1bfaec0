"""From the banner to the inbox and back: every link is taken from a mail the real SMTP sink
received and followed against the app (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from paperboard.adapters.store import digests as store
from paperboard.adapters.store import subscriptions as subscription_store
from paperboard.services import subscriptions
from paperboard.services.digest import send_digests
from paperboard.settings import Settings
from tests.factories import csrf_token
from tests.mail.conftest import BASE_URL, DAY, NEXT_DAY, XSS_TITLE, links, list_unsubscribe_urls, parts


def _status(ctx, email):
    with ctx.database.read() as connection:
        subscriber = store.get_subscriber(connection, email)
    return None if subscriber is None else subscriber.status


def _subscribe(site: TestClient, email: str):
    return site.post("/subscribe", data={"email": email, "csrf_token": csrf_token(site)})


def test_subscribe_confirm_manage_digest_and_one_click_unsubscribe(ctx, site, sink):
    response = _subscribe(site, " Reader@Example.org ")
    assert response.status_code == 200 and "reader@example.org" in response.text
    (confirmation,) = sink.to("reader@example.org")
    assert confirmation["Subject"] == "Confirm your subscription to paperboard"
    assert confirmation["To"] == "reader@example.org"
    text, html = parts(confirmation)
    (confirm_url,) = set(links(text, "/subscription/confirm/"))
    assert confirm_url in html

    # Opening the link changes nothing (mail scanners open links); the button does.
    page = site.get(confirm_url)
    assert page.status_code == 200 and "Yes, confirm my address" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert _status(ctx, "reader@example.org") == "pending"
    confirmed = site.post(confirm_url, data={"csrf_token": csrf_token(site, confirm_url)}, follow_redirects=True)
    assert confirmed.status_code == 200 and "Your address is confirmed" in confirmed.text
    assert _status(ctx, "reader@example.org") == "confirmed"
    manage_url = str(confirmed.url)

    saved = site.post(
        manage_url.split("?")[0],
        data={"frequency": "daily", "categories": "cs.cl", "searches": "", "csrf_token": csrf_token(site, manage_url)},
    )
    assert saved.status_code == 200 and "Saved" in saved.text and 'value="cs.CL"' in saved.text

    report = send_digests(ctx, "daily", day=DAY)
    assert (report.sent, report.considered) == (1, 1)
    (digest,) = [m for m in sink.to("reader@example.org") if m is not confirmation and "Confirm" not in m["Subject"]]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest["Message-ID"].startswith("<digest.daily.2026-04-14.")
    text, html = parts(digest)
    assert "Trending" in text and "New in cs.CL" in text and "We propose method 1, which works." in text
    assert f"{BASE_URL}/papers/2604.10001" in text and f'href="{BASE_URL}/papers/2604.10001"' in html
    assert XSS_TITLE in text and "<script>" not in html and "&lt;script&gt;" in html
    assert "code</a> (&#9733;" not in html  # no stars are known in this database: none are made up
    assert "https://github.com/example/repo0" in html

    # The preferences link of the digest works without a login.
    (digest_manage,) = set(links(text, "/subscription/manage/"))
    assert "cs.CL" in site.get(digest_manage).text

    # One-click: a mail client POSTs to the header's https URL with no cookie and no CSRF token.
    (https_url,) = [u for u in list_unsubscribe_urls(digest) if u.startswith("https://")]
    assert https_url in text
    mail_client = TestClient(site.app, base_url=BASE_URL)
    assert mail_client.get(https_url).status_code == 200
    assert _status(ctx, "reader@example.org") == "confirmed"  # GET only asks
    response = mail_client.post(
        https_url, content="List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert _status(ctx, "reader@example.org") == "unsubscribed"
    assert mail_client.post(https_url).status_code == 200  # again: still fine, still unsubscribed

    before = len(sink.messages())
    assert send_digests(ctx, "daily", day=NEXT_DAY).considered == 0
    assert len(sink.messages()) == before


def test_the_mailto_unsubscribe_is_listed_when_configured(tmp_path, database_url, sink):
    from paperboard.services.context import AppContext
    from tests.mail.conftest import add_subscribers, seed_papers, settings_for

    ctx = AppContext(settings_for(tmp_path / "home", database_url, sink, mail_unsubscribe_mailto="unsubscribe@papers.example.org"))
    ctx.migrate()
    seed_papers(ctx.database)
    add_subscribers(ctx, ["a@example.org"])
    send_digests(ctx, "daily", day=DAY)
    (digest,) = sink.to("a@example.org")
    urls = list_unsubscribe_urls(digest)
    assert urls[0].startswith(f"{BASE_URL}/unsubscribe/") and urls[1] == "mailto:unsubscribe@papers.example.org?subject=unsubscribe"


BAD_ADDRESSES = [
    "reader@example.org\r\nBcc: victim@example.org",
    "reader@example.org\nBcc: victim@example.org",
    "reader@example.org, victim@example.org",
    "Reader <reader@example.org>",
    "reader@example.org%0d%0abcc:victim@example.org",
    "not an address",
    "reader@@example.org",
    "a" * 250 + "@example.org",
]


def test_bad_addresses_and_header_injection_are_refused_at_subscribe_time(ctx, site, sink):
    for email in BAD_ADDRESSES:
        response = _subscribe(site, email)
        assert response.status_code == 400, email
    with ctx.database.read() as connection:
        assert store.count_due(connection, "daily", "daily:2026-04-14") == 0
        assert subscription_store.confirmations_owed(connection, datetime(2000, 1, 1)) == []
    assert sink.messages() == []


def test_subscribing_twice_sends_one_confirmation_and_reveals_nothing(ctx, site, sink):
    first, second = _subscribe(site, "twice@example.org"), _subscribe(site, "TWICE@example.org")
    assert first.status_code == second.status_code == 200
    assert re.sub(r"csrf_token\" value=\"[^\"]+", "", first.text) == re.sub(r"csrf_token\" value=\"[^\"]+", "", second.text)
    assert len(sink.to("twice@example.org")) == 1


def test_a_crashed_confirmation_is_swept_later_and_only_once(ctx, sink):
    subscriptions.subscribe(ctx, "later@example.org")
    assert subscriptions.send_owed_confirmations(ctx) == "1 of 1 owed confirmation mails sent"
    assert subscriptions.send_owed_confirmations(ctx) is None
    assert len(sink.to("later@example.org")) == 1


def test_a_bouncing_confirmation_marks_the_address(ctx, sink):
    sink.handler.refuse_rcpt["nobody@example.org"] = "550 5.1.1 user unknown"
    subscriptions.subscribe(ctx, "nobody@example.org")
    assert subscriptions.send_confirmation(ctx, "nobody@example.org") is False
    with ctx.database.read() as connection:
        assert store.get_subscriber(connection, "nobody@example.org").bouncing


def test_links_are_single_purpose_signed_and_confirm_links_expire(ctx, site, monkeypatch):
    subscriptions.subscribe(ctx, "links@example.org")
    manage = subscriptions.make_token(ctx.settings, "manage", "links@example.org")
    assert site.post(f"/unsubscribe/{manage}").status_code == 400  # a manage token cannot unsubscribe
    assert site.get(f"/subscription/confirm/{manage}").status_code == 400
    tampered = manage[:-2] + ("AA" if not manage.endswith("AA") else "BB")
    assert "damaged" in site.get(f"/subscription/manage/{tampered}").text
    other_site = Settings(**{**ctx.settings.model_dump(), "secret_key": "another-secret-key-of-enough-length-here"})
    foreign = subscriptions.make_token(other_site, "unsubscribe", "links@example.org")
    assert site.post(f"/unsubscribe/{foreign}").status_code == 400
    assert _status(ctx, "links@example.org") == "pending"

    import itsdangerous.timed

    old = int((datetime.now() - timedelta(hours=ctx.settings.mail_confirm_hours + 1)).timestamp())
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: old)
    expired = subscriptions.make_token(ctx.settings, "confirm", "links@example.org")
    monkeypatch.undo()
    response = site.get(f"/subscription/confirm/{expired}")
    assert response.status_code == 400 and "expired" in response.text


def test_preferences_refuse_bad_input_and_keep_what_was_stored(ctx, site):
    subscriptions.subscribe(ctx, "prefs@example.org")
    url = "/subscription/manage/" + subscriptions.make_token(ctx.settings, "manage", "prefs@example.org")
    token = csrf_token(site, url)
    ok = site.post(url, data={"frequency": "weekly", "categories": "cs.LG", "searches": "graph networks", "csrf_token": token})
    assert ok.status_code == 200
    bad = site.post(url, data={"frequency": "weekly", "categories": "not a category!", "searches": "", "csrf_token": token})
    assert bad.status_code == 400 and "not an arXiv category" in bad.text
    hourly = site.post(url, data={"frequency": "hourly", "categories": "", "searches": "", "csrf_token": token})
    assert hourly.status_code == 400
    forged = site.post(url, data={"frequency": "daily", "categories": "", "searches": ""})
    assert forged.status_code == 403
    with ctx.database.read() as connection:
        stored = store.get_subscriber(connection, "prefs@example.org")
    assert (stored.frequency, stored.topics) == ("weekly", {"categories": ["cs.LG"], "searches": ["graph networks"]})


def test_dev_mail_lists_the_sink_only_when_switched_on(ctx, site, sink, tmp_path):
    from paperboard.services.context import AppContext
    from paperboard.web.app import create_app

    assert site.get("/dev/mail").status_code == 404
    settings = Settings(**{**ctx.settings.model_dump(), "mail_dev_view": True, "home": tmp_path / "dev-home"})
    settings.mail_sink_dir.mkdir(parents=True)
    for raw in [b"Delivered-To: x@example.org\r\nSubject: Hello <b>there</b>\r\n\r\nbody\r\n"]:
        (settings.mail_sink_dir / "0000000000000000001-00000000.eml").write_bytes(raw)
    with TestClient(create_app(AppContext(settings)), base_url=BASE_URL) as dev:
        listing = dev.get("/dev/mail")
        assert listing.status_code == 200 and "Hello &lt;b&gt;there&lt;/b&gt;" in listing.text
        assert "body" in dev.get("/dev/mail/0000000000000000001-00000000.eml").text
        assert dev.get("/dev/mail/..%2F..%2Fsecret_key").status_code == 404

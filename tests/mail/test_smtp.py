"""The SMTP sender against a real aiosmtpd server on 127.0.0.1: delivery, TLS, AUTH, and each
kind of failure placed where the caller can act on it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import smtplib
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from paperboard.adapters.mail.compose import RenderedMail, compose
from paperboard.adapters.mail.console import ConsoleSender
from paperboard.adapters.mail.sender import (
    MailConfigError,
    MailInDoubt,
    MessageRefused,
    RecipientRefused,
    TemporaryMailError,
)
from paperboard.adapters.mail.sink import MailFolder
from paperboard.adapters.mail.smtp import SmtpConnection, SmtpSender
from tests.mail.conftest import ScriptedHandler, free_port, parse, parts


def _mail(recipient: str = "reader@example.org", text: str = "Hello.\n.a line that starts with a dot\n"):
    return compose(
        RenderedMail("A subject", text, "<p>Hello.</p>\n"),
        sender="paperboard <digest@papers.example.org>",
        recipient=recipient,
        message_id="<one@papers.example.org>",
        unsubscribe_urls=["https://papers.example.org/unsubscribe/abc"],
    )


def _sender(port: int, **options) -> SmtpConnection:
    return SmtpSender(host="127.0.0.1", port=port, timeout=10, **options).connect()


def test_delivers_over_one_connection_and_keeps_dotted_lines(sink):
    with _sender(sink.port) as sender:
        for n in range(3):
            sender.send(_mail(f"reader{n}@example.org"))
    assert sink.recipients() == ["reader0@example.org", "reader1@example.org", "reader2@example.org"]
    text, html = parts(sink.messages()[0])
    assert text == "Hello.\n.a line that starts with a dot\n" and html == "<p>Hello.</p>\n"


def test_an_internationalised_address_goes_with_smtputf8(sink):
    with _sender(sink.port) as sender:
        sender.send(_mail("lésa@exämple.org"))
    assert sink.recipients() == ["lésa@exämple.org"]


def test_permanent_refusal_at_rcpt_is_a_bounce_and_the_connection_goes_on(sink):
    sink.handler.refuse_rcpt["gone@example.org"] = "550 5.1.1 no such user"
    with _sender(sink.port) as sender:
        with pytest.raises(RecipientRefused, match="550"):
            sender.send(_mail("gone@example.org"))
        sender.send(_mail("here@example.org"))
    assert sink.recipients() == ["here@example.org"]


def test_temporary_replies_are_temporary(sink):
    sink.handler.refuse_rcpt["busy@example.org"] = "450 4.2.1 mailbox busy"
    sink.handler.data_replies["later@example.org"].append("451 4.3.0 try again later")
    with _sender(sink.port) as sender:
        with pytest.raises(TemporaryMailError, match="450"):
            sender.send(_mail("busy@example.org"))
        with pytest.raises(TemporaryMailError, match="451"):
            sender.send(_mail("later@example.org"))
        sender.send(_mail("later@example.org"))
    assert sink.recipients() == ["later@example.org"]


class _NoPipelining(ScriptedHandler):
    """A relay that does not offer PIPELINING: the sender must wait for each reply."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses


def test_the_sink_offers_pipelining(sink):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("pipelining")


def test_a_relay_without_pipelining_gets_one_command_at_a_time(tmp_path):
    folder = MailFolder(tmp_path / "plain-sink")
    handler = _NoPipelining(folder)
    handler.refuse_rcpt["gone@example.org"] = "550 5.1.1 no such user"
    server = Controller(handler, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        with _sender(server.port) as sender:
            sender.send(_mail("first@example.org"))
            with pytest.raises(RecipientRefused, match="550"):
                sender.send(_mail("gone@example.org"))
            sender.send(_mail("second@example.org"))
    finally:
        server.stop()
    assert [m["Delivered-To"] for m in folder.messages()] == ["first@example.org", "second@example.org"]
    assert parts(folder.messages()[0])[0] == "Hello.\n.a line that starts with a dot\n"


def test_a_refused_sender_address_is_a_settings_problem_and_sends_nothing(sink):
    with _sender(sink.port) as sender, pytest.raises(MailConfigError, match="MAIL FROM"):
        sender.send(dataclasses.replace(_mail(), sender="no-domain@"))
    assert sink.recipients() == []


def test_permanent_refusal_of_the_message_is_not_a_bounce(sink):
    sink.handler.data_replies["reader@example.org"].append("554 5.6.0 message refused")
    with _sender(sink.port) as sender, pytest.raises(MessageRefused, match="554"):
        sender.send(_mail())


def test_no_server_is_temporary():
    with _sender(free_port()) as sender, pytest.raises(TemporaryMailError, match="cannot reach"):
        sender.send(_mail())


def test_a_connection_lost_after_the_whole_message_is_in_doubt(sink):
    sink.handler.drop_after_data.add("reader@example.org")
    with _sender(sink.port) as sender:
        with pytest.raises(MailInDoubt):
            sender.send(_mail())
        sender.send(_mail("next@example.org"))  # reconnects by itself
    assert sink.recipients() == ["reader@example.org", "next@example.org"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, and a client context that trusts only it."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_server(tmp_path, certificate):
    """Two real servers: STARTTLS with AUTH required, and implicit TLS."""
    server_context, _ = certificate
    folder = MailFolder(tmp_path / "tls-sink")
    starttls = Controller(
        ScriptedHandler(folder), hostname="127.0.0.1", port=free_port(), tls_context=server_context,
        require_starttls=True, auth_required=True, authenticator=_authenticator,
    )
    implicit = Controller(ScriptedHandler(folder), hostname="127.0.0.1", port=free_port(), ssl_context=server_context)
    starttls.start()
    implicit.start()
    yield starttls.port, implicit.port, folder
    starttls.stop()
    implicit.stop()


def test_starttls_with_login(tls_server, certificate):
    starttls_port, _, folder = tls_server
    _, client_context = certificate
    with _sender(starttls_port, security="starttls", username="digest", password="s3cret", tls_context=client_context) as sender:
        sender.send(_mail())
    assert [m["Delivered-To"] for m in folder.messages()] == ["reader@example.org"]


def test_a_wrong_password_is_a_settings_problem(tls_server, certificate):
    starttls_port, _, _ = tls_server
    with _sender(starttls_port, security="starttls", username="digest", password="nope", tls_context=certificate[1]) as sender:
        with pytest.raises(MailConfigError, match="login"):
            sender.send(_mail())


def test_plain_connection_to_a_server_that_demands_tls_is_refused(tls_server):
    starttls_port, _, _ = tls_server
    with _sender(starttls_port, username="digest", password="s3cret") as sender, pytest.raises(MailConfigError):
        sender.send(_mail())


def test_implicit_tls(tls_server, certificate):
    _, implicit_port, folder = tls_server
    with _sender(implicit_port, security="tls", tls_context=certificate[1]) as sender:
        sender.send(_mail())
    assert len(folder.messages()) == 1


def test_an_untrusted_certificate_is_a_settings_problem(tls_server):
    _, implicit_port, _ = tls_server
    with _sender(implicit_port, security="tls") as sender, pytest.raises(MailConfigError, match="certificate"):
        sender.send(_mail())


def test_console_sender_prints_headers_and_text(capsys):
    with ConsoleSender() as sender:
        sender.send(_mail())
    out = capsys.readouterr().out
    assert "To: reader@example.org" in out and "List-Unsubscribe: <https://papers.example.org/unsubscribe/abc>" in out
    assert ".a line that starts with a dot" in out


def test_the_sink_keeps_the_message_as_sent(sink):
    mail = _mail()
    with _sender(sink.port) as sender:
        sender.send(mail)
    (stored,) = sink.raw()
    assert stored == b"Delivered-To: reader@example.org\r\n" + mail.data
    assert parse(stored)["Message-ID"] == "<one@papers.example.org>"
    assert sink.folder.raw("../../etc/passwd") is None

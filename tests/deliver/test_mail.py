"""SMTP delivery against a real aiosmtpd server on loopback: TLS, login, retries, refusals."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from papersift.deliver.mail import (
    MailConfigError,
    Mailer,
    PermanentMailError,
    SmtpConfig,
    TransientMailError,
    send_with_retry,
)
from tests.deliver.fixtures import SmtpServer, free_port, run_server, self_signed


def message(to: str = "ada@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "papersift@example.org", to, "hello"
    msg.set_content("body")
    return msg


def config(port: int, **kw: object) -> SmtpConfig:
    base = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "user": None,
        "password": None,
        "mail_from": "papersift@example.org",
        "timeout": 10.0,
    }
    return SmtpConfig(**{**base, **kw})  # type: ignore[arg-type]


def test_plain_loopback_send(smtp: SmtpServer) -> None:
    with Mailer(config(smtp.port)) as mailer:
        assert send_with_retry(mailer, message(), sleep=lambda s: None) == 1
    assert smtp.envelopes == [("papersift@example.org", ["ada@example.org"])]
    assert smtp.received[0]["Subject"] == "hello"


def test_starttls_with_login_and_verified_certificate(tmp_path: Path) -> None:
    cert, context = self_signed(tmp_path)
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        assert isinstance(auth_data, LoginPassword)
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (auth_data.login, auth_data.password))
        logins.append((login, password))
        return AuthResult(success=password == "s3cret", handled=False)

    for server in run_server(
        SmtpServer(free_port()),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    ):
        cfg = config(server.port, security="starttls", user="mailer", password="s3cret", cafile=str(cert))
        with Mailer(cfg) as mailer:
            send_with_retry(mailer, message(), sleep=lambda s: None)
        assert len(server.received) == 1 and logins == [("mailer", "s3cret")]
        with pytest.raises(MailConfigError, match="login refused"):
            Mailer(config(server.port, security="starttls", user="mailer", password="wrong", cafile=str(cert))).check()
        with pytest.raises(MailConfigError, match="certificate could not be verified"):
            Mailer(config(server.port, security="starttls")).check()  # system CAs do not know it


def test_implicit_tls_ssl_with_login_and_verified_certificate(tmp_path: Path) -> None:
    """smtp_security = "ssl": TLS from the first byte (port-465 style) against a real implicit-TLS
    aiosmtpd server with a self-signed certificate, login inside the TLS session."""
    cert, context = self_signed(tmp_path)
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        assert server.transport.get_extra_info("ssl_object") is not None  # the login travels inside TLS
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (auth_data.login, auth_data.password))
        logins.append((login, password))
        return AuthResult(success=password == "s3cret", handled=False)

    # aiosmtpd's auth_require_tls only recognises STARTTLS, so the authenticator checks the TLS itself
    for server in run_server(
        SmtpServer(free_port()), ssl_context=context, authenticator=authenticator, auth_require_tls=False
    ):
        cfg = config(server.port, security="ssl", user="mailer", password="s3cret", cafile=str(cert))
        with Mailer(cfg) as mailer:
            assert send_with_retry(mailer, message(), sleep=lambda s: None) == 1
        assert [m["Subject"] for m in server.received] == ["hello"] and logins == [("mailer", "s3cret")]
        with pytest.raises(MailConfigError, match="login refused"):
            Mailer(config(server.port, security="ssl", user="mailer", password="wrong", cafile=str(cert))).check()
        with pytest.raises(MailConfigError, match="certificate could not be verified"):
            Mailer(config(server.port, security="ssl")).check()  # system CAs do not know it
        assert len(server.received) == 1


def test_starttls_is_never_silently_dropped(smtp: SmtpServer) -> None:
    with pytest.raises(MailConfigError, match="does not offer STARTTLS; refusing to send in plaintext"):
        Mailer(config(smtp.port, security="starttls")).send_once(message())
    assert smtp.data_calls == 0


@pytest.mark.parametrize(
    "kw, error",
    [
        ({"host": None}, "no SMTP server configured"),
        ({"mail_from": "not an address"}, "not a valid sender address"),
        ({"user": "u"}, "both smtp_user and smtp_password"),
        ({"host": "smtp.example.org", "user": "u", "password": "p"}, "refusing to send the SMTP password unencrypted"),
    ],
)
def test_unusable_settings_are_rejected_before_connecting(kw: dict, error: str) -> None:
    with pytest.raises(MailConfigError, match=error):
        Mailer(config(25, **kw))


@pytest.mark.parametrize("failure", ["421 4.3.2 try again later", "drop"])
def test_transient_failures_are_retried_with_backoff(smtp: SmtpServer, failure: str) -> None:
    smtp.plan = [failure, failure]
    sleeps: list[float] = []
    counted: list[int] = []
    with Mailer(config(smtp.port)) as mailer:
        used = send_with_retry(
            mailer, message(), attempts=3, backoff=2.0, sleep=sleeps.append, before_attempt=lambda: counted.append(1)
        )
    assert used == 3 and len(counted) == 3 and sleeps == [2.0, 4.0]
    assert smtp.data_calls == 3 and len(smtp.received) == 1


def test_permanent_refusal_is_not_retried(smtp: SmtpServer) -> None:
    smtp.plan = ["550 5.1.1 no such mailbox"]
    with Mailer(config(smtp.port)) as mailer, pytest.raises(PermanentMailError, match="550"):
        send_with_retry(mailer, message(), attempts=3, sleep=lambda s: None)
    assert smtp.data_calls == 1


def test_refused_connection_gives_up_after_the_attempts() -> None:
    sleeps: list[float] = []
    with Mailer(config(free_port())) as mailer, pytest.raises(TransientMailError):
        send_with_retry(mailer, message(), attempts=2, backoff=1.0, sleep=sleeps.append)
    assert sleeps == [1.0]

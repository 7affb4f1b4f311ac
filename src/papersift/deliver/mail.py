"""SMTP delivery: STARTTLS, implicit TLS or (only when asked for) plaintext, with retries.

Security is never downgraded silently: with `starttls` a server that does not offer STARTTLS
is an error (not a plaintext send), certificates are verified against the system store (or a
given CA file), and a password is never sent over an unencrypted connection to a host other
than loopback. Errors are sorted into three kinds because each calls for different handling:
`MailConfigError` (the settings cannot work: stop the run, keep digests pending),
`TransientMailError` (connection dropped, 4xx: retry with backoff) and `PermanentMailError`
(5xx for this message: do not retry it).
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal

from papersift.config import Settings

Security = Literal["starttls", "ssl", "none"]
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_S = 5.0  # doubled after each failed attempt: 5 s, 10 s
_SENDER = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")  # user@host; "papersift@localhost" is fine here


class MailError(Exception):
    """Base of every delivery error; the message is meant for the operator."""


class MailConfigError(MailError):
    """The SMTP settings cannot work (no host, TLS unavailable or unverifiable, login refused)."""


class TransientMailError(MailError):
    """Worth retrying: connection refused/dropped, timeouts, 4xx replies."""


class PermanentMailError(MailError):
    """The server refused this message for good (5xx): retrying would not help."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int
    security: Security
    user: str | None
    password: str | None
    mail_from: str
    cafile: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> SmtpConfig:
        """Settings (config file / env) with command-line overrides; None overrides are ignored."""
        base = cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            settings.smtp_password,
            settings.mail_from,
        )
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]

    def validate(self) -> None:
        """Reject settings that cannot work before any connection is tried."""
        if not self.host:
            raise MailConfigError("no SMTP server configured: set smtp_host (PAPERSIFT_SMTP_HOST or --smtp-host)")
        if self.security not in ("starttls", "ssl", "none"):
            raise MailConfigError(f"smtp_security must be starttls, ssl or none, not {self.security!r}")
        if not _SENDER.match(parseaddr(self.mail_from)[1]) or "\n" in self.mail_from or "\r" in self.mail_from:
            raise MailConfigError(f"mail_from {self.mail_from!r} is not a valid sender address")
        if bool(self.user) != bool(self.password):
            raise MailConfigError("give both smtp_user and smtp_password, or neither")
        if self.user and self.security == "none" and not _is_loopback(self.host):
            raise MailConfigError(
                f"refusing to send the SMTP password unencrypted to {self.host}; "
                "use smtp_security = 'starttls' or 'ssl'"
            )

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _classify(exc: Exception) -> MailError:
    """Map smtplib/socket/ssl errors onto the three kinds above."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailConfigError(f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailConfigError(f"the SMTP server's TLS certificate could not be verified: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return MailConfigError(f"TLS with the SMTP server failed: {exc}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        kind = TransientMailError if all(400 <= c < 500 for c in codes) else PermanentMailError
        return kind(f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code >= 500:
        return MailConfigError(f"sender {exc.sender} refused: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = PermanentMailError if exc.smtp_code >= 500 else TransientMailError
        return kind(f"SMTP error {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, socket.gaierror):
        return TransientMailError(f"cannot resolve the SMTP host: {exc}")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return TransientMailError(f"{type(exc).__name__}: {exc}")
    raise exc


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Mailer:
    """One SMTP connection, opened on first use and re-opened after an error."""

    def __init__(self, config: SmtpConfig):
        config.validate()
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        assert c.host
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=c.tls_context())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            try:
                smtp.ehlo()
                if c.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise MailConfigError(
                            f"{c.host}:{c.port} does not offer STARTTLS; refusing to send "
                            "in plaintext (set smtp_security = 'none' to allow it)"
                        )
                    smtp.starttls(context=c.tls_context())
                    smtp.ehlo()
                if c.user and c.password:
                    smtp.login(c.user, c.password)
            except BaseException:
                smtp.close()
                raise
        except Exception as exc:  # classified below; unknown kinds are re-raised as they are
            raise _classify(exc) from exc
        return smtp

    def check(self) -> None:
        """Connect, negotiate TLS and log in, then quit: proves the settings work."""
        self._connect().quit()

    def send_once(self, message: EmailMessage) -> None:
        """One attempt; on any error the connection is dropped so the next attempt starts clean."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            # the envelope names the one addressee explicitly: never whatever a To header parses into
            self._smtp.send_message(message, to_addrs=[str(message["To"]).strip()])
        except Exception as exc:
            self.close()
            raise _classify(exc) from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def send_with_retry(
    mailer: Mailer,
    message: EmailMessage,
    *,
    attempts: int = RETRY_ATTEMPTS,
    backoff: float = RETRY_BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
    before_attempt: Callable[[], None] | None = None,
) -> int:
    """Send with exponential backoff on transient errors; returns the attempts used.

    `before_attempt` runs before each attempt (the ledger counts attempts durably there).
    Raises the last TransientMailError when all attempts fail, PermanentMailError and
    MailConfigError at once.
    """
    attempt = 1
    while True:
        if before_attempt:
            before_attempt()
        try:
            mailer.send_once(message)
            return attempt
        except TransientMailError:
            if attempt >= attempts:
                raise
        sleep(backoff * 2 ** (attempt - 1))
        attempt += 1

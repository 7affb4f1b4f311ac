"""A composed digest as an email: plain-text and HTML parts, RFC 8058 unsubscribe headers.

Both parts come from templates under deliver/templates/digest/ (the web preview page includes
the same `sections.html`; the web app adds this folder to its template path). HTML is
autoescaped; the text template is not (it is not HTML) and only ever goes into a text/plain
part. Header values are built from our own strings and validated
addresses only, so paper titles can never inject headers.
"""

from __future__ import annotations

import email.policy
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

import jinja2

from papersift.deliver.digest import Digest
from papersift.deliver.tokens import unsubscribe_token
from papersift.paper import nice_date
from papersift.urls import (
    ACCOUNT_DIGEST,
    DIGEST_ONE_CLICK,
    DIGEST_UNSUBSCRIBE,
    author_url,
    category_url,
    comment_url,
    paper_url,
)

MAIL_TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MAIL_TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(paper_url=paper_url, author_url=author_url, category_url=category_url, comment_url=comment_url)
    env.filters.update(nice_date=nice_date)
    return env


_ENV = _environment()


def unsubscribe_links(base_url: str, secret: bytes, user_id: int, email: str) -> tuple[str, str]:
    """(one-click URL for the List-Unsubscribe header, confirmation page URL for the body)."""
    token = unsubscribe_token(secret, user_id, email)
    base = base_url.rstrip("/")
    return f"{base}{DIGEST_ONE_CLICK}?token={token}", f"{base}{DIGEST_UNSUBSCRIBE}?token={token}"


def render_parts(digest: Digest, base_url: str, unsubscribe_page: str) -> tuple[str, str]:
    """(plain text, HTML) bodies with absolute links."""
    values = {
        "digest": digest,
        "base_url": base_url.rstrip("/"),
        "unsubscribe_url": unsubscribe_page,
        "settings_url": base_url.rstrip("/") + ACCOUNT_DIGEST,
    }
    return (_ENV.get_template("digest/email.txt").render(values), _ENV.get_template("digest/email.html").render(values))


# RFC 5322 allows 998-character lines. At the default 78, the `List-Unsubscribe` URL (one
# unbreakable token) was RFC 2047-encoded to fold it (`=?utf-8?q?=3Chttp...`), which mail
# clients do not read as RFC 2369/8058 `<https://...>`, so they offered no one-click unsubscribe.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


def build_message(
    digest: Digest, *, mail_from: str, base_url: str, secret: bytes, now: datetime | None = None
) -> EmailMessage:
    """The multipart/alternative message for a digest, ready to record and send."""
    one_click, page = unsubscribe_links(base_url, secret, digest.user.id, digest.user.email)
    text, html = render_parts(digest, base_url, page)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = digest.subject
    msg["From"] = mail_from
    msg["To"] = digest.user.email
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = f"<digest.{digest.user.id}.{digest.window.period}.{secrets.token_hex(6)}@{domain}>"
    msg["List-Unsubscribe"] = f"<{one_click}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg

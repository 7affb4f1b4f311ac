"""Double opt-in: no digest or alert is mailed to an address until its owner followed a signed
link sent to that very address.

Anyone can type any address into a sign-up form, so without this a stranger could subscribe a
victim to daily mail. `digest send` therefore mails an unconfirmed subscriber a confirmation
link instead of the digest (once; again when the account asks for a resend, at most
MAX_CONFIRMATION_MAILS links per address, so a stranger's account cannot turn the confirmation
itself into spam), and the link's page records the address as confirmed. Confirmation is of the *address*:
the row keeps the address that was clicked for, so a changed address is unconfirmed again.
Mail is only ever sent by `digest send`, never during a web request, so the web app needs no
SMTP access and a request's timing does not depend on a mail server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.community.accounts import User, utcnow
from papersift.community.schema import users
from papersift.deliver.render import MAIL_POLICY
from papersift.deliver.schema import email_confirmations
from papersift.deliver.tokens import CONFIRM_MAX_AGE, confirm_token, read_confirm_token
from papersift.urls import confirm_url

MAX_CONFIRMATION_MAILS = 3  # per address, however often "resend" is pressed


@dataclass(frozen=True)
class AddressState:
    """What the account page shows about the user's current address."""

    confirmed: bool
    sent_at: datetime | None  # when a link last went to this address (None: not yet)
    resend_requested: bool  # the owner asked for a new link; the next `digest send` mails it
    can_resend: bool  # fewer than MAX_CONFIRMATION_MAILS links went to this address


class Confirmations:
    """Which addresses are confirmed, and when each needs a (new) confirmation mail."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _row(self, user_id: int) -> sa.Row[Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(email_confirmations).where(email_confirmations.c.user_id == user_id)).first()

    def _set(self, user_id: int, **values: object) -> None:
        """Update the user's row, creating it first if needed (a lost insert race just updates)."""
        for _ in range(2):
            with self.engine.begin() as conn:
                where = email_confirmations.c.user_id == user_id
                if conn.execute(email_confirmations.update().where(where).values(values)).rowcount:
                    return
            try:
                with self.engine.begin() as conn:
                    conn.execute(email_confirmations.insert().values(user_id=user_id, **values))
                return
            except IntegrityError:
                continue  # another writer created it: update it
        raise RuntimeError(f"could not record the confirmation state of user {user_id}")

    def state(self, user: User) -> AddressState:
        row = self._row(user.id)
        if row is None:
            return AddressState(False, None, False, True)
        same = row.sent_email == user.email
        sent = row.sent_at if same else None
        count = row.sent_count if same else 0
        requested = row.resend_requested_at is not None and (sent is None or row.resend_requested_at > sent)
        return AddressState(row.confirmed_email == user.email, sent, requested, count < MAX_CONFIRMATION_MAILS)

    def is_confirmed(self, user: User) -> bool:
        return self.state(user).confirmed

    def due(self, user: User) -> bool:
        """Whether `digest send` should mail this user a confirmation link now."""
        state = self.state(user)
        return not state.confirmed and state.can_resend and (state.sent_at is None or state.resend_requested)

    def mark_sent(self, user: User) -> None:
        """After SMTP accepted a link (wall-clock time, like `request_resend`)."""
        row = self._row(user.id)
        count = row.sent_count if row is not None and row.sent_email == user.email else 0
        self._set(user.id, sent_email=user.email, sent_at=utcnow(), sent_count=count + 1, resend_requested_at=None)

    def request_resend(self, user: User) -> None:
        self._set(user.id, resend_requested_at=utcnow())

    def mark_confirmed(self, user: User) -> None:
        """Record `user.email` as confirmed (what the link does; also the operator's override)."""
        self._set(user.id, confirmed_email=user.email, confirmed_at=utcnow())

    def confirm(self, secret: bytes, token: str) -> User | None:
        """Confirm the address of a genuine, unexpired token whose address is still the user's
        current one; None (nothing changed) for anything else."""
        found = read_confirm_token(secret, token)
        if found is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == found[0])).first()
        if row is None or row.email != found[1] or row.disabled:
            return None
        user = User(row.id, row.email, row.created_at, bool(row.disabled))
        self.mark_confirmed(user)
        return user


def confirmation_message(user: User, *, mail_from: str, base_url: str, secret: bytes, now: datetime) -> EmailMessage:
    """The one mail an unconfirmed address can get: a link that confirms it (plain text only)."""
    link = base_url.rstrip("/") + confirm_url(confirm_token(secret, user.id, user.email))
    days = CONFIRM_MAX_AGE.days
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = "Confirm your address for papersift digests"
    msg["From"] = mail_from
    msg["To"] = user.email
    msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<confirm.{user.id}.{secrets.token_hex(6)}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Someone (hopefully you) subscribed {user.email} to papersift digests or alerts.\n\n"
        f"No digest is sent to this address until you confirm it here (the link works for {days} days):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this message: no digest goes to this address unless the link is used.\n"
    )
    return msg

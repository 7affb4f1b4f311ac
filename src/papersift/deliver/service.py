"""The delivery services wired onto the app's stores, and the idempotent `digest send` run.

`Delivery` is to digests what `Community` is to accounts: one object the CLI and the web app
both build. `send_digests` is the whole of `papersift digest send`: for every active
subscriber it first re-sends digests that were recorded but never accepted by SMTP, then
records and sends the digest of the current period unless one exists (see ledger.py for
why this can neither double-send nor skip). A subscriber whose address is not confirmed gets
nothing but, when due, a confirmation link (double opt-in, see confirm.py).
"""

from __future__ import annotations

import email
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock
from typing import Protocol

from papersift.community import Community, User, UserError
from papersift.community.accounts import normalize_email
from papersift.config import Settings
from papersift.deliver.confirm import Confirmations, confirmation_message
from papersift.deliver.digest import Digest, DigestComposer, Searchable, Window, window_for
from papersift.deliver.ledger import DigestLedger, DigestRecord
from papersift.deliver.mail import (
    RETRY_ATTEMPTS,
    RETRY_BACKOFF_S,
    MailConfigError,
    Mailer,
    PermanentMailError,
    TransientMailError,
    send_with_retry,
)
from papersift.deliver.render import MAIL_POLICY, build_message
from papersift.deliver.store import SECTIONS, DeliveryStore, Subscription
from papersift.deliver.tokens import read_unsubscribe_token
from papersift.discover.feedback import Feedback
from papersift.discover.recommend import Recommender


class DeliveryContext(Searchable, Protocol):
    """What delivery needs from the app context (which satisfies this structurally)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def community(self) -> Community: ...


class Delivery:
    """Subscriptions, digests, recommendations and the unsubscribe check over one context."""

    def __init__(self, ctx: DeliveryContext, community: Community | None = None):
        self.ctx = ctx
        self.community = community or ctx.community
        engine = ctx.catalog.engine
        self.store = DeliveryStore(engine)
        self.feedback = Feedback(engine)
        self.ledger = DigestLedger(engine)
        self.confirmations = Confirmations(engine)
        self.recommender = Recommender(ctx, self.community, self.feedback)
        self.composer = DigestComposer(ctx, self.community, self.store, self.feedback, self.ledger, self.recommender)

    def user(self, email_address: str) -> User:
        """The account for an address; UserError for an invalid address or an unknown user."""
        found = self.community.accounts.get_user(normalize_email(email_address))
        if found is None:
            raise UserError(
                "unknown_user",
                f"no user {email_address.strip()!r}; create it with `papersift users create EMAIL --password-stdin`",
            )
        return found

    def preview(self, user: User, now: datetime) -> Digest:
        """The digest this user would get if `digest send` ran at `now` (nothing is recorded)."""
        sub = self.store.subscription(user) or Subscription(user.id, "daily", SECTIONS, (), False, now)
        return self.composer.compose(user, sub, window_for(sub.frequency, self.ledger.last_window(user.id), now))

    def preview_time(self, now: datetime) -> datetime:
        """When a preview should be composed: `now`, or the end of the catalog's newest listing
        day when the data stops before today (the demo corpus, an archive), so a preview shows
        what a digest looks like instead of "nothing new"."""
        newest = self.ctx.catalog.newest_date()
        if newest is None or newest >= now.date():
            return now
        return datetime.combine(newest, clock(23, 59), tzinfo=UTC)

    def message(self, digest: Digest, now: datetime, mail_from: str | None = None) -> email.message.EmailMessage:
        s = self.ctx.settings
        return build_message(
            digest, mail_from=mail_from or s.mail_from, base_url=s.base_url, secret=self.community.secret, now=now
        )

    def unsubscribe(self, token: str) -> User | None:
        """Switch off the digests of a genuine token's user; None if the token is not valid (any more)."""
        found = read_unsubscribe_token(self.community.secret, token)
        if found is None:
            return None
        user = self.community.accounts.get_user(found[1])
        if user is None or user.id != found[0]:
            return None
        self.store.set_active(user.id, False)
        return user


@dataclass
class Outcome:
    """What happened to one user's digest in a run."""

    email: str
    period: str
    # sent | failed | rejected | would (re)send | already <status> | nothing new | being sent... |
    # unconfirmed (no digest; the address has not been confirmed) with the confirmation mail's fate in `error`/`subject`
    status: str
    subject: str = ""
    papers: int = 0
    attempts: int = 0
    error: str | None = None
    paper_ids: list[str] = field(default_factory=list)  # what the digest lists (empty for a resend)


@dataclass
class SendReport:
    outcomes: list[Outcome] = field(default_factory=list)
    aborted: str | None = None  # the SMTP settings failed: nothing more was tried

    @property
    def skipped_unconfirmed(self) -> int:
        """Subscribers who got no digest because their address is not confirmed."""
        return sum(o.status == "unconfirmed" for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """False when anything that was due did not go out: a digest, or a confirmation link."""
        undelivered = any(
            o.status in ("failed", "rejected") or (o.status == "unconfirmed" and o.error) for o in self.outcomes
        )
        return self.aborted is None and not undelivered


@dataclass
class SendOptions:
    now: datetime
    user_email: str | None = None
    dry_run: bool = False
    mail_from: str | None = None  # default: the mail_from setting
    attempts: int = RETRY_ATTEMPTS
    backoff: float = RETRY_BACKOFF_S
    sleep: Callable[[float], None] = time.sleep


def send_digests(delivery: Delivery, mailer: Callable[[], Mailer] | None, opts: SendOptions) -> SendReport:
    """One `digest send` run; `mailer` opens the SMTP connection on first need (None with dry_run)."""
    report = SendReport()
    subscribers = delivery.store.active_subscribers()
    if opts.user_email is not None:
        wanted = delivery.user(opts.user_email)
        subscribers = [(u, s) for u, s in subscribers if u.id == wanted.id]
        if not subscribers:
            raise UserError("not_subscribed", f"{wanted.email} has no active digest subscription")
    opened: list[Mailer] = []

    def connection() -> Mailer:
        if not opened:
            assert mailer is not None, "a mailer is needed unless dry_run"
            opened.append(mailer())
        return opened[0]

    try:
        for user, sub in subscribers:
            if delivery.confirmations.is_confirmed(user):
                _send_user(delivery, user, sub, opts, connection, report)
            else:
                report.outcomes.append(_ask_confirmation(delivery, user, opts, connection))
    except MailConfigError as exc:
        report.aborted = str(exc)
    finally:
        if opened:
            opened[0].close()
    return report


def record_digest(
    ledger: DigestLedger, user: User, window: Window, digest: Digest, message: email.message.EmailMessage
) -> tuple[DigestRecord, bool]:
    """Store a composed digest as pending *before* SMTP sees it (the never-lose, never-double-send
    rule); returns the record and whether this call created it."""
    return ledger.record(
        user_id=user.id,
        period=window.period,
        since=window.since,
        until=window.until,
        recipient=user.email,
        subject=digest.subject,
        message_id=message["Message-ID"],
        message=message.as_string(),
        items=digest.items(),
    )


def _send_user(
    delivery: Delivery,
    user: User,
    sub: Subscription,
    opts: SendOptions,
    connection: Callable[[], Mailer],
    report: SendReport,
) -> None:
    ledger = delivery.ledger
    retried = set()
    for record in ledger.unfinished(user.id):
        retried.add(record.period)
        if opts.dry_run:
            report.outcomes.append(Outcome(user.email, record.period, "would resend", record.subject))
        else:
            report.outcomes.append(_deliver(ledger, record, connection, opts))
    window = window_for(sub.frequency, ledger.last_window(user.id), opts.now)
    existing = ledger.find(user.id, window.period)
    if existing is not None:
        if existing.period not in retried:
            report.outcomes.append(Outcome(user.email, window.period, f"already {existing.status}", existing.subject))
        return
    digest = delivery.composer.compose(user, sub, window)
    if digest.empty:
        report.outcomes.append(Outcome(user.email, window.period, "nothing new"))
        return
    message = delivery.message(digest, opts.now, opts.mail_from)
    if opts.dry_run:
        ids = [pid for pid, _ in digest.items()]
        report.outcomes.append(
            Outcome(user.email, window.period, "would send", digest.subject, digest.size, paper_ids=ids)
        )
        return
    record, created = record_digest(ledger, user, window, digest, message)
    if created:
        outcome = _deliver(ledger, record, connection, opts, digest.size)
        outcome.paper_ids = [pid for pid, _ in digest.items()]
        report.outcomes.append(outcome)


def _ask_confirmation(delivery: Delivery, user: User, opts: SendOptions, connection: Callable[[], Mailer]) -> Outcome:
    """No digest for an unconfirmed address; mail it a confirmation link when one is due."""
    outcome = Outcome(user.email, "", "unconfirmed", "no confirmation link due (one was sent already)")
    if not delivery.confirmations.due(user):
        return outcome
    if opts.dry_run:
        outcome.subject = "would send a confirmation link"
        return outcome
    s = delivery.ctx.settings
    message = confirmation_message(
        user,
        mail_from=opts.mail_from or s.mail_from,
        base_url=s.base_url,
        secret=delivery.community.secret,
        now=opts.now,
    )
    try:
        outcome.attempts = send_with_retry(
            connection(), message, attempts=opts.attempts, backoff=opts.backoff, sleep=opts.sleep
        )
    except (TransientMailError, PermanentMailError) as exc:
        outcome.subject, outcome.error = "confirmation link not sent", str(exc)
        return outcome  # not marked sent: the next run tries again
    delivery.confirmations.mark_sent(user)
    outcome.subject = "confirmation link sent"
    return outcome


def _deliver(
    ledger: DigestLedger, record: DigestRecord, connection: Callable[[], Mailer], opts: SendOptions, papers: int = 0
) -> Outcome:
    message = email.message_from_string(record.message, policy=MAIL_POLICY)  # keeps List-Unsubscribe raw
    outcome = Outcome(record.recipient, record.period, "sent", record.subject, papers)
    if not ledger.claim(record.id):
        outcome.status = "being sent by another run"
        return outcome
    try:
        outcome.attempts = send_with_retry(
            connection(),
            message,
            attempts=opts.attempts,
            backoff=opts.backoff,
            sleep=opts.sleep,
            before_attempt=lambda: ledger.start_attempt(record.id),
        )
        ledger.mark_sent(record.id)
    except (TransientMailError, PermanentMailError) as exc:
        permanent = isinstance(exc, PermanentMailError)
        ledger.mark_failed(record.id, str(exc), permanent)
        outcome.status, outcome.error = ("rejected" if permanent else "failed"), str(exc)
        outcome.attempts = ledger.get(record.id).attempts
    except MailConfigError as exc:
        ledger.mark_failed(record.id, str(exc), permanent=False)
        raise
    return outcome

"""Digest delivery to webhooks: Slack incoming webhooks, Discord webhooks, and a generic JSON
POST signed with HMAC-SHA256.

Webhooks are another channel for the digests the ledger already holds (`digests` +
`digest_items`): nothing is composed twice. Each (digest, webhook) pair has one row in
`webhook_deliveries`, created before the first POST, with the ledger's life cycle: a claim
(a lease named after its process, so a crashed run's delivery is taken over by the next run
on this host and never lost), `attempts` committed before
each POST, then `sent`, `failed` (retried by the next run) or `rejected` (a 4xx other than
408/429: the receiver refused it for good). Within a run a failed POST is retried with
exponential backoff. Only digests recorded after the webhook was added are sent to it.

The generic JSON POST carries `X-Papersift-Timestamp` and `X-Papersift-Signature:
sha256=HMAC(secret, "<timestamp>.<body>")`, so a receiver can check origin and freshness, and
`X-Papersift-Delivery` (stable across retries) to drop the one duplicate a crash between the
receiver's 2xx and our commit could cause. The HMAC secret has to be stored readable to sign
with; it is shown once when the webhook is added. The operator adds webhooks with the CLI; users add
their own on /account/webhooks, limited to the hosts the operator allows (`webhook_hosts`,
SSRF), and plain http is accepted for loopback receivers only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog import Catalog
from papersift.catalog.schema import inserted_id
from papersift.community.accounts import utcnow
from papersift.deliver.ledger import CLAIM_LEASE, UNFINISHED, claim_row
from papersift.deliver.schema import digest_items, digests, webhook_deliveries, webhooks
from papersift.urls import paper_url

log = logging.getLogger(__name__)
Kind = Literal["slack", "discord", "json"]
KINDS: tuple[Kind, ...] = ("slack", "discord", "json")
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_S = 5.0  # doubled after each failed attempt
TIMEOUT_S = 15.0
MAX_URL = 2000
MAX_PER_USER = 10  # webhooks a user may add on the web page
MAX_LINES = 30  # papers listed in a chat message (Slack/Discord limit message sizes)


class WebhookError(ValueError):
    """A webhook that cannot be added (bad URL or kind)."""


@dataclass(frozen=True)
class Webhook:
    id: int
    user_id: int
    kind: Kind
    url: str
    secret: str
    created_at: datetime


@dataclass
class WebhookOutcome:
    webhook_id: int
    digest_id: int
    status: str  # sent | failed | rejected | being sent by another run
    attempts: int = 0
    error: str | None = None


def check_url(url: str) -> str:
    """https, or http to a loopback address (a local receiver); nothing else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"not an http(s) URL: {url[:80]!r}")
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise WebhookError("webhook URLs must use https (plain http only to a loopback receiver)")
    return url.strip()


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_user_url(url: str, allowed_hosts: Sequence[str]) -> str:
    """`check_url` for a webhook a user adds on the web page (SSRF: the server would POST wherever
    it points). The host must be one the operator allows (`webhook_hosts`; "*" = any host that is
    not an IP literal of a loopback, private, link-local or reserved network nor "localhost").
    Plain http stays limited to loopback, which only an explicitly listed host can reach. A name
    can still resolve to an internal address; operators who allow "*" should also filter egress."""
    checked = check_url(url)
    host = (urlsplit(checked).hostname or "").lower().rstrip(".")
    ip = _literal_ip(host)
    internal = host == "localhost" or (ip is not None and not ip.is_global)
    if host in (h.lower() for h in allowed_hosts):
        return checked
    if "*" in allowed_hosts and not internal:
        return checked
    allowed = ", ".join(h for h in allowed_hosts if h != "*") or "none"
    raise WebhookError(f"webhooks may only go to these hosts on this server: {allowed}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookStore:
    """The `webhooks` and `webhook_deliveries` tables."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, user_id: int, kind: str, url: str, allowed_hosts: Sequence[str] | None = None) -> Webhook:
        """A new webhook; `allowed_hosts` (the web page's case) limits where it may point."""
        if kind not in KINDS:
            raise WebhookError(f"kind must be one of {', '.join(KINDS)}")
        target = check_url(url) if allowed_hosts is None else check_user_url(url, allowed_hosts)
        if len(target) > MAX_URL:
            raise WebhookError(f"a webhook URL has at most {MAX_URL} characters")
        row = {"user_id": user_id, "kind": kind, "url": target, "secret": secrets.token_hex(32)}
        with self.engine.begin() as conn:
            wid = inserted_id(conn.execute(webhooks.insert().values(**row, created_at=utcnow())))
        return self._get(wid)

    def _get(self, wid: int) -> Webhook:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(webhooks).where(webhooks.c.id == wid)).one()
        return Webhook(r.id, r.user_id, r.kind, r.url, r.secret, r.created_at)

    def remove(self, user_id: int, wid: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(webhooks.delete().where(webhooks.c.id == wid, webhooks.c.user_id == user_id))
        return done.rowcount > 0

    def of_user(self, user_id: int) -> list[Webhook]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(webhooks).where(webhooks.c.user_id == user_id).order_by(webhooks.c.id))
            return [Webhook(r.id, r.user_id, r.kind, r.url, r.secret, r.created_at) for r in rows]

    def all(self) -> list[Webhook]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(webhooks).order_by(webhooks.c.id))
            return [Webhook(r.id, r.user_id, r.kind, r.url, r.secret, r.created_at) for r in rows]

    def due(self, hook: Webhook) -> list[int]:
        """Digests of the hook's user recorded since it was added and not yet delivered to it."""
        done = sa.select(webhook_deliveries.c.digest_id).where(
            webhook_deliveries.c.webhook_id == hook.id, webhook_deliveries.c.status.not_in(UNFINISHED)
        )
        q = (
            sa.select(digests.c.id)
            .where(digests.c.user_id == hook.user_id, digests.c.created_at >= hook.created_at)
            .where(digests.c.id.not_in(done))
            .order_by(digests.c.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def claim(self, hook_id: int, digest_id: int, lease: timedelta = CLAIM_LEASE) -> bool:
        """Create the delivery row if needed and take it; False when finished or held by another run."""
        key = (webhook_deliveries.c.webhook_id == hook_id) & (webhook_deliveries.c.digest_id == digest_id)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    webhook_deliveries.insert().values(
                        webhook_id=hook_id, digest_id=digest_id, status="pending", attempts=0
                    )
                )
        except IntegrityError:
            pass  # another run (or an earlier one) created it
        return claim_row(self.engine, webhook_deliveries, key, lease)

    def update(self, hook_id: int, digest_id: int, **values: Any) -> None:
        key = (webhook_deliveries.c.webhook_id == hook_id) & (webhook_deliveries.c.digest_id == digest_id)
        with self.engine.begin() as conn:
            conn.execute(webhook_deliveries.update().where(key).values(values))

    def attempts(self, hook_id: int, digest_id: int) -> int:
        key = (webhook_deliveries.c.webhook_id == hook_id) & (webhook_deliveries.c.digest_id == digest_id)
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(webhook_deliveries.c.attempts).where(key)).scalar_one())


def payload(catalog: Catalog, engine: Engine, digest_id: int, base_url: str) -> dict[str, Any]:
    """The digest as data: subject, period and its papers by section (from the ledger)."""
    with engine.connect() as conn:
        d = conn.execute(sa.select(digests).where(digests.c.id == digest_id)).one()
        items = conn.execute(
            sa.select(digest_items.c.paper_id, digest_items.c.section).where(digest_items.c.digest_id == digest_id)
        ).all()
    papers = catalog.get_many(pid for pid, _ in items)
    root = base_url.rstrip("/")
    return {
        "digest_id": d.id,
        "period": d.period,
        "since": d.since.isoformat(),
        "until": d.until.isoformat(),
        "subject": d.subject,
        "papers": [
            {"id": pid, "title": papers[pid].title, "section": section, "url": root + paper_url(pid)}
            for pid, section in sorted(items, key=lambda it: (it[1], it[0]))
            if pid in papers
        ],
    }


def _chat_lines(data: dict[str, Any]) -> list[str]:
    lines = [f"• {p['title']} — {p['url']}" for p in data["papers"][:MAX_LINES]]
    if len(data["papers"]) > MAX_LINES:
        lines.append(f"… and {len(data['papers']) - MAX_LINES} more")
    return lines


def render(hook: Webhook, data: dict[str, Any], now: float) -> tuple[bytes, dict[str, str]]:
    """Body and headers for one hook kind (Slack: `text`; Discord: `content` up to 2,000 characters)."""
    headers = {"content-type": "application/json", "x-papersift-delivery": f"{data['digest_id']}-{hook.id}"}
    if hook.kind == "slack":
        body: dict[str, Any] = {"text": "\n".join([f"*{data['subject']}*", *_chat_lines(data)])}
    elif hook.kind == "discord":
        text = "\n".join([f"**{data['subject']}**", *_chat_lines(data)])
        body = {"content": text if len(text) <= 2000 else text[:1999] + "…", "allowed_mentions": {"parse": []}}
    else:
        body = data
    raw = json.dumps(body, ensure_ascii=False).encode()
    if hook.kind == "json":
        stamp = str(int(now))
        headers |= {"x-papersift-timestamp": stamp, "x-papersift-signature": sign(hook.secret, stamp, raw)}
    return raw, headers


@dataclass
class WebhookRun:
    catalog: Catalog
    store: WebhookStore
    base_url: str
    attempts: int = RETRY_ATTEMPTS
    backoff: float = RETRY_BACKOFF_S
    sleep: Callable[[float], None] = time.sleep
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=TIMEOUT_S, follow_redirects=False))

    def run(self, user_id: int | None = None) -> list[WebhookOutcome]:
        """Deliver every due digest to every webhook (of one user, when given)."""
        outcomes = []
        try:
            for hook in self.store.all():
                if user_id is None or hook.user_id == user_id:
                    outcomes += [self.deliver(hook, did) for did in self.store.due(hook)]
        finally:
            self.client.close()
        return outcomes

    def deliver(self, hook: Webhook, digest_id: int) -> WebhookOutcome:
        out = WebhookOutcome(hook.id, digest_id, "sent")
        if not self.store.claim(hook.id, digest_id):
            out.status = "being sent by another run"
            return out
        data = payload(self.catalog, self.store.engine, digest_id, self.base_url)
        wait = self.backoff
        for attempt in range(1, self.attempts + 1):
            self.store.update(hook.id, digest_id, attempts=webhook_deliveries.c.attempts + 1)
            body, headers = render(hook, data, time.time())
            error, permanent = self._post(hook.url, body, headers)
            if error is None:
                done = {"status": "sent", "sent_at": utcnow(), "last_error": None, "claimed_until": None}
                self.store.update(hook.id, digest_id, **done)
                out.attempts = self.store.attempts(hook.id, digest_id)
                return out
            log.warning("webhook %s, digest %s, attempt %s: %s", hook.id, digest_id, attempt, error)
            if permanent or attempt == self.attempts:
                out.status, out.error = ("rejected" if permanent else "failed"), error
                self.store.update(hook.id, digest_id, status=out.status, last_error=error[:2000], claimed_until=None)
                out.attempts = self.store.attempts(hook.id, digest_id)
                return out
            self.sleep(wait)
            wait *= 2
        raise AssertionError("unreachable")

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[str | None, bool]:
        """(error, permanent) of one POST; (None, False) on a 2xx."""
        try:
            r = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", False
        if r.is_success:
            return None, False
        permanent = 400 <= r.status_code < 500 and r.status_code not in (408, 429)
        return f"HTTP {r.status_code}: {r.text[:200]}", permanent

"""Digest webhooks against a real HTTP receiver on loopback: Slack, Discord and signed JSON
payloads, exactly-once delivery, retries with backoff, permanent refusals, crashes.

The digest comes from the real `digest send` (aiosmtpd receives the mail), so the webhooks read
what the ledger recorded; the receiver is `http.server` in a thread, scripted per path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from papersift.community.accounts import utcnow
from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.deliver.webhooks import WebhookError, WebhookRun, WebhookStore, check_url
from tests.deliver.conftest import make_user
from tests.deliver.fixtures import SmtpServer, free_port
from tests.deliver.test_digest_send import cli, send


@dataclass
class Receiver:
    """Records every POST; `plan[path]` lists the next status codes to answer (default 200)."""

    port: int
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    plan: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str) -> list[Any]:
        return [json.loads(body) for p, _, body in self.requests if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            body = self.rfile.read(int(self.headers["content-length"]))
            rec.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            queue = rec.plan.get(self.path)
            status = queue.pop(0) if queue else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"nope")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", rec.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


def _run(ctx: AppContext, sleeps: list[float] | None = None, user_id: int | None = None) -> list[Any]:
    store = WebhookStore(ctx.catalog.engine)
    slept = sleeps if sleeps is not None else []
    run = WebhookRun(ctx.catalog, store, "https://papers.example.org", backoff=0.5, sleep=slept.append)
    return run.run(user_id)


def test_each_kind_gets_the_recorded_digest_exactly_once(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    store = WebhookStore(ctx.catalog.engine)
    ada = make_user(delivery)
    slack, discord, signed = (store.add(ada.id, k, receiver.url(f"/{k}")) for k in ("slack", "discord", "json"))
    digest_id = _subscribed_digest(delivery, home, smtp, ada.email)
    outcomes = _run(ctx)
    assert sorted((o.webhook_id, o.status, o.attempts) for o in outcomes) == [
        (slack.id, "sent", 1),
        (discord.id, "sent", 1),
        (signed.id, "sent", 1),
    ]
    record = delivery.ledger.get(digest_id)
    (data,) = receiver.bodies("/json")
    assert data["digest_id"] == digest_id and data["subject"] == record.subject and data["papers"]
    assert all(p["url"].startswith("https://papers.example.org/papers/") for p in data["papers"])
    assert {p["id"] for p in data["papers"]} == delivery.ledger.delivered(ada.id, [p["id"] for p in data["papers"]])
    (text,) = [b["text"] for b in receiver.bodies("/slack")]
    assert text.startswith(f"*{record.subject}*") and data["papers"][0]["title"] in text
    (content,) = receiver.bodies("/discord")
    assert content["content"].startswith(f"**{record.subject}**") and content["allowed_mentions"] == {"parse": []}
    _, headers, raw = next(r for r in receiver.requests if r[0] == "/json")
    expected = hmac.new(signed.secret.encode(), headers["x-papersift-timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["x-papersift-signature"] == "sha256=" + expected.hexdigest()
    assert headers["x-papersift-delivery"] == f"{digest_id}-{signed.id}"
    assert "x-papersift-signature" not in next(r for r in receiver.requests if r[0] == "/slack")[1]
    assert _run(ctx) == [] and len(receiver.requests) == 3  # a second run sends nothing again


def _subscribed_digest(delivery: Delivery, home: Path, smtp: SmtpServer, email: str) -> int:
    """Subscribe the existing user as `subscribed()` does and send the first digest by mail."""
    user = delivery.community.accounts.get_user(email)
    assert user is not None
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    r = cli(home, "digest", "subscribe", email, "--query", '"language models"', "--collection", "Robots")
    assert r.exit_code == 0, r.output
    assert json.loads(send(home, smtp.port, "--no-webhooks").stdout)["ok"]  # webhooks: by WebhookRun here
    (record,) = delivery.ledger.history(user.id)
    return record.id


def test_server_errors_are_retried_with_backoff_then_next_run(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    store = WebhookStore(ctx.catalog.engine)
    ada = make_user(delivery)
    flaky = store.add(ada.id, "json", receiver.url("/flaky"))
    down = store.add(ada.id, "json", receiver.url("/down"))
    refused = store.add(ada.id, "slack", receiver.url("/gone"))
    receiver.plan = {"/flaky": [500, 429, 200], "/down": [503, 503, 503, 200], "/gone": [404, 200]}
    digest_id = _subscribed_digest(delivery, home, smtp, ada.email)
    sleeps: list[float] = []
    by_hook = {o.webhook_id: o for o in _run(ctx, sleeps)}
    assert (by_hook[flaky.id].status, by_hook[flaky.id].attempts) == ("sent", 3)
    assert (by_hook[down.id].status, by_hook[down.id].attempts) == ("failed", 3) and "503" in (
        by_hook[down.id].error or ""
    )
    assert (by_hook[refused.id].status, by_hook[refused.id].attempts) == ("rejected", 1)
    assert sleeps == [0.5, 1.0, 0.5, 1.0]  # exponential backoff within a run
    deliveries = {h["x-papersift-delivery"] for p, h, _ in receiver.requests if p == "/flaky"}
    assert deliveries == {f"{digest_id}-{flaky.id}"}  # the same delivery id on every retry
    again = _run(ctx)  # the next run retries the failed one only; the rejected one stays rejected
    assert [(o.webhook_id, o.status, o.attempts) for o in again] == [(down.id, "sent", 4)]
    assert len(receiver.bodies("/gone")) == 1 and _run(ctx) == []


def test_a_crashed_run_leaves_a_claim_that_expires(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    store = WebhookStore(ctx.catalog.engine)
    ada = make_user(delivery)
    hook = store.add(ada.id, "json", receiver.url("/j"))
    digest_id = _subscribed_digest(delivery, home, smtp, ada.email)
    assert store.claim(hook.id, digest_id)  # a run took it and crashed before posting
    assert [o.status for o in _run(ctx)] == ["being sent by another run"] and not receiver.requests
    assert not store.claim(hook.id, digest_id)  # still held
    store.update(hook.id, digest_id, claimed_until=utcnow() - timedelta(seconds=1))  # ...until the lease runs out
    assert [o.status for o in _run(ctx)] == ["sent"] and len(receiver.requests) == 1


def test_digests_from_before_the_webhook_and_dead_receivers(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer
) -> None:
    ada = make_user(delivery)
    _subscribed_digest(delivery, home, smtp, ada.email)
    store = WebhookStore(ctx.catalog.engine)
    store.add(ada.id, "json", f"http://127.0.0.1:{free_port()}/nobody-listens")
    assert _run(ctx) == []  # the digest predates the webhook: not sent to it


def test_connection_refused_is_a_failure_to_retry(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer
) -> None:
    ada = make_user(delivery)
    store = WebhookStore(ctx.catalog.engine)
    store.add(ada.id, "discord", f"http://127.0.0.1:{free_port()}/nobody-listens")
    _subscribed_digest(delivery, home, smtp, ada.email)
    (outcome,) = _run(ctx)
    assert outcome.status == "failed" and outcome.attempts == 3 and "ConnectError" in (outcome.error or "")


@pytest.mark.parametrize(
    "url",
    ["http://example.org/hook", "ftp://127.0.0.1/x", "file:///etc/passwd", "https://", "http://10.0.0.1/x"],
)
def test_only_https_or_loopback_http_urls(url: str) -> None:
    with pytest.raises(WebhookError):
        check_url(url)
    assert check_url("https://hooks.slack.com/services/T/B/X") and check_url("http://localhost:9/x")


def test_cli_add_list_send_remove(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    ada = make_user(delivery)
    added = cli(home, "webhook", "add", ada.email, receiver.url("/cli"), "--kind", "json", "--json")
    assert added.exit_code == 0, added.output
    hook = json.loads(added.stdout)
    assert len(hook["secret"]) == 64
    listed = json.loads(cli(home, "webhook", "list", ada.email, "--json").stdout)
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    bad = cli(home, "webhook", "add", ada.email, "http://example.org/x")
    assert bad.exit_code == 2
    _subscribed_digest(delivery, home, smtp, ada.email)
    sent = cli(home, "webhook", "send", "--json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["ok"] and len(receiver.bodies("/cli")) == 1
    assert cli(home, "webhook", "remove", ada.email, str(hook["id"])).exit_code == 0
    assert cli(home, "webhook", "remove", ada.email, str(hook["id"])).exit_code == 1


def test_digest_send_delivers_to_webhooks_exactly_once(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    """`digest send` runs the webhooks after the mail; with `webhook send` and a re-run, each
    (webhook, digest) pair is still POSTed once."""
    ada = make_user(delivery)
    hook = WebhookStore(ctx.catalog.engine).add(ada.id, "slack", receiver.url("/both"))
    assert cli(home, "digest", "subscribe", ada.email, "--query", '"language models"').exit_code == 0
    first = json.loads(send(home, smtp.port).stdout)
    assert first["ok"] and [d["status"] for d in first["digests"]] == ["sent"]
    assert [(h["webhook_id"], h["status"]) for h in first["webhooks"]] == [(hook.id, "sent")]
    assert len(smtp.received) == 1 and len(receiver.bodies("/both")) == 1
    assert receiver.bodies("/both")[0]["text"].startswith(f"*{smtp.received[0]['Subject']}*")
    assert json.loads(cli(home, "webhook", "send", "--json").stdout)["deliveries"] == []
    again = json.loads(send(home, smtp.port).stdout)
    assert again["webhooks"] == [] and again["digests"][0]["status"] == "already sent"
    assert len(receiver.bodies("/both")) == 1
    assert json.loads(send(home, smtp.port, "--dry-run").stdout)["webhooks"] == []


@pytest.mark.parametrize(
    ("url", "hosts", "ok"),
    [
        ("https://hooks.slack.com/services/T/B/X", ["hooks.slack.com"], True),
        ("https://evil.example/x", ["hooks.slack.com"], False),
        ("https://evil.example/x", ["*"], True),
        ("https://169.254.169.254/latest/meta-data", ["*"], False),  # cloud metadata
        ("https://10.0.0.5/admin", ["*"], False),
        ("https://[::1]:8000/api", ["*"], False),
        ("https://localhost/x", ["*"], False),
        ("http://127.0.0.1:8000/account", ["*"], False),  # the server itself
        ("http://127.0.0.1:9/x", ["127.0.0.1"], True),  # only when the operator lists it
        ("http://hooks.slack.com/x", ["hooks.slack.com"], False),  # https only
        ("https://hooks.slack.com/x", [], False),
    ],
)
def test_user_webhook_urls_are_limited_to_the_operators_hosts(url: str, hosts: list[str], ok: bool) -> None:
    from papersift.deliver.webhooks import check_user_url

    if ok:
        assert check_user_url(url, hosts) == url
    else:
        with pytest.raises(WebhookError):
            check_user_url(url, hosts)


def test_webhook_page_adds_own_hooks_within_the_allowed_hosts(
    ctx: AppContext, delivery: Delivery, home: Path, smtp: SmtpServer, receiver: Receiver
) -> None:
    from fastapi.testclient import TestClient

    from tests.deliver.conftest import delivery_app
    from tests.web.conftest import sign_up

    ctx.settings.webhook_hosts = ["hooks.slack.com", "127.0.0.1"]
    with TestClient(delivery_app(ctx), follow_redirects=False) as client:
        token = sign_up(client, "ada@example.org")
        assert "hooks.slack.com, 127.0.0.1" in client.get("/account/webhooks").text
        forged = client.post("/account/webhooks", data={"kind": "json", "url": receiver.url("/web")})
        assert forged.status_code == 403  # no CSRF token
        internal = client.post("/account/webhooks", data={"url": "https://10.0.0.5/x", "csrf_token": token})
        assert internal.status_code == 422 and "only go to these hosts" in internal.text
        added = client.post(
            "/account/webhooks", data={"kind": "json", "url": receiver.url("/web"), "csrf_token": token}
        )
        assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
        match = re.search(r'id="webhook-secret">([0-9a-f]{64})<', added.text)
        assert match, added.text
        secret = match.group(1)
        assert secret not in client.get("/account/webhooks").text  # shown once
        [hook] = WebhookStore(ctx.catalog.engine).of_user(delivery.user("ada@example.org").id)

        client.cookies.clear()
        bob_token = sign_up(client, "bob@example.org")
        assert receiver.url("/web") not in client.get("/account/webhooks").text  # others' hooks are not listed
        client.post(f"/account/webhooks/{hook.id}/remove", data={"csrf_token": bob_token})
        assert WebhookStore(ctx.catalog.engine).of_user(hook.user_id) == [hook]  # not his to remove

    assert cli(home, "digest", "subscribe", "ada@example.org", "--query", '"language models"').exit_code == 0
    delivery.confirmations.mark_confirmed(delivery.user("ada@example.org"))  # double opt-in: tests/security
    assert json.loads(send(home, smtp.port).stdout)["ok"]
    [(_, headers, raw)] = [r for r in receiver.requests if r[0] == "/web"]
    signed = hmac.new(secret.encode(), headers["x-papersift-timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["x-papersift-signature"] == "sha256=" + signed.hexdigest()

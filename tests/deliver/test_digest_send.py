"""`papersift digest subscribe/send` end to end: a real SMTP server on loopback receives them.

Catalog: tests/deliver/fixtures.py. Ada keeps three robotics papers in "Robots", saves the
search "language models", follows Grace Hopper; her first digest is composed at 2025-06-04
07:00 UTC and covers 3-4 June.
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import papersift.cli.digest_cmds  # noqa: F401  (registers `digest` and `recommend`)
from papersift.cli import app
from papersift.community import User
from papersift.context import AppContext
from papersift.deliver.digest import window_for
from papersift.deliver.service import Delivery, record_digest
from tests.community.factories import paper
from tests.deliver.conftest import delivery_app, make_user
from tests.deliver.fixtures import D1, D2, D4, SmtpServer, free_port

runner = CliRunner()
NOW = "2025-06-04T07:00:00"


def cli(home: Path, *args: str, stdin: str | None = None):  # noqa: ANN201
    return runner.invoke(app, ["--home", str(home), *args], input=stdin)


def send(home: Path, smtp_port: int, *extra: str, now: str = NOW):  # noqa: ANN201
    return cli(
        home,
        "digest",
        "send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--smtp-security",
        "none",
        "--mail-from",
        "Papersift <digest@example.org>",
        "--now",
        now,
        "--backoff",
        "0.01",
        "--json",
        *extra,
    )


def subscribed(delivery: Delivery, home: Path) -> User:
    user = make_user(delivery)
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    r = cli(
        home,
        "digest",
        "subscribe",
        user.email,
        "--query",
        '"language models"',
        "--follow-author",
        "grace  HOPPER",
        "--collection",
        "Robots",
    )
    assert r.exit_code == 0, r.output
    return user


def listed(msg: EmailMessage) -> dict[str, list[str]]:
    """Section title -> paper ids, read back from the received plain-text part."""
    text = msg.get_body(("plain",)).get_content()
    sections: dict[str, list[str]] = {}
    for block in text.split("\n== ")[1:]:
        title, _, rest = block.partition(" ==")
        sections[title] = re.findall(r"/papers/(\S+)", rest)
    return sections


def test_digest_is_received_with_both_parts_and_expected_papers(
    ctx: AppContext, delivery: Delivery, smtp: SmtpServer, home: Path
) -> None:
    user = subscribed(delivery, home)
    r = send(home, smtp.port)
    assert r.exit_code == 0, r.output
    assert [(d["email"], d["period"], d["status"]) for d in json.loads(r.stdout)["digests"]] == [
        (user.email, "2025-06-04", "sent")
    ]
    [msg] = smtp.received
    assert smtp.envelopes == [("digest@example.org", ["ada@example.org"])]
    assert msg["To"] == "ada@example.org" and msg["From"] == "Papersift <digest@example.org>"
    assert msg["Subject"] == "Daily papersift digest, 4 Jun 2025: 7 new papers"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    got = listed(msg)
    # --json reports the papers the digest listed (issue 12)
    assert sorted(json.loads(r.stdout)["digests"][0]["paper_ids"]) == sorted(i for ids in got.values() for i in ids)
    got["New recommendations"].sort()  # their order is the model's business
    assert got == {
        'New for your saved search “"language models"”': ["2506.00013", "2506.00014", "2506.00012"],
        "Followed authors and categories": ["2506.00023"],
        "New recommendations": ["2506.00004", "2506.00005"],
        "Trending today": ["2506.00022"],
    }
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert "Why: by grace HOPPER, whom you follow" in text
    assert re.search(r"Why: close to “[^”]+” in your collection Robots", text)
    assert 'href="http://127.0.0.1:8000/papers/2506.00004"' in html and "Trending today</h2>" in html
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://127\.0\.0\.1:8000/api/digest/unsubscribe\?token=[\w.-]+>", msg["List-Unsubscribe"])
    # as received, the header is the raw RFC 2369/8058 form, not RFC 2047-encoded (issue 12)
    assert re.search(
        rb"\r?\nList-Unsubscribe: <http://127\.0\.0\.1:8000/api/digest/unsubscribe\?token=[\w.-]+>\r?\n", smtp.raw[0]
    )

    # re-running sends nothing
    again = send(home, smtp.port)
    assert again.exit_code == 0 and json.loads(again.stdout)["digests"][0]["status"] == "already sent"
    assert len(smtp.received) == 1

    # the next day: nothing new yet, then one new paper, never a repeat of yesterday's
    assert json.loads(send(home, smtp.port, now="2025-06-05T07:00:00").stdout)["digests"][0]["status"] == "nothing new"
    ctx.catalog.upsert(
        [
            paper(
                "2506.00015",
                "Multilingual language models for low-resource translation",
                D4,
                3,
                cats=("cs.CL",),
                abstract="Language models translate between 200 languages.",
            )
        ]
    )
    from papersift.index.indexer import run_indexer

    run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
    nxt = send(home, smtp.port, now="2025-06-05T08:00:00")
    assert nxt.exit_code == 0 and json.loads(nxt.stdout)["digests"][0]["status"] == "sent"
    assert [ids for ids in listed(smtp.received[1]).values()] == [["2506.00015"]]

    # RFC 8058 one-click: a cookie-less POST to the header URL stops the digests
    url = smtp.received[0]["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    with TestClient(delivery_app(ctx)) as client:
        assert (
            client.post(
                url,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ).status_code
            == 204
        )
    assert delivery.store.subscription(user).active is False  # type: ignore[union-attr]
    assert json.loads(send(home, smtp.port, now="2025-06-09T07:00:00").stdout)["digests"] == []


def test_refused_then_recovered_sends_the_same_message_once(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    subscribed(delivery, home)
    smtp.plan = ["421 4.7.0 try again later"] * 3
    failed = send(home, smtp.port, "--attempts", "3")
    assert failed.exit_code == 1
    [outcome] = json.loads(failed.stdout)["digests"]
    assert outcome["status"] == "failed" and outcome["attempts"] == 3 and "421" in outcome["error"]
    record = delivery.ledger.history(1)[0]
    assert (record.status, record.attempts) == ("failed", 3) and smtp.received == []

    ok = send(home, smtp.port)  # the server is back: the recorded message goes out, nothing new is composed
    assert ok.exit_code == 0 and [d["status"] for d in json.loads(ok.stdout)["digests"]] == ["sent"]
    assert [m["Message-ID"] for m in smtp.received] == [record.message_id]
    assert delivery.ledger.history(1)[0].status == "sent"
    assert json.loads(send(home, smtp.port).stdout)["digests"][0]["status"] == "already sent"
    assert len(smtp.received) == 1


def test_connection_dropped_mid_send_is_retried(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    subscribed(delivery, home)
    smtp.plan = ["drop"]
    r = send(home, smtp.port)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["digests"][0]["attempts"] == 2
    assert smtp.data_calls == 2 and len(smtp.received) == 1
    assert delivery.ledger.history(1)[0].status == "sent"


def test_permanent_refusal_is_reported_and_not_retried(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    subscribed(delivery, home)
    smtp.plan = ["550 5.1.1 mailbox unavailable"]
    r = send(home, smtp.port)
    assert r.exit_code == 1 and json.loads(r.stdout)["digests"][0]["status"] == "rejected"
    assert json.loads(send(home, smtp.port).stdout)["digests"][0]["status"] == "already rejected"
    assert smtp.data_calls == 1


def test_a_confirmation_link_that_was_not_sent_fails_the_run(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    """`digest send` exited 0 when the only mail due, a confirmation link, was refused: cron saw success."""
    user = make_user(delivery, confirmed=False)
    assert cli(home, "digest", "subscribe", user.email, "--query", "robots").exit_code == 0
    smtp.plan = ["550 5.1.1 mailbox unavailable"]
    refused = send(home, smtp.port)
    [outcome] = json.loads(refused.stdout)["digests"]
    assert refused.exit_code == 1 and json.loads(refused.stdout)["ok"] is False
    assert (outcome["status"], outcome["subject"]) == ("unconfirmed", "confirmation link not sent")
    delivered = send(home, smtp.port)  # the next run tries again, and succeeds
    assert (
        delivered.exit_code == 0 and json.loads(delivered.stdout)["digests"][0]["subject"] == "confirmation link sent"
    )
    assert len(smtp.received) == 1


def test_digest_recorded_before_a_crash_is_sent_by_the_next_run(
    delivery: Delivery, home: Path, smtp: SmtpServer
) -> None:
    from datetime import UTC, datetime

    user = subscribed(delivery, home)
    now = datetime.fromisoformat(NOW).replace(tzinfo=UTC)
    sub = delivery.store.subscription(user)
    assert sub is not None
    window = window_for(sub.frequency, None, now)
    digest = delivery.composer.compose(user, sub, window)
    message = delivery.message(digest, now)
    record_digest(delivery.ledger, user, window, digest, message)
    delivery.ledger.start_attempt(1)  # ...and the process died while talking to the server
    r = send(home, smtp.port)
    assert r.exit_code == 0 and [d["status"] for d in json.loads(r.stdout)["digests"]] == ["sent"]
    assert [m["Message-ID"] for m in smtp.received] == [message["Message-ID"]]


def test_dry_run_records_and_sends_nothing(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    subscribed(delivery, home)
    r = cli(home, "digest", "send", "--dry-run", "--now", NOW, "--json")
    assert r.exit_code == 0, r.output
    [outcome] = json.loads(r.stdout)["digests"]
    assert outcome["status"] == "would send" and outcome["papers"] == 7
    assert delivery.ledger.history(1) == [] and smtp.received == []


def test_bad_input_is_refused_with_a_message(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    bad = cli(home, "digest", "subscribe", "not-an-address")
    assert bad.exit_code == 2 and "valid email address" in bad.output
    unknown = cli(home, "digest", "subscribe", "nobody@example.org")
    assert unknown.exit_code == 2 and "papersift users create" in unknown.output
    subscribed(delivery, home)
    assert cli(home, "digest", "subscribe", "ada@example.org", "--collection", "Nope").exit_code == 2
    assert cli(home, "digest", "subscribe", "ada@example.org", "--section", "gossip").exit_code == 2
    no_host = cli(home, "digest", "send", "--now", NOW)
    assert no_host.exit_code == 2 and "no SMTP server configured" in no_host.output
    no_tls = cli(home, "digest", "check-smtp", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port))
    assert no_tls.exit_code == 2 and "does not offer STARTTLS" in no_tls.output
    down = send(home, free_port(), "--attempts", "2")
    assert down.exit_code == 1 and json.loads(down.stdout)["digests"][0]["status"] == "failed"
    assert cli(home, "digest", "send", "--dry-run", "--now", "yesterday").exit_code == 2


def test_weekly_digest_and_preview(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    user = subscribed(delivery, home)
    assert cli(home, "digest", "subscribe", user.email, "--frequency", "weekly", "--section", "trending").exit_code == 0
    preview = cli(home, "digest", "preview", user.email, "--now", NOW)
    assert preview.exit_code == 0 and "== Trending today ==" in preview.stdout
    assert "Saved-search" not in preview.stdout
    r = send(home, smtp.port)
    assert json.loads(r.stdout)["digests"][0]["period"] == "2025-W23"
    record = delivery.ledger.history(user.id)[0]
    assert (record.since, record.until) == (D1.replace(day=28, month=5), D2.replace(day=4))

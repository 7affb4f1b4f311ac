"""Finding 10, double opt-in: no digest reaches an address before its owner followed the signed
link mailed to it; end to end through the real SMTP test server (aiosmtpd on loopback), the
real web app and the real `papersift digest send`."""

from __future__ import annotations

import json
import re
import time
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from papersift.context import AppContext
from papersift.deliver.confirm import MAX_CONFIRMATION_MAILS
from papersift.deliver.service import Delivery
from papersift.deliver.tokens import CONFIRM_MAX_AGE, CONFIRM_SALT, confirm_token, unsubscribe_token
from tests.deliver.conftest import delivery_app, make_user
from tests.deliver.fixtures import SmtpServer
from tests.deliver.test_digest_send import send
from tests.web.conftest import csrf, sign_up

BASE = "http://127.0.0.1:8000"
_LINK = re.compile(re.escape(BASE) + r"(/account/confirm\?token=[\w.\-%]+)")
_FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def _subscribe(client: TestClient, csrf_token: str) -> None:
    r = client.post("/account/digest", data={"csrf_token": csrf_token, "frequency": "daily", "section": ["trending"]})
    assert r.status_code == 200 and "Digest settings saved." in r.text


def _link(msg: EmailMessage) -> str:
    match = _LINK.search(msg.get_body(("plain",)).get_content())
    assert match, "no confirmation link in the message"
    return match.group(1)


def _follow(client: TestClient, path: str) -> tuple[int, str]:
    """Open a link as a person does: the page (a GET changes nothing), then its button (CSRF form)."""
    page = client.get(path)
    assert page.status_code == 200
    form = _FORM_TOKEN.search(page.text)
    if form is None:
        return 400, page.text
    r = client.post("/account/confirm", data={"csrf_token": csrf(client, path), "token": form.group(1)})
    return r.status_code, r.text


def _statuses(result: object) -> list[str]:
    return [d["status"] for d in json.loads(result.stdout)["digests"]]  # type: ignore[attr-defined]


def test_only_a_confirmation_goes_out_until_the_link_is_followed(
    ctx: AppContext, delivery: Delivery, smtp: SmtpServer, home: Path
) -> None:
    with TestClient(delivery_app(ctx), follow_redirects=False) as client:
        token = sign_up(client, "ada@example.org")
        _subscribe(client, token)
        assert "confirmation pending" in client.get("/account").text
        ctx.settings.smtp_host = "127.0.0.1"  # the digest page then says what happens to the digest
        assert "confirmation pending" in client.get("/account/digest").text

        first = send(home, smtp.port)  # before the fix: the digest itself went out here
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)["skipped_unconfirmed"] == 1 and _statuses(first) == ["unconfirmed"]
        [msg] = smtp.received
        assert smtp.envelopes == [("digest@example.org", ["ada@example.org"])]
        assert msg["Subject"] == "Confirm your address for papersift digests" and "digest" not in msg["Message-ID"]

        again = send(home, smtp.port)  # no second confirmation mail, still no digest
        assert _statuses(again) == ["unconfirmed"] and len(smtp.received) == 1

        page = client.get(_link(msg))
        assert (
            page.status_code == 200 and delivery.confirmations.is_confirmed(delivery.user("ada@example.org")) is False
        )
        status, text = _follow(client, _link(msg))
        assert status == 200 and "ada@example.org is confirmed" in text
        assert "confirmation pending" not in client.get("/account").text

    sent = send(home, smtp.port)
    assert sent.exit_code == 0 and json.loads(sent.stdout)["skipped_unconfirmed"] == 0
    assert _statuses(sent) == ["sent"]
    assert len(smtp.received) == 2 and smtp.received[1]["Subject"].startswith("Daily papersift digest")


def test_resend_is_bounded_and_the_text_report_counts_skips(
    ctx: AppContext, delivery: Delivery, smtp: SmtpServer, home: Path
) -> None:
    with TestClient(delivery_app(ctx), follow_redirects=False) as client:
        token = sign_up(client, "ada@example.org")
        _subscribe(client, token)
        for n in range(1, MAX_CONFIRMATION_MAILS + 1):
            assert _statuses(send(home, smtp.port)) == ["unconfirmed"] and len(smtp.received) == n
            r = client.post("/account/confirm/resend", data={"csrf_token": token})
            if n < MAX_CONFIRMATION_MAILS:
                assert r.status_code == 200 and "new confirmation link goes out" in r.text
            else:
                assert r.status_code == 429  # a stranger's account cannot turn confirmations into spam
        send(home, smtp.port)
        assert len(smtp.received) == MAX_CONFIRMATION_MAILS
    text = send(home, smtp.port, now="2025-06-05T07:00:00")
    assert json.loads(text.stdout)["skipped_unconfirmed"] == 1


def test_forged_expired_stale_and_other_kinds_of_token_are_refused(
    ctx: AppContext, delivery: Delivery, smtp: SmtpServer, home: Path
) -> None:
    ada = make_user(delivery, "ada@example.org", confirmed=False)
    bob = make_user(delivery, "bob@example.org", confirmed=False)
    secret = delivery.community.secret

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - CONFIRM_MAX_AGE.total_seconds() - 60)

    expired = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT, signer=Old).dumps({"u": ada.id, "e": ada.email})
    genuine = confirm_token(secret, ada.id, ada.email)
    attacks = {
        "forged (other key)": confirm_token(b"not the instance secret", ada.id, ada.email),
        "expired": expired,
        "ada's id with bob's address": confirm_token(b"x" * 32, ada.id, bob.email),
        "an unsubscribe token": unsubscribe_token(secret, ada.id, ada.email),
        "tampered": genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "bob's own token for ada's id": confirm_token(secret, bob.id, bob.email).replace(".", "!", 1),
    }
    with TestClient(delivery_app(ctx), follow_redirects=False) as client:
        for what, token in attacks.items():
            r = client.post("/account/confirm", data={"csrf_token": csrf(client, "/account/signin"), "token": token})
            assert r.status_code == 400 and "not valid" in r.text, what
        assert not delivery.confirmations.is_confirmed(ada) and not delivery.confirmations.is_confirmed(bob)

        # bob's genuine token confirms bob, never ada
        status, _ = _follow(client, f"/account/confirm?token={confirm_token(secret, bob.id, bob.email)}")
        assert status == 200
        assert delivery.confirmations.is_confirmed(bob) and not delivery.confirmations.is_confirmed(ada)

        # a token for ada's old address confirms nothing once the address changed
        with ctx.catalog.engine.begin() as conn:
            from papersift.community.schema import users

            conn.execute(users.update().where(users.c.id == ada.id).values(email="ada@new.example"))
        status, _ = _follow(client, f"/account/confirm?token={genuine}")
        assert status == 400
        moved = delivery.user("ada@new.example")
        assert not delivery.confirmations.is_confirmed(moved)


def test_a_confirmed_address_that_changes_needs_confirming_again(delivery: Delivery, ctx: AppContext) -> None:
    ada = make_user(delivery, "ada@example.org")
    assert delivery.confirmations.is_confirmed(ada)
    from papersift.community.schema import users

    with ctx.catalog.engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == ada.id).values(email="ada@new.example"))
    moved = delivery.user("ada@new.example")
    assert not delivery.confirmations.is_confirmed(moved) and delivery.confirmations.due(moved)


def test_the_cli_says_when_a_subscribed_address_is_unconfirmed(delivery: Delivery, home: Path) -> None:
    from tests.deliver.test_digest_send import cli

    make_user(delivery, "ada@example.org", confirmed=False)
    r = cli(home, "digest", "subscribe", "ada@example.org", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["address_confirmed"] is False
    assert "not confirmed yet" in r.stderr

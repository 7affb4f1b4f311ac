"""Findings 11 and 13: weak passwords, unthrottled sign-up and password change, unbounded
hashing, tokens surviving a password change, missing headers, a world-readable home."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from papersift.community import RateLimited, UserError
from papersift.community import accounts as accounts_module
from papersift.community.accounts import MAX_CONCURRENT_HASHES, MAX_FAILURES_PER_ACCOUNT, MAX_SIGNUPS_PER_CLIENT
from papersift.config import load_settings
from papersift.context import AppContext
from tests.web.conftest import PASSWORD, csrf, sign_up


@pytest.mark.parametrize("weak", ["aaaaaaaa", "password1", "12345678", "qwertyuiop", "iloveyou123"])
def test_common_passwords_are_refused(ctx: AppContext, weak: str) -> None:
    with pytest.raises(UserError, match="too easy to guess"):
        ctx.community.accounts.create_user("ada@example.org", weak)


def test_sign_up_is_rate_limited_per_client(client: TestClient) -> None:
    token = csrf(client, "/account/signup")
    statuses = []
    for i in range(MAX_SIGNUPS_PER_CLIENT + 1):
        r = client.post(
            "/account/signup",
            data={"email": f"u{i}@example.org", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token},
        )
        statuses.append(r.status_code)
        client.cookies.delete("ps_session")
    assert statuses[:MAX_SIGNUPS_PER_CLIENT] == [303] * MAX_SIGNUPS_PER_CLIENT and statuses[-1] == 429


def test_change_password_is_throttled(ctx: AppContext) -> None:
    accounts = ctx.community.accounts
    user = accounts.create_user("ada@example.org", PASSWORD)
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(UserError):
            accounts.change_password(user, "wrong guess", "a brand new passphrase")
    with pytest.raises(RateLimited):
        accounts.change_password(user, PASSWORD, "a brand new passphrase")


def test_a_password_change_revokes_api_tokens(client: TestClient, ctx: AppContext) -> None:
    token = sign_up(client)
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "laptop"})
    assert page.headers["cache-control"] == "no-store"  # the page that shows the new secret
    secret = page.text.split("ps_", 1)[1].split("<", 1)[0].split('"', 1)[0]
    bearer = {"Authorization": f"Bearer ps_{secret}"}
    assert client.get("/api/collections", headers=bearer).status_code == 200
    r = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "an entirely new passphrase",
            "new2": "an entirely new passphrase",
        },
    )
    assert r.status_code == 200 and "API tokens revoked" in r.text
    client.cookies.clear()
    assert client.get("/api/collections", headers=bearer).status_code == 401


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert "camera=()" in r.headers["permissions-policy"] and "strict-transport-security" not in r.headers
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})  # TestClient is not behind a proxy:
    assert "strict-transport-security" not in secure.headers  # forwarded headers are not believed here
    https = TestClient(client.app, base_url="https://testserver")
    assert https.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_the_home_is_private(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    context = AppContext(load_settings(home))
    try:
        context.catalog  # noqa: B018
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
    finally:
        context.close()


def test_concurrent_hashing_is_capped(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 concurrent sign-ins peaked at 2.36 GB (64 MiB of argon2 memory each); at most
    MAX_CONCURRENT_HASHES hashes now run at once."""
    accounts = ctx.community.accounts
    accounts.create_user("ada@example.org", PASSWORD)
    running, peak, lock = 0, 0, threading.Lock()

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(0.01)
                return super().verify(hash, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(accounts, "hasher", CountingHasher())
    threads = [
        threading.Thread(target=accounts.authenticate, args=("ada@example.org", PASSWORD, f"10.0.0.{i}"))
        for i in range(24)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= MAX_CONCURRENT_HASHES == accounts_module._HASH_SLOTS._initial_value  # type: ignore[attr-defined]


class _CountingHasher(PasswordHasher):
    """argon2's hasher, counting the hashes it computes (the expensive, timing-relevant work)."""

    hashes = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)


def test_sign_up_does_not_reveal_which_addresses_have_accounts(client: TestClient, ctx: AppContext) -> None:
    """Before the fix a taken address got 400 "an account with this email already exists" and a
    new one a 303 with a session cookie: anyone could test addresses one by one."""
    accounts = ctx.community.accounts
    accounts.create_user("ada@example.org", PASSWORD)
    hasher = _CountingHasher()
    accounts.hasher = hasher
    token = csrf(client, "/account/signup")
    answers = []
    for address in ("ada@example.org", "bob@example.org"):  # taken, then new
        before = hasher.hashes
        form = {"email": address, "password": "attacker's own passphrase", "csrf_token": token}
        r = client.post("/account/signup", data={**form, "password2": form["password"], "next": "/collections"})
        cookies = sorted(c.split("=", 1)[0] for c in r.headers.get_list("set-cookie"))
        answers.append((r.status_code, r.headers["location"], r.text, cookies, hasher.hashes - before))
        page = client.get(r.headers["location"])
        answers[-1] += (page.status_code, page.text.replace(token, ""))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (303, "/account/signin?next=%2Fcollections&signed_up=1") and answers[0][4] == 1
    assert "ps_session" not in answers[0][3]  # nobody is signed in by a sign-up
    assert accounts.authenticate("ada@example.org", PASSWORD, "owner") is not None  # nothing was changed
    assert accounts.authenticate("ada@example.org", "attacker's own passphrase", "x") is None

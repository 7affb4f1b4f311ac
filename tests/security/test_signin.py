"""Findings 3 and 4: sign-in throttling raced by concurrency, and lock-outs by other people's failures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from papersift.community import RateLimited
from papersift.community.accounts import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_CLIENT
from papersift.context import AppContext
from tests.web.conftest import PASSWORD, csrf, sign_up


def test_concurrent_wrong_passwords_cannot_outrun_the_throttle(ctx: AppContext) -> None:
    """40 simultaneous wrong passwords were all checked; now at most the limit are."""
    accounts = ctx.community.accounts
    accounts.create_user("ada@example.org", PASSWORD)

    def attempt(i: int) -> str:
        try:
            return (
                "checked" if accounts.authenticate("ada@example.org", f"guess {i:04d}", "203.0.113.9") is None else "in"
            )
        except RateLimited:
            return "throttled"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("checked") <= MAX_FAILURES_PER_ACCOUNT
    assert outcomes.count("throttled") >= 40 - MAX_FAILURES_PER_ACCOUNT and "in" not in outcomes


def test_other_peoples_failures_do_not_lock_the_owner_out(ctx: AppContext) -> None:
    accounts = ctx.community.accounts
    accounts.create_user("ada@example.org", PASSWORD)
    for i in range(3 * MAX_FAILURES_PER_ACCOUNT):  # an attacker from several addresses
        try:
            accounts.authenticate("ada@example.org", "wrong wrong", f"198.51.100.{i % 3}")
        except RateLimited:
            pass
    assert accounts.authenticate("ada@example.org", PASSWORD, "192.0.2.1") is not None


def test_one_noisy_neighbour_behind_a_nat_does_not_lock_everyone_out(ctx: AppContext) -> None:
    """20 bad attempts from one address used to lock out every account behind it."""
    accounts = ctx.community.accounts
    accounts.create_user("ada@example.org", PASSWORD)
    for i in range(20):
        try:
            accounts.authenticate(f"victim{i % 4}@example.org", "wrong wrong", "192.0.2.50")
        except RateLimited:
            pass
    assert accounts.authenticate("ada@example.org", PASSWORD, "192.0.2.50") is not None
    assert MAX_FAILURES_PER_CLIENT >= 100  # spraying many accounts from one address is still bounded


def test_the_web_form_answers_429_with_retry_after(client: TestClient) -> None:
    sign_up(client)
    client.cookies.delete("ps_session")
    token = csrf(client)
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        r = client.post("/account/signin", data={"email": "ada@example.org", "password": "bad", "csrf_token": token})
        assert r.status_code == 400
    r = client.post("/account/signin", data={"email": "ada@example.org", "password": "bad", "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0

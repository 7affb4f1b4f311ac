"""`trusted_proxies` against a real `papersift serve` (uvicorn's forwarded_allow_ips): an
X-Forwarded-For header moves the client address the throttles count only when the connection
comes from a listed proxy. Otherwise anyone could dodge a throttle with a fresh header per
attempt, or pin an attack on someone else's address."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from papersift.community.accounts import MAX_FAILURES_PER_ACCOUNT
from tests.community.factories import make_context
from tests.web.test_serve import served

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _signin(client: httpx.Client, token: str, forwarded_for: str) -> int:
    """One wrong-password attempt for the same account, claiming to come from `forwarded_for`."""
    form = {"email": "ada@example.org", "password": "a wrong guess", "csrf_token": token}
    return client.post("/account/signin", data=form, headers={"X-Forwarded-For": forwarded_for}).status_code


def _home(tmp_path: Path, proxies: str) -> tuple[Path, Path]:
    home = tmp_path / "home"
    make_context(home).close()
    config = tmp_path / "papersift.toml"
    config.write_text(f"trusted_proxies = {proxies}\n", "utf-8")
    return home, config


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted-peer", "trusted-peer"])
def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path, trusted: bool) -> None:
    home, config = _home(tmp_path, '["127.0.0.1"]' if trusted else '["192.0.2.1"]')  # we connect from 127.0.0.1
    with served(home, "--config", str(config)) as server, httpx.Client(base_url=server.base, timeout=60) as client:
        match = _CSRF.search(client.get("/account/signin").text)
        assert match
        token = match.group(1)
        for _ in range(MAX_FAILURES_PER_ACCOUNT):
            assert _signin(client, token, "203.0.113.1") == 400
        assert _signin(client, token, "203.0.113.1") == 429  # the same client, trusted or not
        if trusted:
            # the proxy says it is another visitor: a fresh (client, account) pair, not throttled
            assert _signin(client, token, "203.0.113.2") == 400
        else:
            # an untrusted peer's header is ignored: every attempt was 127.0.0.1's, a new header changes nothing
            assert _signin(client, token, "203.0.113.2") == 429

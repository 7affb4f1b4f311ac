"""Web test fixtures: a real SQLite home with demo papers, the real app, helpers to sign up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.web.app import create_app
from tests.community.factories import make_context

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def ctx(home: Path) -> Iterator[AppContext]:
    context = make_context(home)
    yield context
    context.close()


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx), follow_redirects=False) as c:
        yield c


def csrf(client: TestClient, page: str = "/account/signin") -> str:
    """The CSRF token the server embeds in its forms (fetching a page also sets the nonce cookie)."""
    match = _CSRF.search(client.get(page).text)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_up(client: TestClient, email: str = "ada@example.org", password: str = PASSWORD) -> str:
    """Create an account through the real form and sign in with it (sign-up itself never signs in:
    it answers a new and a taken address alike); returns the CSRF token for later writes."""
    token = csrf(client, "/account/signup")
    r = client.post(
        "/account/signup",
        data={"email": email, "password": password, "password2": password, "csrf_token": token},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/account/signin?"), r.text
    r = client.post("/account/signin", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    return token


@pytest.fixture
def signed_in(client: TestClient) -> str:
    return sign_up(client)

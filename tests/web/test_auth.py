"""Sign-up/in/out, cookies, CSRF on every state-changing route, rate limiting, API tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.web.app import ROUTERS, create_app
from tests.web.conftest import PASSWORD, csrf, sign_up


def test_sign_up_then_sign_in_sets_a_hardened_session_cookie(client: TestClient) -> None:
    token = csrf(client, "/account/signup")
    form = {"email": "ada@example.org", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token}
    r = client.post("/account/signup", data={**form, "next": "/collections"})
    assert r.status_code == 303 and r.headers["location"] == "/account/signin?next=%2Fcollections&signed_up=1"
    assert "set-cookie" not in r.headers or "ps_session=" not in r.headers["set-cookie"]
    assert "account is ready" in client.get(r.headers["location"]).text
    r = client.post("/account/signin", data={**form, "next": "/collections"})
    assert r.status_code == 303 and r.headers["location"] == "/collections"
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("ps_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert "ada@example.org" in client.get("/account").text


def test_cookies_are_secure_over_https(ctx: AppContext) -> None:
    with TestClient(create_app(ctx), base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/account/signup")
        assert "Secure" in page.headers["set-cookie"]
        token = re.search(r'name="csrf_token" value="(\w+)"', page.text).group(1)
        form = {"email": "a@example.org", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token}
        assert c.post("/account/signup", data=form).status_code == 303
        r = c.post("/account/signin", data=form)
        assert "Secure" in next(v for v in r.headers.get_list("set-cookie") if v.startswith("ps_session="))


def test_sign_up_errors_are_shown_and_escaped(client: TestClient) -> None:
    token = csrf(client, "/account/signup")
    r = client.post(
        "/account/signup",
        data={"email": "<b>x</b>", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 400 and "valid email" in r.text and 'value="&lt;b&gt;x&lt;/b&gt;"' in r.text
    r = client.post(
        "/account/signup",
        data={"email": "a@example.org", "password": PASSWORD, "password2": "different!", "csrf_token": token},
    )
    assert r.status_code == 400 and "passwords differ" in r.text


def test_sign_in_out_and_open_redirects(client: TestClient) -> None:
    sign_up(client)
    client.cookies.delete("ps_session")
    token = csrf(client)
    bad = client.post(
        "/account/signin", data={"email": "ada@example.org", "password": "nope nope", "csrf_token": token}
    )
    assert bad.status_code == 400 and "wrong email or password" in bad.text
    ok = client.post(
        "/account/signin",
        data={
            "email": "ada@example.org",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert client.get("/account").status_code == 200
    out = client.post("/account/signout", data={"csrf_token": token})
    assert out.status_code == 303
    assert client.get("/account").headers["location"] == "/account/signin?next=/account"


def test_sign_in_is_rate_limited(client: TestClient) -> None:
    sign_up(client)
    client.cookies.delete("ps_session")
    token = csrf(client)
    for _ in range(5):
        client.post("/account/signin", data={"email": "ada@example.org", "password": "bad pass", "csrf_token": token})
    r = client.post("/account/signin", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "Retry-After" in r.headers and "too many" in r.text


def test_password_change(client: TestClient, signed_in: str) -> None:
    r = client.post(
        "/account/password",
        data={
            "current": "wrong one!",
            "new": "new password 1",
            "new2": "new password 1",
            "csrf_token": signed_in,
        },
    )
    assert r.status_code == 400 and "not correct" in r.text
    r = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "new password 1",
            "new2": "new password 1",
            "csrf_token": signed_in,
        },
    )
    assert r.status_code == 200 and "Password changed" in r.text
    assert client.get("/account").status_code == 200  # this session survives


def _example_path(route: APIRoute) -> str:
    path = route.path
    for name, value in (("{paper_id:path}", "2405.00001"), ("{collection_id}", "1"), ("{token_id}", "1")):
        path = path.replace(name, value)
    return path


def test_every_state_changing_route_requires_csrf(client: TestClient, signed_in: str) -> None:
    """Walk the app's routes: no unsafe method may succeed with a session cookie but no token."""
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    unsafe = [(m, _example_path(r)) for r in routes for m in r.methods if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert len(unsafe) >= 15
    for method, path in unsafe:
        for extra in ({}, {"headers": {"X-CSRF-Token": "0" * 64}}):
            r = client.request(method, path, data={"csrf_token": "forged"} if not extra else None, **extra)
            assert r.status_code == 403, (method, path, r.status_code)
    # ... and GET never changes state: there is no GET route for votes
    assert client.get("/api/papers/2405.00001/vote").status_code == 404


def test_a_token_from_another_browser_is_rejected(ctx: AppContext, client: TestClient, signed_in: str) -> None:
    with TestClient(create_app(ctx)) as other:
        foreign = csrf(other)
    r = client.post("/papers/2405.00001/vote", data={"csrf_token": foreign})
    assert r.status_code == 403


def test_api_tokens_from_the_account_page(client: TestClient, signed_in: str) -> None:
    r = client.post("/account/tokens", data={"name": "script", "csrf_token": signed_in})
    secret = re.search(r'id="new-token">(ps_[\w-]+)<', r.text).group(1)
    anonymous = TestClient(client.app)
    r = anonymous.post("/api/papers/2405.00001/vote", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.json() == {"paper_id": "2405.00001", "upvotes": 1, "voted": True}
    assert secret not in client.get("/account").text  # shown once only
    token_id = re.search(r"/account/tokens/(\d+)/delete", client.get("/account").text).group(1)
    client.post(f"/account/tokens/{token_id}/delete", data={"csrf_token": signed_in})
    r = anonymous.post("/api/papers/2405.00001/vote", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("url", ["/account", "/collections"])
def test_account_pages_redirect_anonymous_users(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/signin?next=")

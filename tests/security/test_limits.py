"""Findings 2 and 6: unbounded search filters and request bodies of any size."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient

from papersift.context import AppContext


def test_more_filters_than_the_cap_get_a_clear_422(client: TestClient, ctx: AppContext) -> None:
    cap = ctx.settings.max_filters
    many = [("category", f"cs.X{i}") for i in range(cap + 1)]
    for path in ("/search", "/api/search"):
        r = client.get(path, params=[("q", "robots"), ("mode", "lexical"), *many])
        assert r.status_code == 422, (path, r.status_code)
        assert f"at most {cap} category filters per search, got {cap + 1}" in r.text
    authors = [("author", f"Person {i}") for i in range(cap + 1)]
    assert client.get("/api/search", params=[("q", "x"), *authors]).status_code == 422


def test_the_review_attack_is_refused_fast_and_small(client: TestClient) -> None:
    """1,000 category filters took 20.7 s and 20.6 MB; 4,000 in a 63 KB URL never finished."""
    for n in (250, 1000, 3000):  # (httpx refuses to send a URL of 4,000)
        started = time.monotonic()
        r = client.get("/search", params=[("q", "robots"), *[("category", f"cs.{i:04d}") for i in range(n)]])
        assert r.status_code in (414, 422) and len(r.content) < 20_000
        assert time.monotonic() - started < 5  # generous: refusal does no search work


def test_a_page_at_the_cap_renders_linearly_bounded(client: TestClient, ctx: AppContext) -> None:
    cap = ctx.settings.max_filters
    one = client.get("/search", params=[("q", "robots"), ("mode", "lexical"), ("category", "cs.RO")])
    full = client.get(
        "/search", params=[("q", "robots"), ("mode", "lexical"), *[("category", f"cs.{i:02d}") for i in range(cap)]]
    )
    assert one.status_code == 200 and full.status_code == 200
    assert len(full.content) < len(one.content) + 40_000  # twenty chips, not megabytes


def _page_size(client: TestClient, n: int) -> int:
    filters = [("category", f"zz.C{i:03d}") for i in range(n)] + [("author", f"Person {i:03d}") for i in range(n)]
    r = client.get("/search", params=[("q", "robots"), ("mode", "lexical"), *filters])
    assert r.status_code == 200
    return len(r.content)


def test_the_search_page_grows_linearly_with_its_filters(client: TestClient, ctx: AppContext) -> None:
    """Each filter chip's remove link used to repeat every other filter (with_query per chip): the
    page grew with n², the 10 -> 20 step four times the 5 -> 10 step. Now each filter adds a
    constant: the chip is a button of the form, whose hidden fields list the filters once."""
    ctx.settings.max_filters = 40
    sizes = {n: _page_size(client, n) for n in (5, 10, 20, 40)}
    steps = [sizes[10] - sizes[5], sizes[20] - sizes[10], sizes[40] - sizes[20]]
    assert steps[0] > 0
    assert abs(steps[1] - 2 * steps[0]) <= 0.05 * steps[1], sizes  # linear: double the filters, double the step
    assert abs(steps[2] - 2 * steps[1]) <= 0.05 * steps[2], sizes


def test_a_chip_removes_just_its_filter(client: TestClient) -> None:
    params = [("q", "robots"), ("mode", "lexical"), ("category", "cs.RO"), ("category", "cs.LG")]
    params += [("author", "Ada"), ("from", ""), ("page", "2"), ("drop", "category:cs.RO")]
    r = client.get("/search", params=params)
    assert r.status_code == 303
    assert r.headers["location"] == "/search?q=robots&mode=lexical&category=cs.LG&author=Ada"
    page = client.get(r.headers["location"])
    assert 'name="drop" value="category:cs.LG"' in page.text and 'value="author:Ada"' in page.text
    assert "category:cs.RO" not in page.text


def test_junk_parameters_are_capped(client: TestClient) -> None:
    r = client.get("/api/search", params=[("q", "x"), *[(f"junk{i}", "1") for i in range(150)]])
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_many_parameters"
    r = client.get("/api/search", params={"q": "x", "pad": "a" * 20_000})
    assert r.status_code == 414


def test_oversized_bodies_are_refused_before_they_are_read(client: TestClient, ctx: AppContext) -> None:
    """A 100 MB anonymous JSON POST was parsed before its 401; a 200 MB multipart sign-in was
    spooled to disk before its CSRF 403. The declared length now answers 413 up front."""
    limit = ctx.settings.max_request_body
    body = b"{" + b" " * (limit + 10) + b"}"
    r = client.post("/api/collections", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    r = client.post("/account/signin", files={"f": ("big.bin", b"x" * (limit + 10))})
    assert r.status_code == 413


def test_a_chunked_body_without_length_is_cut_at_the_cap(client: TestClient, ctx: AppContext) -> None:
    """Driven at the ASGI level (TestClient buffers bodies and adds a length): the app must stop
    pulling chunks right after the cap and answer 413."""
    app = client.app
    limit = ctx.settings.max_request_body
    pulled = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"a=" + b"x" * (64 * 1024 - 2), "more_body": pulled < 1000}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/account/signin",
        "raw_path": b"/account/signin",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert pulled * 64 * 1024 <= limit + 64 * 1024  # 1,000 chunks (64 MB) offered, a few read


def test_uploads_have_their_own_larger_cap(client: TestClient, ctx: AppContext) -> None:
    from tests.web.conftest import sign_up

    token = sign_up(client)
    small = b"@misc{a, title={Fine}}\n" + b"%" * (ctx.settings.max_request_body * 2)
    r = client.post(
        "/account/digest/import",
        data={"csrf_token": token, "collection": "C"},
        files={"library": ("a.bib", small, "text/x-bibtex")},
    )
    assert r.status_code == 200, r.text[:300]
    big = b"%" * (ctx.settings.max_upload_body + 1)
    r = client.post(
        "/account/digest/import", data={"csrf_token": token}, files={"library": ("b.bib", big, "text/x-bibtex")}
    )
    assert r.status_code == 413


def test_early_refusals_carry_the_security_headers(client: TestClient, ctx: AppContext) -> None:
    """The 413/414/422 answered before any route ran had no CSP, nosniff or frame headers."""
    from papersift.web.app import SECURITY_HEADERS

    big = b"x" * (ctx.settings.max_request_body + 10)
    refusals = [
        client.post("/account/signin", content=big, headers={"content-type": "application/x-www-form-urlencoded"}),
        client.post("/api/collections", content=big, headers={"content-type": "application/json"}),
        client.get("/search", params={"q": "x", "pad": "a" * 20_000}),
        client.get("/api/search", params=[("q", "x"), *[(f"junk{i}", "1") for i in range(150)]]),
    ]
    assert [r.status_code for r in refusals] == [413, 413, 414, 422]
    for r in refusals:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (r.status_code, name)
    assert refusals[0].headers.get("cache-control") == "no-store"  # a personal path stays uncached


def test_personal_answers_are_never_stored_by_a_shared_cache(client: TestClient, ctx: AppContext) -> None:
    """A proxy cache in front of the site kept `/api/onboarding/*` and `/api/reading` answers (they had no
    `no-store`), so the next visitor behind the same proxy could be served someone else's ratings or
    reading list; and a public page fetched while signed in shows that user's own state."""
    from tests.web.conftest import sign_up

    anonymous = client.get("/")
    assert anonymous.status_code == 200 and "cache-control" not in anonymous.headers
    sign_up(client)
    for path in ("/api/onboarding/ratings", "/api/reading", "/api/collections", "/", "/search?q=retrieval"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers.get("cache-control") == "no-store", path
    feed = client.get("/feeds/trending.atom")  # a public feed keeps its own cache policy
    assert feed.status_code == 200 and feed.headers["cache-control"] == "public, max-age=300"

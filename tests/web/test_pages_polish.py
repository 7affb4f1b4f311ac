"""Issue 12 §5 through the real app (TestClient): feeds and follow on author/category pages, the
paper's BibTeX, the feed's Month link, and an OpenAPI document that lists the digest and feed
routes and declares the bearer-token scheme. The same pages in a real browser:
tests/web/test_browser_pages.py."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.web.app import create_app
from tests.community.factories import DAY1, make_context, paper
from tests.web.conftest import sign_up


def test_author_and_category_pages_link_their_feed_and_follow_into_the_digest(client: TestClient) -> None:
    for path, feed in (
        ("/authors/Alan%20Turing", "/feeds/author/Alan%20Turing.atom"),
        ("/categories/cs.CL", "/feeds/category/cs.CL.atom"),
    ):
        page = client.get(path).text
        assert '<link rel="alternate" type="application/atom+xml" title="papersift: ' in page
        assert f'href="{feed}">' in page and 'class="feed-link" type="application/atom+xml">Atom feed' in page
        assert client.get(feed).headers["content-type"].startswith("application/atom+xml")
        assert f'href="/account/signin?next={path}"' in page  # anonymous: sign in first, then back here
    token = sign_up(client)
    page = client.get("/authors/alan%20turing").text  # any spelling of the name
    assert 'action="/account/digest/follows"' in page and ">Follow</button>" in page
    done = client.post(
        "/account/digest/follows",
        data={"kind": "author", "name": "Alan Turing", "next": "/authors/alan%20turing", "csrf_token": token},
    )
    assert done.status_code == 303 and done.headers["location"] == "/authors/alan%20turing"
    assert "Following ✓" in client.get("/authors/Alan%20Turing").text
    assert "Alan Turing" in client.get("/account/digest").text  # the digest settings list the follow
    evil = client.post(
        "/account/digest/follows",
        data={"kind": "category", "name": "cs.CL", "next": "//evil.example/x", "csrf_token": token},
    )
    assert evil.headers["location"] == "/"  # no open redirect through `next`
    assert "Following ✓" in client.get("/categories/cs.CL").text


def test_paper_page_carries_its_bibtex(client: TestClient) -> None:
    page = client.get("/papers/2405.00002").text
    bib = html.unescape(re.search(r'<pre id="bibtex" class="bibtex">(.*?)</pre>', page, re.S).group(1))  # type: ignore[union-attr]
    assert bib.startswith("@misc{") and "Sparse mixtures of experts" in bib and "2405.00002" in bib
    assert 'data-copy="#bibtex"' in page and "hidden>Copy BibTeX</button>" in page  # shown by copy.js only


def _month_link(client: TestClient) -> str:
    return re.search(r'href="/\?month=([0-9-]+)&sort=\w+" title="([^"]+)"', client.get("/").text).groups()  # type: ignore[union-attr,return-value]


def test_month_opens_the_most_recent_full_month(client: TestClient, tmp_path: Path) -> None:
    assert _month_link(client) == ("2024-04", "April 2024")  # the data stops on 29 May: May is not over
    full: AppContext = make_context(tmp_path / "full", [paper("2405.00001", "Last day of May", DAY1.replace(day=31))])
    with TestClient(create_app(full)) as other:
        assert _month_link(other) == ("2024-05", "May 2024")
    full.close()


def test_openapi_lists_digest_and_feed_routes_and_the_token_scheme(client: TestClient, ctx: AppContext) -> None:
    spec = client.get("/api/openapi.json").json()
    for path in (
        "/api/digest/preview",
        "/api/digest/unsubscribe",
        "/feeds/trending.{fmt}",
        "/feeds/author/{name}.{fmt}",
    ):
        assert path in spec["paths"], path
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"bearerAuth": []} in spec["security"]
    assert "application/atom+xml" in spec["paths"]["/feeds/trending.{fmt}"]["get"]["responses"]["200"]["content"]
    assert client.get("/api/digest/preview").status_code == 401
    user = ctx.community.accounts.create_user("grace@example.org", "correct horse battery")
    _, secret = ctx.community.accounts.create_token(user, "docs test")
    preview = client.get("/api/digest/preview", headers={"Authorization": f"Bearer {secret}"})
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["frequency"] == "daily" and body["until"] == "2024-05-29"  # composed as of the newest data
    assert any(s["papers"] for s in body["sections"])
    assert client.post("/api/digest/unsubscribe?token=forged").status_code == 400

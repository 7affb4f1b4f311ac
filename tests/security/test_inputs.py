"""Findings 7, 8 and 9: unbounded ids (500s), raw input in a header, non-web links rendered."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.paper import Paper, make_paper, web_link
from tests.web.conftest import sign_up


@pytest.mark.parametrize("number", ["10" + "0" * 22, str(10**30), "99999999999"])
def test_huge_ids_are_404_or_422_not_500(client: TestClient, number: str) -> None:
    token = sign_up(client)
    r = client.post(f"/account/digest/searches/{number}/delete", data={"csrf_token": token})
    assert r.status_code == 422
    r = client.post("/account/digest", data={"csrf_token": token, "frequency": "daily", "collection": [number]})
    assert r.status_code == 422


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 40, "0", "-1"])
def test_odd_collection_numbers_in_a_form_are_404(client: TestClient, value: str) -> None:
    token = sign_up(client)
    r = client.post("/papers/2506.00001/collect", data={"csrf_token": token, "collection_id": value})
    assert r.status_code == 404


def test_crlf_in_next_cannot_split_the_hx_redirect_header(client: TestClient) -> None:
    """An anonymous htmx vote with CR/LF in `next` made h11 drop the connection."""
    token = client.get("/account/signin").text.split('name="csrf_token" value="')[1][:64]
    r = client.post(
        "/papers/2506.00001/vote",
        data={"csrf_token": token, "next": "/x\r\nSet-Cookie: owned=1"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    target = r.headers["HX-Redirect"]
    assert "\r" not in target and "\n" not in target and target.startswith("/account/signin?next=")
    assert "owned" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>", "//evil.example/x", "x"]
)
def test_non_web_links_are_dropped_at_ingest_and_in_pages(client: TestClient, ctx: AppContext, url: str) -> None:
    assert web_link(url) is None
    ingested = make_paper(source="test", title="Links", arxiv_id="2506.09999", links={"code": url, "project": url})
    assert set(ingested.links) == {"abs", "pdf"}
    assert Paper.from_dict({**ingested.to_dict(), "links": {"code": url}}).links == {}
    # a record stored before this fix still renders no such link
    stored = ctx.catalog.get("2506.00001")
    assert stored is not None
    ctx.catalog.rewrite([replace(stored, links={**stored.links, "code": url, "project": url})])
    page = client.get("/papers/2506.00001").text
    assert ">Code<" not in page and ">Project page<" not in page and f'href="{url}' not in page
    assert web_link("https://github.com/example/x") == "https://github.com/example/x"


def test_a_nul_character_is_refused_not_a_500(client: TestClient) -> None:
    """Found by the route fuzz once it ran on PostgreSQL, whose text columns cannot hold NUL:
    a vote on `/api/papers/%00/vote`, a collection named "\\x00" and feedback on paper "\\x00"
    were 500s there (SQLite stores the character)."""
    token = sign_up(client)
    assert client.post("/api/papers/%00/vote", headers={"X-CSRF-Token": token}).status_code in (404, 422)
    r = client.post("/collections", data={"csrf_token": token, "name": "\x00", "description": "", "public": "true"})
    assert r.status_code in (303, 422)
    r = client.post("/recommendations/feedback", data={"csrf_token": token, "paper_id": "\x00", "action": "undo"})
    assert r.status_code in (303, 404, 422)

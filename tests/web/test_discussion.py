"""Discussion through the web: the JSON API, the paper page's forms, the Atom feed, and the
attacks (stored XSS, CSRF, editing someone else's comment, banned and hidden)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.paper import Popularity
from tests.web.conftest import csrf, sign_up

ATOM = "{http://www.w3.org/2005/Atom}"
XSS = [
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![pixel](https://tracker.example/p.gif)",
    '"><svg onload=alert(1)>',
]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from an HTML fragment."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _assert_inert(html: str) -> None:
    for tag, attrs in _Elements(html).found:
        assert tag not in {"script", "img", "svg", "iframe"}, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), (tag, value)


def _bearer(client: TestClient, email: str) -> dict[str, str]:
    accounts = client.app.state.web.community.accounts  # type: ignore[attr-defined]
    user = accounts.create_user(email, "correct horse battery")
    _, secret = accounts.create_token(user, "t")
    return {"Authorization": f"Bearer {secret}"}


def test_api_threads_edit_delete_report(client: TestClient) -> None:
    ada, bob = _bearer(client, "ada@example.org"), _bearer(client, "bob@example.org")
    assert client.post("/api/discussion/2405.00001", json={"text": "hi"}).status_code == 401
    top = client.post("/api/discussion/2405.00001", json={"text": "Is **this** new?"}, headers=ada)
    assert top.status_code == 201, top.text
    cid = top.json()["id"]
    assert top.json()["author"] == "ada" and "<strong>this</strong>" in top.json()["html"]
    reply = client.post("/api/discussion/2405.00001", json={"text": "Yes", "parent_id": cid}, headers=bob).json()
    assert reply["parent_id"] == cid
    assert (
        client.post("/api/discussion/2405.00002", json={"text": "x", "parent_id": cid}, headers=bob).status_code == 404
    )
    assert client.post("/api/discussion/nope", json={"text": "x"}, headers=bob).status_code == 404
    body = client.get("/api/discussion/2405.00001", headers=ada).json()
    assert body["count"] == 2 and body["external_comments"] == 0 and body["feed"] == "/feeds/discussion/2405.00001.atom"
    [thread] = body["threads"]
    assert thread["comment"]["mine"] and not thread["replies"][0]["mine"]
    assert "ada@" not in str(body)  # authors are display names, never addresses
    # only the author edits or deletes
    assert client.patch(f"/api/comments/{cid}", json={"text": "hijack"}, headers=bob).status_code == 403
    assert client.delete(f"/api/comments/{cid}", headers=bob).status_code == 403
    assert client.patch(f"/api/comments/{cid}", json={"text": "Is it new?"}, headers=ada).json()["edited_at"]
    assert client.post(f"/api/comments/{cid}/report", json={"reason": "off topic"}, headers=bob).status_code == 204
    assert client.delete(f"/api/comments/{cid}", headers=ada).status_code == 204
    [thread] = client.get("/api/discussion/2405.00001").json()["threads"]
    assert thread["comment"]["deleted"] and thread["comment"]["text"] == "" and len(thread["replies"]) == 1
    # bounded sizes
    big = client.post("/api/discussion/2405.00001", json={"text": "x" * 5001}, headers=ada)
    assert big.status_code == 422


def test_api_rate_limit_ban_and_hide(client: TestClient) -> None:
    ada = _bearer(client, "ada@example.org")
    community = client.app.state.web.community  # type: ignore[attr-defined]
    for i in range(10):
        assert (
            client.post("/api/discussion/2405.00002", json={"text": f"remark {i} said"}, headers=ada).status_code == 201
        )
    limited = client.post("/api/discussion/2405.00002", json={"text": "more"}, headers=ada)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    [first, *_] = community.discussion.threads("2405.00002")
    community.discussion.set_hidden(first.comment.id)
    listed = client.get("/api/discussion/2405.00002").json()
    assert listed["count"] == 9 and first.comment.id not in [t["comment"]["id"] for t in listed["threads"]]
    # (a distinctive text: "c0" also occurs in random CSRF tokens and ETags)
    assert "remark 0 said" not in client.get("/papers/2405.00002").text
    assert "remark 0 said" not in client.get("/feeds/discussion/2405.00002.atom").text
    assert "remark 1 said" in client.get("/papers/2405.00002").text
    assert client.patch(f"/api/comments/{first.comment.id}", json={"text": "x"}, headers=ada).status_code == 404
    bob = _bearer(client, "bob@example.org")
    bob_user = community.accounts.get_user("bob@example.org")
    community.discussion.set_banned(bob_user.id)
    refused = client.post("/api/discussion/2405.00001", json={"text": "let me in"}, headers=bob)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "banned"


def test_stored_xss_replay_on_page_api_and_feed(client: TestClient) -> None:
    """Attack strings posted as comments come back as text on the page, in the API's html and
    in the Atom feed: no element, attribute or URL scheme of theirs survives."""
    ada = _bearer(client, "ada@example.org")
    for attack in XSS:
        assert client.post("/api/discussion/2405.00003", json={"text": attack}, headers=ada).status_code == 201
    page = client.get("/papers/2405.00003").text
    discussion = page[page.index('id="discussion-h"') :]
    assert "<script>alert('xss')" not in discussion and "&lt;script&gt;alert(" in discussion
    _assert_inert(discussion)
    for thread in client.get("/api/discussion/2405.00003").json()["threads"]:
        _assert_inert(thread["comment"]["html"])
    feed = client.get("/feeds/discussion/2405.00003.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    for entry in ET.fromstring(feed.content).iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.text is not None
        _assert_inert(content.text)


def test_page_forms_with_csrf(client: TestClient) -> None:
    token = sign_up(client)
    no_csrf = client.post("/papers/2405.00001/comments", data={"body": "forged"})
    assert no_csrf.status_code == 403
    posted = client.post("/papers/2405.00001/comments", data={"body": "From the *form*", "csrf_token": token})
    assert posted.status_code == 303 and re.fullmatch(r"/papers/2405\.00001#comment-\d+", posted.headers["location"])
    cid = int(posted.headers["location"].rsplit("-", 1)[1])
    page = client.get("/papers/2405.00001").text
    assert "<em>form</em>" in page and f'action="/comments/{cid}/edit"' in page and "1 comment here" in page
    reply = client.post(
        "/papers/2405.00001/comments", data={"body": "self reply", "parent_id": str(cid), "csrf_token": token}
    )
    assert reply.status_code == 303
    edited = client.post(f"/comments/{cid}/edit", data={"body": "Edited", "csrf_token": token})
    assert edited.status_code == 303 and "(edited)" in client.get("/papers/2405.00001").text
    assert client.post(f"/comments/{cid}/delete", data={}).status_code == 403  # no CSRF token
    assert client.post(f"/comments/{cid}/delete", data={"csrf_token": token}).status_code == 303
    assert "Comment deleted by its author." in client.get("/papers/2405.00001").text
    client.cookies.clear()
    anon = client.post("/papers/2405.00001/comments", data={"body": "anon", "csrf_token": csrf(client)})
    assert anon.status_code == 303 and anon.headers["location"].startswith("/account/signin")


def test_feed_and_external_comment_count(client: TestClient, ctx: AppContext) -> None:
    paper = ctx.catalog.get("2405.00004")
    assert paper is not None
    paper.popularity.append(Popularity("hf-daily", date(2024, 5, 28), comments=7))
    ctx.catalog.upsert([paper])
    page = client.get("/papers/2405.00004").text
    assert "HF 7 comments" in page and "0 comments here" in page
    ada = _bearer(client, "ada@example.org")
    client.post("/api/discussion/2405.00004", json={"text": "first"}, headers=ada)
    assert client.get("/api/discussion/2405.00004").json()["external_comments"] == 7
    assert client.get("/api/discussion/2405.00004").json()["count"] == 1  # never mixed
    feed = client.get("/feeds/discussion/2405.00004.atom")
    root = ET.fromstring(feed.content)
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Comment by ada"
    link = entry.find(f"{ATOM}link")
    assert link is not None and re.search(r"/papers/2405\.00004#comment-\d+$", link.attrib["href"])
    again = client.get("/feeds/discussion/2405.00004.atom", headers={"If-None-Match": feed.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/feeds/discussion/hep-th/9901001.atom").status_code == 200
    assert client.get("/feeds/discussion/nope.atom").status_code == 404

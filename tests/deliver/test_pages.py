"""Digest settings, preview, recommendations and unsubscribe pages through the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.deliver.tokens import unsubscribe_token
from papersift.paper import nice_date
from tests.deliver.conftest import delivery_app
from tests.web.conftest import csrf, sign_up

BIB = """@article{good1,
  title = {Learning dexterous grasping with tactile feedback for robot hands},
  author = {Franklin, Rosalind},
  eprint = {2506.00001},
  year = {2025}
}
@article{broken,
  title = {Unclosed brace
@misc{good2,
  title = {A paper only this library knows},
  author = {Doe, Jane},
  year = 2024
}
"""


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(delivery_app(ctx), follow_redirects=False) as c:
        yield c


def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/account/digest", "/account/digest/preview", "/recommendations"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/account/signin")


def test_settings_forms(client: TestClient, ctx: AppContext) -> None:
    token = sign_up(client)
    page = client.get("/account/digest")
    # no mail server: the page must not claim digests are emailed (issue 12)
    assert page.status_code == 200 and "no mail server configured" in page.text and "You receive" not in page.text
    ctx.settings.smtp_host = "127.0.0.1"
    assert "You receive no digest." in client.get("/account/digest").text
    r = client.post(
        "/account/digest", data={"csrf_token": token, "frequency": "weekly", "section": ["trending", "searches"]}
    )
    assert r.status_code == 200 and "Digest settings saved." in r.text
    sub = Delivery(ctx).store.subscription(Delivery(ctx).user("ada@example.org"))
    assert sub and (sub.frequency, sub.sections, sub.active) == ("weekly", ("searches", "trending"), True)
    assert client.post("/account/digest", data={"frequency": "weekly"}).status_code == 403  # no CSRF token
    bad = client.post("/account/digest/searches", data={"csrf_token": token, "q": "foo:bar"})
    assert bad.status_code == 400 and "unknown field" in bad.text.lower()
    ok = client.post("/account/digest/searches", data={"csrf_token": token, "q": "<b>robots</b>", "mode": "lexical"})
    assert "Saved the search" in ok.text and "<b>robots</b>" not in ok.text and "&lt;b&gt;robots" in ok.text
    assert "/feeds/search.atom?q=%3Cb%3Erobots%3C/b%3E" in ok.text
    client.post("/account/digest/follows", data={"csrf_token": token, "kind": "category", "name": "cs.RO"})
    assert 'Category: <a href="/categories/cs.RO">cs.RO</a>' in client.get("/account/digest").text
    client.post("/account/digest/follows/delete", data={"csrf_token": token, "kind": "category", "key": "cs.RO"})
    assert "Category:" not in client.get("/account/digest").text
    stop = client.post("/account/digest", data={"csrf_token": token, "action": "stop"})
    assert "Digests stopped." in stop.text


def test_preview_and_recommendations_with_not_interested(client: TestClient, ctx: AppContext) -> None:
    token = sign_up(client)
    delivery = Delivery(ctx)
    user = delivery.user("ada@example.org")
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    recs = client.get(f"/recommendations?collection={robots.id}")
    assert recs.status_code == 200
    first = re.findall(r'href="/papers/([^"]+)"', recs.text)
    assert first[:2] in (["2506.00004", "2506.00005"], ["2506.00005", "2506.00004"])
    assert "in your collection Robots" in recs.text and "2506.00001" not in first
    r = client.post(
        "/recommendations/feedback",
        data={"csrf_token": token, "paper_id": "2506.00005", "next": f"/recommendations?collection={robots.id}"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/recommendations?collection={robots.id}"
    after = client.get(f"/recommendations?collection={robots.id}").text
    shown = re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)"', after)
    assert "2506.00005" not in shown and "Marked “not interested”" in after
    client.post("/recommendations/feedback", data={"csrf_token": token, "paper_id": "2506.00005", "action": "undo"})
    assert delivery.feedback.not_interested_ids(user) == []
    assert (
        client.post("/recommendations/feedback", data={"csrf_token": token, "paper_id": "9999.99999"}).status_code
        == 404
    )
    assert client.get("/recommendations?collection=999").status_code == 404
    # the clock is past the catalog's newest papers (June 2025): the preview is composed as of
    # the newest listing day and says so, instead of an empty "nothing new" (issue 12)
    client.app.state.web.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]
    preview = client.get("/account/digest/preview")
    assert preview.status_code == 200 and "Your next digest" in preview.text
    newest = ctx.catalog.newest_date()
    assert newest is not None and f"newest papers are from {nice_date(newest)}" in preview.text
    assert "no digest would be sent" not in preview.text


def test_unsubscribe_page_and_one_click(client: TestClient, ctx: AppContext) -> None:
    sign_up(client)
    delivery = Delivery(ctx)
    user = delivery.user("ada@example.org")
    delivery.store.subscribe(user)
    token = unsubscribe_token(delivery.community.secret, user.id, user.email)
    page = client.get(f"/digest/unsubscribe?token={token}")
    assert page.status_code == 200 and "Stop sending" in page.text
    assert delivery.store.subscription(user).active  # type: ignore[union-attr]  # GET changes nothing
    form_token = csrf(client, f"/digest/unsubscribe?token={token}")
    done = client.post("/digest/unsubscribe", data={"csrf_token": form_token, "token": token})
    assert done.status_code == 200 and "will receive no more digests" in done.text
    assert not delivery.store.subscription(user).active  # type: ignore[union-attr]
    assert client.get(f"/api/digest/unsubscribe?token={token}").headers["location"].startswith("/digest/unsubscribe")
    anonymous = TestClient(client.app)
    assert anonymous.post(f"/api/digest/unsubscribe?token={token}x").status_code == 400
    assert (
        anonymous.post("/api/digest/unsubscribe?token=" + unsubscribe_token(b"0" * 64, user.id, user.email)).status_code
        == 400
    )
    bad = client.post("/digest/unsubscribe", data={"csrf_token": form_token, "token": "forged"})
    assert bad.status_code == 400 and "not valid" in bad.text


def test_bibtex_import_keeps_good_entries_and_reports_bad_lines(client: TestClient, ctx: AppContext) -> None:
    token = sign_up(client)
    r = client.post(
        "/account/digest/import",
        data={"csrf_token": token, "collection": "Zotero"},
        files={"library": ("my.bib", BIB.encode(), "text/x-bibtex")},
    )
    assert r.status_code == 200, r.text
    assert (
        "2 paper(s) added to &#39;Zotero&#39;; 1 of them not in this site&#39;s catalog (kept private to your"
        " library); 1 broken entry skipped"
    ) in r.text
    assert re.search(r"library\.bib:7: broken BibTeX block", r.text)
    delivery = Delivery(ctx)
    user = delivery.user("ada@example.org")
    [zotero] = delivery.community.collections.owned(user)
    assert delivery.community.collections.paper_ids(zotero.id) == ["2506.00001"]  # the other entry stays private


def test_preview_at_an_injected_time_shows_the_exact_sections(client: TestClient, ctx: AppContext) -> None:
    """At 4 June 2025 the daily window is 3-4 June: 9 papers (fixtures.py), spread over the four
    sections in their fixed order, each paper once."""
    client.app.state.web.clock = lambda: datetime(2025, 6, 4, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    token = sign_up(client)
    client.post("/account/digest/searches", data={"csrf_token": token, "q": '"language models"', "mode": "lexical"})
    client.post("/account/digest/follows", data={"csrf_token": token, "kind": "category", "name": "cs.GT"})
    delivery = Delivery(ctx)
    user = delivery.user("ada@example.org")
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    page = client.get("/account/digest/preview")
    assert page.status_code == 200
    assert "<strong>Daily papersift digest, 4 Jun 2025: 7 new papers</strong> (3 Jun 2025 – 4 Jun 2025)" in page.text
    sections = [
        (title, set(re.findall(r'class="digest-title" href="/papers/([^"]+)"', body)))
        for title, body in re.findall(r"<h2>(.*?)</h2>(.*?)</section>", page.text, re.S)
    ]
    # 2506.00003 is in the collection; 2506.00021 (3 June) is not trending *today*: neither is shown
    assert sections == [
        ("New for your saved search “&#34;language models&#34;”", {"2506.00012", "2506.00013", "2506.00014"}),
        ("Followed authors and categories", {"2506.00023"}),
        ("New recommendations", {"2506.00004", "2506.00005"}),
        ("Trending today", {"2506.00022"}),
    ]
    text = client.get("/account/digest/preview?format=text").text
    headings = re.findall(r"^== (.*) ==$", text, re.M)
    assert headings == [title for title, _ in sections]
    assert "Why: in cs.GT, which you follow\n   /papers/2506.00023" in text

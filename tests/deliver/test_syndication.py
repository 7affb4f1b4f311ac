"""Atom/RSS feeds through the real app, parsed back with feedparser; conditional GET."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from tests.community.factories import XSS_TITLE, paper
from tests.deliver.conftest import delivery_app
from tests.deliver.fixtures import D3


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(delivery_app(ctx), follow_redirects=False) as c:
        yield c


def parsed(client: TestClient, url: str) -> feedparser.FeedParserDict:
    r = client.get(url)
    assert r.status_code == 200, r.text
    kind = "atom" if ".atom" in url else "rss"
    assert r.headers["content-type"] == f"application/{kind}+xml; charset=utf-8"
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == ("atom10" if kind == "atom" else "rss20")
    return feed


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_every_feed_parses(client: TestClient, ctx: AppContext, fmt: str) -> None:
    trending = parsed(client, f"/feeds/trending.{fmt}")
    assert [e.link.rsplit("/", 1)[1] for e in trending.entries][:3] == ["2506.00023", "2506.00022", "2506.00014"]
    assert trending.feed.title == "papersift: trending on 4 June 2025"
    search = parsed(client, f"/feeds/search.{fmt}?q=%22language+models%22&mode=lexical")
    assert {e.link.rsplit("/", 1)[1] for e in search.entries} == {
        "2506.00011",
        "2506.00012",
        "2506.00013",
        "2506.00014",
    }
    category = parsed(client, f"/feeds/category/cs.RO.{fmt}")
    assert len(category.entries) == 5 and category.entries[0].title.startswith(("Tactile", "Quadruped"))
    author = parsed(client, f"/feeds/author/Grace%20Hopper.{fmt}")
    assert [e.title for e in author.entries] == ["Equilibrium computation in auctions with budgets"]
    entry = author.entries[0]
    assert entry.author == "Grace Hopper" and entry.tags[0].term == "cs.GT"
    assert entry.link == "http://127.0.0.1:8000/papers/2506.00023"


def test_collection_feed_is_public_only(client: TestClient, ctx: AppContext) -> None:
    from papersift.community import Community

    community = Community(ctx.catalog, ctx.settings.home)
    user = make_user_for(community)
    private = community.collections.create(user, "Mine")
    public = community.collections.create(user, "Reading list", public=True)
    community.collections.add(user, public.id, "2506.00001")
    assert client.get(f"/feeds/collection/{private.id}.atom").status_code == 404
    feed = parsed(client, f"/feeds/collection/{public.id}.atom")
    assert [e.title for e in feed.entries] == ["Learning dexterous grasping with tactile feedback for robot hands"]


def make_user_for(community):  # noqa: ANN001, ANN201
    return community.accounts.create_user("ada@example.org", "correct horse battery")


def test_conditional_get(client: TestClient, ctx: AppContext) -> None:
    first = client.get("/feeds/category/cs.GT.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == "Wed, 04 Jun 2025 00:00:00 GMT"
    assert client.get("/feeds/category/cs.GT.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feeds/category/cs.GT.atom", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get("/feeds/category/cs.GT.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert (
        client.get(
            "/feeds/category/cs.GT.atom", headers={"If-Modified-Since": "Tue, 03 Jun 2025 00:00:00 GMT"}
        ).status_code
        == 200
    )
    # If-None-Match wins over If-Modified-Since
    assert (
        client.get(
            "/feeds/category/cs.GT.atom", headers={"If-None-Match": '"other"', "If-Modified-Since": modified}
        ).status_code
        == 200
    )
    ctx.catalog.upsert(
        [paper("2506.00024", "Mechanism design for fair division", D3, cats=("cs.GT",), authors=("Grace Hopper",))]
    )
    changed = client.get("/feeds/category/cs.GT.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_feed_errors_and_escaping(client: TestClient, ctx: AppContext) -> None:
    assert client.get("/feeds/category/nope.atom").status_code == 404
    assert client.get("/feeds/author/Nobody.atom").status_code == 404
    assert client.get("/feeds/trending.json").status_code == 404
    assert client.get("/feeds/search.atom").status_code == 422
    assert client.get("/feeds/search.atom?q=foo:bar").status_code == 422
    ctx.catalog.upsert(
        [paper("2506.00030", XSS_TITLE + "\x0c", D3, cats=("cs.CR",), abstract="<b>bold</b> & \x01 control")]
    )
    r = client.get("/feeds/category/cs.CR.rss")
    assert b"<script>" not in r.content and b"&lt;script&gt;" in r.content
    assert feedparser.parse(r.content).entries[0].title == XSS_TITLE

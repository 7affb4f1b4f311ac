"""Atom / RSS feeds: trending today, any search, a category, an author, a public collection.

Every feed answers conditional GETs: the ETag is a hash of the exact bytes (so it changes
exactly when the content does, votes reordering the trending feed included) and
Last-Modified is the newest paper's day; `If-None-Match` wins over `If-Modified-Since` as
RFC 9110 says. Each path ends in `.atom` or `.rss`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from papersift.community.listings import Period
from papersift.deliver.syndication import FEED_SIZE, MEDIA_TYPES, FeedInfo, render_feed
from papersift.paper import Paper
from papersift.query.types import QueryError
from papersift.search.types import Mode
from papersift.urls import author_feed_url, author_url, category_feed_url, category_url
from papersift.web.deps import Problem, WebDep
from papersift.web.views import CollectionId, collection_papers, visible_collection

FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the feed (`.atom`: Atom 1.0, `.rss`: RSS 2.0)",
        "content": {"application/atom+xml": {}, "application/rss+xml": {}},
    },
    304: {"description": "not modified since the ETag / Last-Modified the client sent"},
    404: {"description": "unknown category, author or collection, or a format other than atom/rss (an HTML page)"},
}
router = APIRouter(prefix="/feeds", tags=["feeds"], responses=FEED_RESPONSES, default_response_class=Response)


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise Problem(404, "not_found", "feeds end in .atom or .rss")
    return fmt


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def _not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and modified <= since


def feed_response(
    request: Request, web: WebDep, fmt: str, info: FeedInfo, papers: list[Paper], changed: datetime | None = None
) -> Response:
    """The feed, or 304 Not Modified when the client's copy is current."""
    fmt = _format(fmt)
    body, modified = render_feed(info, papers, fmt, web.ctx.settings.base_url, changed)  # type: ignore[arg-type]
    return conditional_response(request, body, modified, MEDIA_TYPES[fmt])


def conditional_response(request: Request, body: bytes, modified: datetime, media_type: str) -> Response:
    """`body` with an ETag (a hash of the bytes) and Last-Modified, or 304 when the client's copy is current."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": "public, max-age=300",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, etag)
    else:
        since = request.headers.get("if-modified-since")
        fresh = since is not None and _not_modified_since(since, modified)
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)


@router.get("/trending.{fmt}")
def trending(request: Request, web: WebDep, fmt: str) -> Response:
    """The latest day's papers, most upvoted (time-decayed) first."""
    listings = web.community.listings
    day = listings.latest_day()
    items = listings.feed(Period.containing("day", day), "trending", 1, FEED_SIZE, date.today()).items if day else []
    label = f" on {day:%-d %B %Y}" if day else ""
    info = FeedInfo(
        f"papersift: trending{label}",
        "The day's papers ranked by upvotes",
        f"/feeds/trending.{fmt}",
        f"/?date={day.isoformat()}" if day else "/",
    )
    return feed_response(request, web, fmt, info, [r.paper for r in items])


@router.get("/search.{fmt}")
def search(
    request: Request,
    web: WebDep,
    fmt: str,
    q: Annotated[str, Query(max_length=1000)] = "",
    mode: Mode = "hybrid",
) -> Response:
    """The newest of the papers that best match a search (the search page's query syntax)."""
    _format(fmt)
    if not q.strip():
        raise Problem(422, "empty_query", "give a search with ?q=, e.g. /feeds/search.atom?q=cat:cs.CL")
    try:
        page = web.ctx.search.search(q, mode, "date", 1, FEED_SIZE)
    except QueryError as exc:
        raise Problem(422, "invalid_query", str(exc)) from None
    params = urlencode({"q": q, "mode": mode})
    info = FeedInfo(
        f"papersift: {q}",
        f"Newest papers matching the search {q}",
        f"/feeds/search.{fmt}?{params}",
        f"/search?{params}&sort=date",
    )
    return feed_response(request, web, fmt, info, [h.paper for h in page.hits])


@router.get("/category/{category}.{fmt}")
def category(request: Request, web: WebDep, category: str, fmt: str) -> Response:
    """The newest papers of a category (as spelled in the data, e.g. cs.CL)."""
    _format(fmt)
    listing = web.community.listings.by_category(category, "newest", 1, FEED_SIZE, date.today())
    if listing.total == 0:
        raise Problem(404, "category_not_found", f"no papers in category {category[:40]!r}")
    info = FeedInfo(
        f"papersift: {category}",
        f"Newest papers in {category}",
        category_feed_url(category, fmt),
        category_url(category),
    )
    return feed_response(request, web, fmt, info, [r.paper for r in listing.items])


@router.get("/author/{name}.{fmt}")
def author(request: Request, web: WebDep, name: str, fmt: str) -> Response:
    """The newest papers of an author (case and spacing of the name do not matter)."""
    _format(fmt)
    listings = web.community.listings
    display = listings.author_name(name)
    if display is None:
        raise Problem(404, "author_not_found", f"no papers by an author named {name[:100]!r}")
    listing = listings.by_author(name, "newest", 1, FEED_SIZE, date.today())
    info = FeedInfo(
        f"papersift: {display}",
        f"Newest papers by {display}",
        author_feed_url(name, fmt),
        author_url(display),
    )
    return feed_response(request, web, fmt, info, [r.paper for r in listing.items])


@router.get("/collection/{collection_id}.{fmt}")
def collection(request: Request, web: WebDep, collection_id: CollectionId, fmt: str) -> Response:
    """A public collection, most recently added first (private ones are 404, as on the web)."""
    _format(fmt)
    found = visible_collection(web, None, collection_id)
    papers = list(reversed(collection_papers(web, found)))[:FEED_SIZE]
    info = FeedInfo(
        f"papersift: {found.name}",
        found.description or f"Papers in the collection {found.name}",
        f"/feeds/collection/{found.id}.{fmt}",
        f"/collections/{found.id}",
    )
    return feed_response(request, web, fmt, info, papers, found.updated_at.replace(tzinfo=UTC))

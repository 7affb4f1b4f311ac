"""Request-independent view logic shared by the HTML pages and the JSON API, so both surfaces
answer the same question the same way (feeds, paper look-ups, vote state)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Path, Query
from fastapi.responses import Response

from papersift.community import Collection, User
from papersift.community.export import to_bibtex, to_jsonl
from papersift.community.listings import Feed, FeedSort, Listing, Period, parse_period
from papersift.paper import MAX_PAPER_ID_CHARS, Paper
from papersift.query.types import Filters
from papersift.search.types import SearchHit
from papersift.sources.references import to_csl_json, to_ris
from papersift.web.deps import Problem, Web

Page = Annotated[int, Query(ge=1, le=1000, description="1-based page number")]
SortParam = Annotated[FeedSort, Query(description="trending (time-decayed votes), votes, or newest")]
PerPage = Annotated[int, Query(ge=1, le=100, description="results per page")]
MAX_ID = 2**31 - 1  # row ids are 32-bit integers on PostgreSQL; a larger number names nothing
CollectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="collection number")]


def parse_id(text: str) -> int | None:
    """A row id typed by a client (a form field): ASCII digits within MAX_ID, else None.
    (`str.isdigit` accepts "²" and other Unicode digits that int() then rejects.)"""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


Kind = Literal["day", "week", "month"]


@dataclass
class FeedView:
    """A feed page plus what the user has voted on (or an empty catalog)."""

    feed: Feed | None
    voted: set[str]


def load_feed(
    web: Web,
    user: User | None,
    day: str | None,
    week: str | None,
    month: str | None,
    sort: FeedSort,
    page: int,
    per_page: int,
    hide_seen: bool = False,
) -> FeedView:
    """The requested period's feed; with no period, the latest day that has papers. With
    `hide_seen` (and a user), the papers the user marked seen are left out."""
    try:
        period = parse_period(day, week, month)
    except ValueError as exc:
        raise Problem(422, "invalid_period", str(exc)) from None
    listings = web.community.listings
    if period is None:
        latest = listings.latest_day()
        if latest is None:
            return FeedView(None, set())
        period = Period.containing("day", latest)
    hide = web.community.reading.seen_ids(user) if hide_seen and user else set()
    feed = listings.feed(period, sort, page, per_page, date.today(), hide)
    return FeedView(feed, web.community.votes.voted(user, (r.paper.id for r in feed.items)))


def get_paper(web: Web, paper_id: str) -> Paper:
    """The paper for any spelling of its id, or a 404 Problem that says what was looked for."""
    paper = web.ctx.catalog.get(paper_id) if 0 < len(paper_id) <= MAX_PAPER_ID_CHARS else None
    if paper is None:
        raise Problem(404, "paper_not_found", f"no paper with id {paper_id[:MAX_PAPER_ID_CHARS]!r} in this catalog")
    return paper


def listing_voted(web: Web, user: User | None, listing: Listing) -> set[str]:
    return web.community.votes.voted(user, (r.paper.id for r in listing.items))


def period_links(anchor: date, latest: date | None) -> dict[Kind, Period]:
    """The feed's view switcher: the day and week around a date, and its month, unless that month
    is still running (the catalog's latest listing day falls inside it before its end): then the
    most recent full month, so "Month" never opens a month of a few days."""
    links: dict[Kind, Period] = {kind: Period.containing(kind, anchor) for kind in ("day", "week", "month")}
    month = links["month"]
    if latest is not None and month.start <= latest < month.end:
        links["month"] = Period.containing("month", month.start - timedelta(days=1))
    return links


def visible_collection(web: Web, user: User | None, collection_id: int) -> Collection:
    """A collection the user may see; private ones of others look missing (404), never 403."""
    found = web.community.collections.get(collection_id, user)
    if found is None:
        raise Problem(404, "collection_not_found", f"no collection {collection_id} (or it is private)")
    return found


def owned_collection(web: Web, user: User, collection_id: int) -> Collection:
    found = visible_collection(web, user, collection_id)
    if found.owner_id != user.id:
        raise Problem(404, "collection_not_found", f"no collection {collection_id} of yours")
    return found


def collection_papers(web: Web, collection: Collection) -> list[Paper]:
    ids = web.community.collections.paper_ids(collection.id)
    found = web.ctx.catalog.get_many(ids)
    return [found[pid] for pid in ids if pid in found]


EXPORTS = {
    "bibtex": ("bib", "application/x-bibtex"),
    "jsonl": ("jsonl", "application/jsonl"),
    "ris": ("ris", "application/x-research-info-systems"),
    "csl-json": ("json", "application/vnd.citationstyles.csl+json"),
}
ExportFormat = Literal["bibtex", "jsonl", "ris", "csl-json"]


def export_response(web: Web, user: User | None, collection: Collection, fmt: str) -> Response:
    """The collection as a BibTeX, JSON Lines, RIS or CSL-JSON download, with the downloader's
    own private notes on its papers (never the collection owner's, unless they are the same)."""
    papers = collection_papers(web, collection)
    notes = web.community.reading.notes(user) if user else {}
    writers = {"bibtex": to_bibtex, "jsonl": to_jsonl, "ris": to_ris, "csl-json": to_csl_json}
    body = writers[fmt](papers, notes)
    ext, media = EXPORTS[fmt]
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", collection.name).strip("-") or f"collection-{collection.id}"
    return Response(
        body,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


HideSeen = Annotated[bool, Query(description="leave out the papers you marked seen (signed-in users)")]


def without_seen(web: Web, user: User | None, hits: list[SearchHit]) -> tuple[list[SearchHit], int]:
    """A search page's hits without the ones the user marked seen, and how many were left out.
    Search pages come from the index, so this filters the page (its total still counts them)."""
    if user is None:
        return hits, 0
    seen = web.community.reading.seen_among(user, (h.paper.id for h in hits))
    kept = [h for h in hits if h.paper.id not in seen]
    return kept, len(hits) - len(kept)


def make_filters(
    categories: Iterable[str], authors: Iterable[str], date_from: date | None, date_to: date | None, *, limit: int
) -> Filters:
    """Search filters from repeated query parameters; blank values (an empty form field) are dropped.
    At most `limit` of each kind (422 above): each filter costs index work and a link on the page."""
    chosen = {
        name: tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
        for name, values in (("category", categories), ("author", authors))
    }
    for name, values in chosen.items():
        if len(values) > limit:
            raise Problem(422, "too_many_filters", f"at most {limit} {name} filters per search, got {len(values)}")
    return Filters(categories=chosen["category"], authors=chosen["author"], date_from=date_from, date_to=date_to)


def parse_day(value: str | None, name: str) -> date | None:
    """An optional YYYY-MM-DD parameter; empty means absent (what an untouched date input sends)."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Problem(422, "invalid_date", f"{name} must be a date like 2024-05-27, got {value[:40]!r}") from None

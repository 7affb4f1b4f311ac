"""Read-only HTML pages: the daily feed (home), paper, similar papers, author and category pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.catalog.store import author_key
from papersift.community import User
from papersift.community.discussion import MAX_COMMENT_CHARS
from papersift.community.export import to_bibtex
from papersift.community.reading import MAX_NOTE_CHARS, render_note
from papersift.deliver.store import DeliveryStore
from papersift.urls import author_feed_url, category_feed_url, discussion_feed_url, paper_url
from papersift.web.deps import MaybeUser, Problem, Web, WebDep, current_user, render
from papersift.web.views import HideSeen, Page, SortParam, get_paper, listing_voted, load_feed, period_links

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)
PER_PAGE = 30


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    web: WebDep,
    user: MaybeUser,
    day: Annotated[str | None, Query(alias="date")] = None,
    week: str | None = None,
    month: str | None = None,
    sort: SortParam = "trending",
    page: Page = 1,
    hide_seen: HideSeen = False,
) -> HTMLResponse:
    """Daily feed; `?date=`, `?week=` or `?month=` pick the period, latest day with papers by default;
    `?hide_seen=1` leaves out what the signed-in user marked seen."""
    view = load_feed(web, user, day, week, month, sort, page, PER_PAGE, hide_seen)
    anchor = view.feed.period.start if view.feed and view.feed.period else None
    return render(
        web,
        request,
        "home.html",
        view=view,
        sort=sort,
        switcher=period_links(anchor, web.community.listings.latest_day()) if anchor else {},
        hide_seen=hide_seen and user is not None,
    )


@router.get("/papers/{paper_id:path}/similar", response_class=HTMLResponse)
def similar(request: Request, web: WebDep, paper_id: str) -> HTMLResponse:
    """Similar papers with the reason; a fragment for htmx, a full page otherwise."""
    paper = get_paper(web, paper_id)
    hits, note = [], None
    try:
        hits = web.ctx.search.similar(paper.id, limit=8)
    except KeyError:
        note = "This paper is not in the search index yet (run `papersift index`)."
    template = "partials/similar.html" if request.headers.get("hx-request") else "similar.html"
    return render(web, request, template, paper=paper, hits=hits, note=note)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(
    request: Request,
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    reported: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    paper = get_paper(web, paper_id)
    if paper.id != paper_id:  # arXiv:2401.1v2, an old merged id... -> one canonical address
        return RedirectResponse(paper_url(paper.id), 301)
    community = web.community
    mine = community.collections.owned(user) if user else []
    mark = community.reading.mark(user, paper.id) if user else None
    return render(
        web,
        request,
        "paper.html",
        paper=paper,
        upvotes=community.votes.counts([paper.id]).get(paper.id, 0),
        voted=paper.id in community.votes.voted(user, [paper.id]),
        collections=mine,
        in_collections=community.collections.containing(user, paper.id) if user else set(),
        threads=community.discussion.threads(paper.id),
        comment_count=community.discussion.counts([paper.id]).get(paper.id, 0),
        discussion_feed=discussion_feed_url(paper.id),
        max_comment=MAX_COMMENT_CHARS,
        reported=reported,
        mark=mark,
        note_html=render_note(mark.note) if mark and mark.note else "",
        max_note=MAX_NOTE_CHARS,
        bibtex=to_bibtex([paper]),
    )


@router.get("/authors/{name:path}", response_class=HTMLResponse)
def author_page(
    request: Request, web: WebDep, user: MaybeUser, name: str, sort: SortParam = "newest", page: Page = 1
) -> HTMLResponse:
    listings = web.community.listings
    display = listings.author_name(name)
    if display is None:
        raise Problem(404, "author_not_found", f"no papers by an author named {name[:100]!r}")
    listing = listings.by_author(name, sort, page, PER_PAGE, date.today())
    return render(
        web,
        request,
        "listing.html",
        heading=display,
        kind="author",
        listing=listing,
        sort=sort,
        voted=listing_voted(web, user, listing),
        feed_url=author_feed_url(display),
        following=_follows(web, user, "author", author_key(display)),
    )


@router.get("/categories/{category}", response_class=HTMLResponse)
def category_page(
    request: Request, web: WebDep, user: MaybeUser, category: str, sort: SortParam = "newest", page: Page = 1
) -> HTMLResponse:
    listing = web.community.listings.by_category(category, sort, page, PER_PAGE, date.today())
    if listing.total == 0:
        raise Problem(404, "category_not_found", f"no papers in category {category[:40]!r}")
    return render(
        web,
        request,
        "listing.html",
        heading=category,
        kind="category",
        listing=listing,
        sort=sort,
        voted=listing_voted(web, user, listing),
        feed_url=category_feed_url(category),
        following=_follows(web, user, "category", category),
    )


def _follows(web: Web, user: User | None, kind: str, key: str) -> bool:
    """Whether the signed-in user follows this author/category (a section of their digest)."""
    if user is None:
        return False
    return any(f.kind == kind and f.key == key for f in DeliveryStore(web.ctx.catalog.engine).follows(user))

"""The search page. Its URL carries the whole state (query, mode, sort, filters, page), so a
result list can be bookmarked or shared; htmx only swaps the results in place."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.query.types import Filters, QueryError
from papersift.search.types import MODES, SORTS, Mode, Sort
from papersift.web.deps import MaybeUser, WebDep, current_user, render
from papersift.web.templating import without_filters
from papersift.web.views import HideSeen, make_filters, parse_day, without_seen

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)
PER_PAGE = 20
FACET_PARAMS = {"categories": "category", "authors": "author"}  # facet name -> filter parameter
# Every example returns results on the demo corpus and does what its line says
# (tests/search/test_help.py runs them against the engine).
SYNTAX = [
    ("transformer attention", "papers with either word; those with both rank first"),
    ("transformer AND attention", "papers with both words (or: +transformer +attention)"),
    ('"mixture of experts"', "an exact phrase"),
    ("diffusion -image", 'leave out papers with a word (-"a phrase" too)'),
    ("ti:diffusion", "a word in the title (abs: for the abstract)"),
    ('au:"Yann LeCun"', "an author"),
    ("cat:cs.CL", "a category (cat:cs.* for all of cs)"),
    ("year:2025", "a year"),
    ("date:2025-05-01..2025-05-31", "a date range, both ends included (either may be left open)"),
    ("id:2601.16515", "an arXiv id"),
    ("llm AND (rlhf OR dpo) NOT survey", "boolean operators and grouping"),
]


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    web: WebDep,
    user: MaybeUser,
    q: Annotated[str, Query(max_length=1000)] = "",
    mode: Mode = "hybrid",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=50)] = 1,
    category: Annotated[list[str] | None, Query()] = None,
    author: Annotated[list[str] | None, Query()] = None,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    hide_seen: HideSeen = False,
    drop: Annotated[list[str] | None, Query(description="filters to remove: category:X, author:Y")] = None,
) -> Response:
    if drop:  # a filter chip's remove button: go to the same search without it (a clean, shareable URL)
        return RedirectResponse(without_filters(request, drop), 303)
    filters = make_filters(
        category or [],
        author or [],
        parse_day(date_from, "from"),
        parse_day(date_to, "to"),
        limit=web.ctx.settings.max_filters,
    )
    state: dict[str, Any] = {
        "q": q,
        "mode": mode,
        "sort": sort,
        "filters": filters,
        "modes": MODES,
        "sorts": SORTS,
        "syntax": SYNTAX,
        "facet_params": FACET_PARAMS,
        "result": None,
        "error": None,
        "voted": set(),
        "counts": {},
        "hits": [],
        "hide_seen": hide_seen and user is not None,
        "hidden_seen": 0,
    }
    if not (q.strip() or filters != Filters()):
        return render(web, request, "search.html", **state)
    try:
        result = web.ctx.search.search(q, mode, sort, page, PER_PAGE, filters)
    except QueryError as exc:
        return render(web, request, "search.html", 400, **{**state, "error": str(exc), "position": exc.position})
    hits, hidden = without_seen(web, user, result.hits) if hide_seen else (result.hits, 0)
    ids = [h.paper.id for h in hits]
    votes = web.community.votes
    found = {
        "result": result,
        "hits": hits,
        "hidden_seen": hidden,
        "voted": votes.voted(user, ids),
        "counts": votes.counts(ids),
    }
    return render(web, request, "search.html", **{**state, **found})

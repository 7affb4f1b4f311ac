"""The JSON API (read endpoints and votes); collections are in api_collections.py.

Reads are public. Writes need a user: a session cookie plus the X-CSRF-Token header, or a
personal token in `Authorization: Bearer ...`. Every error is `{"error": {"code", "message"}}`
with a 4xx status; paper ids may contain '/' (old arXiv ids), hence the path converters.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from papersift.community.listings import Feed
from papersift.query.types import QueryError
from papersift.search.types import Mode, Sort
from papersift.web.deps import MaybeUser, Problem, SignedIn, Web, WebDep
from papersift.web.schemas import (
    ERRORS,
    FeedOut,
    HitOut,
    PaperOut,
    PeriodOut,
    RankedOut,
    SearchOut,
    SimilarList,
    SimilarOut,
    VoteOut,
    coverage_out,
    paper_out,
)
from papersift.web.views import (
    HideSeen,
    Page,
    PerPage,
    SortParam,
    get_paper,
    load_feed,
    make_filters,
    parse_day,
    without_seen,
)

router = APIRouter(prefix="/api", tags=["papers"], responses=ERRORS)


def _period_out(feed: Feed) -> PeriodOut | None:
    if feed.period is None:
        return None
    p, prev, nxt = feed.period, feed.previous, feed.following
    return PeriodOut(
        kind=p.kind,
        value=p.value,
        start=p.start,
        end=p.end,
        label=p.label,
        previous=prev.value if prev else None,
        next=nxt.value if nxt else None,
    )


@router.get("/daily", response_model=FeedOut)
def daily(
    web: WebDep,
    user: MaybeUser,
    day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    sort: SortParam = "trending",
    page: Page = 1,
    per_page: PerPage = 30,
    hide_seen: HideSeen = False,
) -> FeedOut:
    """Papers of one day, ISO week or month (default: the latest day with papers), ranked."""
    view = load_feed(web, user, day, week, month, sort, page, per_page, hide_seen)
    feed = view.feed
    if feed is None:
        return FeedOut(
            period=None,
            sort=sort,
            day_counts={},
            hidden_seen=0,
            results=[],
            total=0,
            page=page,
            per_page=per_page,
            pages=1,
        )
    return FeedOut(
        period=_period_out(feed),
        sort=sort,
        total=feed.total,
        page=page,
        per_page=per_page,
        pages=feed.pages,
        day_counts={d.isoformat(): n for d, n in feed.day_counts or []},
        hidden_seen=feed.hidden,
        results=[
            RankedOut(paper=paper_out(r.paper, r.local, r.paper.id in view.voted if user else None), score=r.score)
            for r in feed.items
        ],
    )


@router.get("/search", response_model=SearchOut)
def search(
    web: WebDep,
    user: MaybeUser,
    q: Annotated[
        str,
        Query(
            max_length=1000,
            description='query: words, "phrases", ti: abs: au: cat: id: year: date:, AND OR NOT',
        ),
    ],
    category: Annotated[list[str] | None, Query(description="filter: category (repeatable)")] = None,
    author: Annotated[list[str] | None, Query(description="filter: author name (repeatable)")] = None,
    mode: Mode = "hybrid",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=50)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    hide_seen: HideSeen = False,
) -> SearchOut:
    """Search with the query language; results, total, page info, facets and notices. With
    `hide_seen`, this page's results you marked seen are left out (`hidden_seen` of them)."""
    filters = make_filters(
        category or [],
        author or [],
        parse_day(date_from, "from"),
        parse_day(date_to, "to"),
        limit=web.ctx.settings.max_filters,
    )
    try:
        result = web.ctx.search.search(q, mode, sort, page, per_page, filters)
    except QueryError as exc:
        where = f" (at character {exc.position})" if exc.position is not None else ""
        raise Problem(400, "invalid_query", f"{exc}{where}") from None
    hits, hidden = without_seen(web, user, result.hits) if hide_seen else (result.hits, 0)
    ids = [h.paper.id for h in hits]
    counts, voted = web.community.votes.counts(ids), web.community.votes.voted(user, ids)
    return SearchOut(
        query=result.query,
        mode=result.mode,
        sort=sort,
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        facets=result.facets,
        facets_among=result.facets_among,
        notices=result.notices,
        kind=result.kind,
        keyword_matches=result.keyword_matches,
        total_exact=result.total_exact,
        coverage=coverage_out(result.coverage) if result.coverage else None,
        hidden_seen=hidden,
        results=[
            HitOut(
                paper=paper_out(h.paper, counts.get(h.paper.id, 0), h.paper.id in voted if user else None),
                score=h.score,
                snippet=h.snippet,
            )
            for h in hits
        ],
    )


@router.get("/papers/{paper_id:path}/similar", response_model=SimilarList)
def similar(web: WebDep, paper_id: str, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> SimilarList:
    """Papers similar to this one, each with the reason (similarity and shared key terms)."""
    paper = get_paper(web, paper_id)
    try:
        hits = web.ctx.search.similar(paper.id, limit)
    except KeyError:
        raise Problem(404, "not_indexed", f"paper {paper.id!r} is not in the search index yet") from None
    counts = web.community.votes.counts(h.paper.id for h in hits)
    return SimilarList(
        paper_id=paper.id,
        results=[
            SimilarOut(
                paper=paper_out(h.paper, counts.get(h.paper.id, 0)),
                score=h.score,
                measure=h.measure,
                shared_terms=h.shared_terms,
                reason=h.reason,
            )
            for h in hits
        ],
    )


def _vote_out(web: Web, paper_id: str, voted: bool) -> VoteOut:
    return VoteOut(paper_id=paper_id, upvotes=web.community.votes.counts([paper_id]).get(paper_id, 0), voted=voted)


@router.post("/papers/{paper_id:path}/vote", response_model=VoteOut)
def upvote(web: WebDep, user: SignedIn, paper_id: str) -> VoteOut:
    """Upvote (idempotent: a second vote by the same user changes nothing)."""
    paper = get_paper(web, paper_id)
    web.community.votes.vote(user, paper.id)
    return _vote_out(web, paper.id, True)


@router.delete("/papers/{paper_id:path}/vote", response_model=VoteOut)
def undo_vote(web: WebDep, user: SignedIn, paper_id: str) -> VoteOut:
    """Take an upvote back."""
    paper = get_paper(web, paper_id)
    web.community.votes.unvote(user, paper.id)
    return _vote_out(web, paper.id, False)


@router.get("/papers/{paper_id:path}", response_model=PaperOut)
def get_paper_json(web: WebDep, user: MaybeUser, paper_id: str) -> PaperOut:
    """One paper by id (any spelling: `2401.00001v2`, `arXiv:...`, `hep-th/9901001`, a DOI)."""
    paper = get_paper(web, paper_id)
    votes = web.community.votes
    return paper_out(
        paper,
        votes.counts([paper.id]).get(paper.id, 0),
        paper.id in votes.voted(user, [paper.id]) if user else None,
    )

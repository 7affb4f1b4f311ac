"""Related work for a draft: the `/related` page (a CSRF-protected form) and `POST /api/related`.

Both take long text (up to MAX_TEXT_CHARS, outside the query language and its caps) and/or a
BibTeX reference list, plus category/date filters, and show ranked papers with the reason
(closest passage, similarity, shared terms) and cited papers marked. Reading is public, like
search; every input is capped in size before any work is done.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from papersift.query.types import Filters, QueryError
from papersift.search.references import MAX_BIB_BYTES, References, parse_references
from papersift.search.related import MAX_LIMIT, MAX_TEXT_CHARS, RelatedResult
from papersift.urls import RELATED
from papersift.web.deps import Problem, WebDep, current_user, render
from papersift.web.schemas import ERRORS
from papersift.web.views import make_filters, parse_day

router = APIRouter()
MAX_CATEGORIES = 20


class RelatedIn(BaseModel):
    text: str = Field("", max_length=MAX_TEXT_CHARS, description="the draft: abstract, introduction, ...")
    bib: str = Field("", max_length=MAX_BIB_BYTES, description="BibTeX of the draft's references")
    categories: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=MAX_CATEGORIES)
    date_from: date | None = None
    date_to: date | None = None
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    hide_cited: bool = False


class RelatedHitOut(BaseModel):
    id: str
    title: str
    authors: list[str]
    categories: list[str]
    date: str
    url: str
    score: float
    cited: bool = Field(description="the paper is in the given reference list")
    passage: int | None = Field(description="number (from 1) of the input passage it is closest to")
    via_citation: str | None = Field(description="id of the cited paper it is closest to, when that beat every passage")
    similarity: float | None = Field(description="cosine similarity to that passage or cited paper")
    shared_terms: list[str]
    reason: str


class PassageOut(BaseModel):
    number: int
    text: str


class CitedOut(BaseModel):
    id: str
    title: str


class RelatedOut(BaseModel):
    results: list[RelatedHitOut]
    passages: list[PassageOut]
    key_terms: list[str]
    cited: list[CitedOut]
    unmatched_citations: list[str]
    notices: list[str]


def _run(web: WebDep, text: str, bib: str, filters: Filters, limit: int, hide_cited: bool) -> RelatedResult:
    refs = parse_references(bib) if bib.strip() else References()
    result = web.ctx.related.related(text, refs.papers, filters=filters, limit=limit, hide_cited=hide_cited)
    if refs.broken:
        result.notices.append(f"{refs.broken} broken BibTeX entr{'y' if refs.broken == 1 else 'ies'} skipped")
    if refs.truncated:
        result.notices.append(f"only the first {len(refs.papers):,} references were used")
    return result


@router.post("/api/related", response_model=RelatedOut, tags=["papers"], responses=ERRORS)
def related_api(web: WebDep, body: RelatedIn) -> dict[str, Any]:
    """Related work for a draft (text up to 20,000 characters) and/or its BibTeX references."""
    filters = Filters(categories=tuple(body.categories), date_from=body.date_from, date_to=body.date_to)
    try:
        result = _run(web, body.text, body.bib, filters, body.limit, body.hide_cited)
    except QueryError as exc:
        raise Problem(400, "bad_input", str(exc)) from None
    return result.to_dict()


@router.get(RELATED, response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(current_user)])
def related_form(request: Request, web: WebDep) -> HTMLResponse:
    return render(web, request, "related.html", **_state())


@router.post(RELATED, response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(current_user)])
def related_page(
    request: Request,
    web: WebDep,
    text: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    bib: Annotated[str, Form(max_length=MAX_BIB_BYTES)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    date_from: Annotated[str, Form(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Form(alias="to", max_length=10)] = "",
    hide_cited: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    filters = make_filters([category], [], parse_day(date_from, "from"), parse_day(date_to, "to"), limit=1)
    state = _state(text=text, bib=bib, category=category, date_from=date_from, date_to=date_to, hide_cited=hide_cited)
    try:
        result = _run(web, text, bib, filters, 30, hide_cited)
    except QueryError as exc:
        return render(web, request, "related.html", 400, **{**state, "error": str(exc)})
    return render(web, request, "related.html", **{**state, "result": result})


def _state(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "text": "",
        "bib": "",
        "category": "",
        "date_from": "",
        "date_to": "",
        "hide_cited": False,
        "result": None,
        "error": None,
        "max_chars": MAX_TEXT_CHARS,
    }
    return {**base, **values}

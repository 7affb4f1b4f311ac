"""JSON shapes of the API (pydantic models, so /api/docs documents them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from papersift.community import Collection
from papersift.community.trending import external_upvotes
from papersift.paper import Paper
from papersift.search.answer import Coverage
from papersift.search.types import Measure
from papersift.urls import paper_url


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. paper_not_found")
    message: str = Field(description="what went wrong and how to fix it")


class ErrorOut(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in ((401, "not signed in / bad token"), (404, "unknown id"), (422, "malformed parameters"))
}


class PaperOut(BaseModel):
    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    primary_category: str | None
    submitted: date | None
    updated: date | None
    announced: date | None
    latest_version: int | None
    versions: list[dict[str, Any]]
    doi: str | None
    journal_ref: str | None
    comments: str | None
    license: str | None
    links: dict[str, str]
    upvotes: int = Field(description="votes cast on this instance")
    external_upvotes: int = Field(description="largest imported count, e.g. Hugging Face daily-papers upvotes")
    voted: bool | None = Field(None, description="whether the authenticated caller upvoted it")
    url: str


def paper_out(paper: Paper, upvotes: int, voted: bool | None = None) -> PaperOut:
    d = paper.to_dict()
    return PaperOut(
        **{k: d[k] for k in PaperOut.model_fields if k in d},
        upvotes=upvotes,
        external_upvotes=external_upvotes(paper),
        voted=voted,
        url=paper_url(paper.id),
    )


class Paging(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int


class RankedOut(BaseModel):
    paper: PaperOut
    score: float = Field(description="trending score at the period's end (see docs/web.md)")


class PeriodOut(BaseModel):
    kind: str
    value: str
    start: date
    end: date
    label: str
    previous: str | None = Field(description="nearest earlier period with papers")
    next: str | None = Field(description="nearest later period with papers")


class FeedOut(Paging):
    period: PeriodOut | None
    sort: str
    day_counts: dict[str, int]
    hidden_seen: int = Field(0, description="papers of the period left out as seen (hide_seen); not in total")
    results: list[RankedOut]


class HitOut(BaseModel):
    paper: PaperOut
    score: float
    snippet: str = Field(description="HTML: escaped text with matches in <mark>")


class CoverageOut(BaseModel):
    with_vectors: int = Field(description="papers the meaning index has a vector for")
    papers: int = Field(description="papers in the search index")
    percent: float
    partial: bool = Field(description="true: meaning search sees only `with_vectors` papers (run `papersift index`)")
    provisional: int = Field(
        0, description="of `with_vectors`, how many are provisional (fast approximate vectors awaiting the full model)"
    )


def coverage_out(coverage: Coverage) -> CoverageOut:
    return CoverageOut(
        with_vectors=coverage.with_vectors,
        papers=coverage.papers,
        percent=round(coverage.percent, 1),
        partial=coverage.partial,
        provisional=coverage.provisional,
    )


class SearchOut(Paging):
    query: str
    mode: str
    sort: str
    kind: str = Field(
        description='"matches": `total` papers match the query; "nearest": meaning search ranks `total` papers '
        "by closeness (it has no match set)"
    )
    keyword_matches: int | None = Field(
        None,
        description="hybrid: how many of `total` match the query's words; 0 means none did and there are no "
        "results (ask mode=dense for the closest papers by meaning)",
    )
    coverage: CoverageOut | None = Field(None, description="how much of the catalog the meaning index covers")
    total_exact: bool = Field(
        True,
        description='false: `total` and `keyword_matches` are estimates ("about N", two significant digits) '
        "from how many papers contain each word, for OR queries too common to count exactly",
    )
    facets: dict[str, list[tuple[str, int]]]
    facets_among: int | None = Field(
        None,
        description="null: facets count every paper of the answer (hybrid: matches and meaning extras); N: the top N",
    )
    notices: list[str]
    hidden_seen: int = Field(0, description="results of this page left out as seen (hide_seen); still in total")
    results: list[HitOut]


class SimilarOut(BaseModel):
    paper: PaperOut
    score: float
    measure: Measure = Field(description="cosine: embedding similarity; bm25: lexical fallback")
    shared_terms: list[str]
    reason: str


class SimilarList(BaseModel):
    paper_id: str
    results: list[SimilarOut]


class VoteOut(BaseModel):
    paper_id: str
    upvotes: int
    voted: bool


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    public: bool
    owner: str | None = Field(description="owner's email, shown only to the owner (null for others)")
    size: int
    created_at: datetime
    updated_at: datetime
    url: str


def collection_out(c: Collection, viewer_id: int | None) -> CollectionOut:
    return CollectionOut(
        id=c.id,
        name=c.name,
        description=c.description,
        public=c.public,
        owner=c.owner_email if viewer_id == c.owner_id else None,
        size=c.size,
        created_at=c.created_at,
        updated_at=c.updated_at,
        url=f"/collections/{c.id}",
    )


class CollectionDetail(CollectionOut):
    papers: list[PaperOut]


class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    public: bool = False


class CollectionPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    public: bool | None = None


class AddPaperIn(BaseModel):
    paper_id: str = Field(min_length=1, max_length=200)

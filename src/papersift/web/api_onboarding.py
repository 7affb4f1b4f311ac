"""Onboarding in the JSON API: seeds, questions chosen by active learning, and the caller's ratings.

The same service as the pages (discover/onboarding_service.py). Everything is the caller's own
(a session plus the CSRF header, or a bearer token); lists and strings are bounded by the models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from papersift.discover.onboarding import ROUND
from papersift.discover.onboarding_service import MAX_ANSWERS, MAX_CATEGORIES, MAX_SEED_LINE, MAX_SEED_LINES
from papersift.urls import paper_url
from papersift.web.deps import SignedIn, WebDep
from papersift.web.onboarding_pages import onboarding
from papersift.web.schemas import ERRORS
from papersift.web.views import MAX_ID, get_paper

router = APIRouter(prefix="/api/onboarding", tags=["onboarding"], responses=ERRORS)
MAX_QUESTIONS = 20


class Question(BaseModel):
    id: str
    title: str
    authors: list[str]
    abstract: str
    primary_category: str | None
    url: str


class QuestionsOut(BaseModel):
    questions: list[Question] = Field(description="rate these, in this order: where your model is least sure")


class SeedsIn(BaseModel):
    papers: list[Annotated[str, Field(max_length=MAX_SEED_LINE)]] = Field(
        max_length=MAX_SEED_LINES, description="arXiv ids or DOIs, titles, or author names (their newest papers)"
    )


class SeedsOut(BaseModel):
    found: list[str] = Field(description="ids of the papers found, now rated relevant")
    unresolved: list[str]


class RatingIn(BaseModel):
    paper_id: str = Field(min_length=1, max_length=MAX_ID)
    relevant: bool


class RatingsIn(BaseModel):
    ratings: list[RatingIn] = Field(max_length=MAX_ANSWERS)


class RatingOut(BaseModel):
    paper_id: str
    relevant: bool
    created_at: datetime


class RatingsOut(BaseModel):
    ratings: list[RatingOut]
    stored: int | None = Field(None, description="how many of the posted ratings were stored (unknown ids are not)")


@router.get("/questions", response_model=QuestionsOut)
def questions(
    web: WebDep,
    user: SignedIn,
    category: Annotated[list[str], Query(max_length=MAX_CATEGORIES)] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=MAX_QUESTIONS)] = ROUND,
) -> QuestionsOut:
    """The next papers to rate, chosen by active learning (optionally starting from categories)."""
    found = onboarding(web).questions(user, category, limit)
    return QuestionsOut(
        questions=[
            Question(
                id=p.id,
                title=p.title,
                authors=p.authors,
                abstract=p.abstract,
                primary_category=p.primary_category,
                url=paper_url(p.id),
            )
            for p in found
        ]
    )


@router.post("/seeds", response_model=SeedsOut)
def seeds(web: WebDep, user: SignedIn, body: SeedsIn) -> SeedsOut:
    """Papers you like, by id, title or author: each found paper is rated relevant."""
    report = onboarding(web).seed(user, "\n".join(line.replace("\n", " ") for line in body.papers))
    return SeedsOut(found=[p.id for p in report.found], unresolved=report.unresolved)


def _ratings(web: WebDep, user: SignedIn, stored: int | None = None) -> RatingsOut:
    mine = onboarding(web).ratings.of_user(user)
    return RatingsOut(
        ratings=[RatingOut(paper_id=r.paper_id, relevant=r.relevant, created_at=r.created_at) for r in mine],
        stored=stored,
    )


@router.get("/ratings", response_model=RatingsOut)
def list_ratings(web: WebDep, user: SignedIn) -> RatingsOut:
    """Your ratings, newest first (nobody else can see them)."""
    return _ratings(web, user)


@router.post("/ratings", response_model=RatingsOut)
def rate(web: WebDep, user: SignedIn, body: RatingsIn) -> RatingsOut:
    """Store answers (a later answer for the same paper replaces the earlier one)."""
    stored = onboarding(web).answer(user, [(r.paper_id, r.relevant) for r in body.ratings])
    return _ratings(web, user, stored)


@router.delete("/ratings/{paper_id:path}", response_model=RatingsOut)
def unrate(web: WebDep, user: SignedIn, paper_id: Annotated[str, Path(max_length=MAX_ID)]) -> RatingsOut:
    onboarding(web).ratings.unrate(user, get_paper(web, paper_id).id)
    return _ratings(web, user)

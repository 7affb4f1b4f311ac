"""Onboarding pages: pick categories or paste papers you like, then rate ten papers chosen for you.

New accounts land here after signing up; the account page links back to it, so a user can do
another round whenever they like. The service (discover/onboarding_service.py) picks the
questions by active learning; every answer is a private rating of the user (CSRF-protected
forms, bounded fields, nothing shared is written).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community import User
from papersift.discover.feedback import Feedback
from papersift.discover.onboarding import ROUND
from papersift.discover.onboarding_service import (
    MAX_ANSWERS,
    MAX_CATEGORIES,
    MAX_SEED_LINE,
    MAX_SEED_LINES,
    Onboarding,
    SeedReport,
    valid_categories,
)
from papersift.discover.recommend import Recommender
from papersift.web.deps import SignedIn, Web, WebDep, current_user, render
from papersift.web.views import MAX_ID

router = APIRouter(prefix="/account/onboarding", dependencies=[Depends(current_user)], include_in_schema=False)
SHOWN_RATINGS = 50
MAX_SEED_TEXT = MAX_SEED_LINES * (MAX_SEED_LINE + 1)
ANSWERS = {"yes": True, "no": False}  # "skip" (or anything else) stores nothing
Category = Annotated[list[str], Query(max_length=MAX_CATEGORIES)]


def onboarding(web: Web) -> Onboarding:
    return Onboarding(Recommender(web.ctx, web.community, Feedback(web.ctx.catalog.engine)))


def _page(
    web: Web,
    request: Request,
    user: User,
    categories: list[str],
    status: int = 200,
    report: SeedReport | None = None,
    message: str | None = None,
) -> HTMLResponse:
    service = onboarding(web)
    ratings = service.ratings.of_user(user, SHOWN_RATINGS)
    rated = web.ctx.catalog.get_many([r.paper_id for r in ratings])
    started = bool(categories or ratings or service.recommender.library(user).items)
    return render(
        web,
        request,
        "account/onboarding.html",
        status,
        offered=service.popular_categories(),
        chosen=categories,
        questions=service.questions(user, categories) if started else [],
        started=started,
        ratings=[(r, rated[r.paper_id]) for r in ratings if r.paper_id in rated],
        report=report,
        message=message,
        round=ROUND,
        max_seed_text=MAX_SEED_TEXT,
    )


@router.get("", response_class=HTMLResponse)
def start(
    request: Request,
    web: WebDep,
    user: SignedIn,
    category: Category = [],  # noqa: B006
    saved: Annotated[int | None, Query(ge=0, le=MAX_ANSWERS)] = None,
) -> HTMLResponse:
    """Step 1 (categories, papers you like) and, once anything is known, a round of ten questions."""
    message = None
    if saved is not None:
        message = f"Saved {saved} rating{'s' if saved != 1 else ''}; your recommendations use them now."
    return _page(web, request, user, valid_categories(category), message=message)


@router.post("/seed", response_class=HTMLResponse)
def seed(
    request: Request,
    web: WebDep,
    user: SignedIn,
    category: Annotated[list[str], Form(max_length=MAX_CATEGORIES)] = [],  # noqa: B006
    papers: Annotated[str, Form(max_length=MAX_SEED_TEXT)] = "",
) -> HTMLResponse:
    report = onboarding(web).seed(user, papers) if papers.strip() else None
    return _page(web, request, user, valid_categories(category), report=report)


@router.post("/answers")
async def answers(request: Request, web: WebDep, user: SignedIn) -> Response:
    """One round's answers: `paper` (repeated, in order) and `answer<i>` = yes / no / skip for each."""
    form = await request.form()  # the body is bounded by LimitsMiddleware; fields are bounded here
    papers = [p for p in form.getlist("paper")[:MAX_ANSWERS] if isinstance(p, str) and len(p) <= MAX_ID]
    given = [(pid, ANSWERS[v]) for i, pid in enumerate(papers) if (v := form.get(f"answer{i}")) in ANSWERS]
    stored = onboarding(web).answer(user, given)
    categories = valid_categories([c for c in form.getlist("category")[:MAX_CATEGORIES] if isinstance(c, str)])
    query = urlencode([("category", c) for c in categories] + [("saved", str(stored))])
    return RedirectResponse(f"/account/onboarding?{query}", 303)


@router.post("/ratings/delete")
def delete_rating(web: WebDep, user: SignedIn, paper_id: Annotated[str, Form(max_length=MAX_ID)]) -> Response:
    onboarding(web).ratings.unrate(user, paper_id)
    return RedirectResponse("/account/onboarding", 303)

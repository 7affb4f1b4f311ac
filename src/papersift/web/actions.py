"""Form actions on a paper (upvote, add to a collection). They work as plain HTML forms
(POST, then redirect back) and, with htmx, swap just the button in place."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community import UserError
from papersift.urls import paper_url
from papersift.web.account import safe_next
from papersift.web.deps import MaybeUser, Problem, WebDep, current_user, render
from papersift.web.views import get_paper, parse_id

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _sign_in_first(request: Request, back: str) -> Response:
    """Off to the sign-in form, coming back to `back` (a same-site path) afterwards; `back` is
    URL-encoded, so nothing a client sent can end the header line (CR/LF) or add parameters."""
    target = f"/account/signin?next={quote(back, safe='/')}"
    if _is_htmx(request):
        return HTMLResponse("", headers={"HX-Redirect": target})
    return RedirectResponse(target, 303)


@router.post("/papers/{paper_id:path}/vote")
def vote(
    request: Request,
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    action: Annotated[Literal["up", "undo"], Form()] = "up",
    next: Annotated[str, Form()] = "",
) -> Response:
    paper = get_paper(web, paper_id)
    back = safe_next(next) if next else paper_url(paper.id)
    if user is None:
        return _sign_in_first(request, back)
    votes = web.community.votes
    if action == "up":
        votes.vote(user, paper.id)
    else:
        votes.unvote(user, paper.id)
    if not _is_htmx(request):
        return RedirectResponse(back, 303)
    return render(
        web,
        request,
        "partials/vote.html",
        paper=paper,
        voted=action == "up",
        upvotes=votes.counts([paper.id]).get(paper.id, 0),
        next=back,
    )


@router.post("/papers/{paper_id:path}/collect")
def collect(
    request: Request,
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    collection_id: Annotated[str, Form()] = "",
    new_name: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add the paper to one of the user's collections, or to a new one named `new_name`; without htmx,
    back to `next` (a same-site path) or the paper's page."""
    paper = get_paper(web, paper_id)
    if user is None:
        return _sign_in_first(request, paper_url(paper.id))
    collections = web.community.collections
    message = None
    try:
        if new_name.strip():
            target = collections.create(user, new_name)
        else:
            number = parse_id(collection_id)
            found = collections.get(number, user) if number is not None else None
            if found is None or found.owner_id != user.id:
                raise Problem(404, "collection_not_found", "choose one of your collections")
            target = found
        added = collections.add(user, target.id, paper.id)
        message = f"Added to “{target.name}”." if added else f"Already in “{target.name}”."
    except UserError as exc:
        message = str(exc)
    if not _is_htmx(request):
        return RedirectResponse(safe_next(next) if next else paper_url(paper.id), 303)
    return render(
        web,
        request,
        "partials/collect.html",
        paper=paper,
        message=message,
        collections=collections.owned(user),
        in_collections=collections.containing(user, paper.id),
    )

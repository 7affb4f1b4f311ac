"""The reading workflow as HTML: the reading-queue page and, on each paper page, queue / seen
buttons and the private note (the JSON API for the same is api_reading.py).

Plain forms that POST and redirect back (CSRF is the app-wide guard), so everything works
without JavaScript. Everything here is the signed-in user's own: no route takes a user id.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community.accounts import UserError
from papersift.community.reading import MAX_NOTE_CHARS, render_note
from papersift.urls import paper_url
from papersift.web.account import safe_next
from papersift.web.deps import MaybeUser, Problem, SignedIn, WebDep, current_user, render
from papersift.web.views import get_paper

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)
READING = "/reading"


def _sign_in(back: str) -> RedirectResponse:
    return RedirectResponse(f"/account/signin?next={back}", 303)


@router.get(READING, response_class=HTMLResponse)
def reading_page(request: Request, web: WebDep, user: SignedIn) -> HTMLResponse:
    """Your reading queue in order, with your notes, and how many papers you marked seen."""
    reading = web.community.reading
    ids = reading.queue(user)
    papers = web.ctx.catalog.get_many(ids)
    notes = reading.notes(user)
    seen = reading.seen_among(user, ids)
    items = [
        {"paper": papers[pid], "seen": pid in seen, "note": render_note(notes[pid]) if pid in notes else None}
        for pid in ids
        if pid in papers
    ]
    noted = web.ctx.catalog.get_many([pid for pid in notes if pid not in papers])
    others = [{"paper": p, "note": render_note(notes[pid])} for pid, p in sorted(noted.items())]
    return render(web, request, "reading.html", items=items, others=others, seen_count=reading.seen_count(user))


@router.post("/papers/{paper_id:path}/queue")
def queue_action(
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    action: Annotated[Literal["add", "remove", "up", "down", "top"], Form()] = "add",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add the paper to your queue, remove it, or move it one place up/down or to the top."""
    paper = get_paper(web, paper_id)
    back = safe_next(next) if next else paper_url(paper.id)
    if user is None:
        return _sign_in(back)
    reading = web.community.reading
    try:
        if action == "remove":
            reading.dequeue(user, paper.id)
        elif action == "add":
            reading.enqueue(user, paper.id)
        else:
            order = reading.queue(user)
            here = order.index(paper.id) if paper.id in order else len(order)
            target = {"up": here - 1, "down": here + 1, "top": 0}[action]
            reading.enqueue(user, paper.id, max(0, target))
    except UserError as exc:
        raise Problem(409, exc.code, str(exc)) from None
    return RedirectResponse(back, 303)


@router.post("/papers/{paper_id:path}/seen")
def seen_action(
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    seen: Annotated[Literal["1", "0"], Form()] = "1",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    paper = get_paper(web, paper_id)
    back = safe_next(next) if next else paper_url(paper.id)
    if user is None:
        return _sign_in(back)
    web.community.reading.set_seen(user, paper.id, seen == "1")
    return RedirectResponse(back, 303)


@router.post("/papers/{paper_id:path}/note")
def note_action(
    web: WebDep, user: MaybeUser, paper_id: str, text: Annotated[str, Form(max_length=MAX_NOTE_CHARS)] = ""
) -> Response:
    """Save your private note (an empty text deletes it)."""
    paper = get_paper(web, paper_id)
    if user is None:
        return _sign_in(paper_url(paper.id))
    web.community.reading.set_note(user, paper.id, text)
    return RedirectResponse(f"{paper_url(paper.id)}#note-h", 303)

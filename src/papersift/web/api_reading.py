"""The reading workflow in the JSON API: seen marks, the reading queue, private notes.

Everything here is the caller's own (a session plus CSRF header, or a bearer token): there is
no way to read another user's queue or notes. Notes come back as the Markdown source and as
safe HTML (`community.reading.render_note`). Paper ids may contain '/', hence the path
converters, under /api/reading/ so they never collide with /api/papers/{id}.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from papersift.community.accounts import UserError
from papersift.community.reading import MAX_NOTE_CHARS, MAX_QUEUE, render_note
from papersift.paper import MAX_PAPER_ID_CHARS
from papersift.web.deps import Problem, SignedIn, WebDep
from papersift.web.schemas import ERRORS
from papersift.web.views import get_paper

router = APIRouter(prefix="/api/reading", tags=["reading"], responses=ERRORS)
PaperId = Annotated[str, Path(max_length=MAX_PAPER_ID_CHARS)]


class QueueItem(BaseModel):
    id: str
    title: str
    seen: bool


class ReadingOut(BaseModel):
    queue: list[QueueItem]
    seen: int = Field(description="how many papers you marked seen")


class EnqueueIn(BaseModel):
    paper_id: str = Field(min_length=1, max_length=MAX_PAPER_ID_CHARS)
    position: int | None = Field(None, ge=0, le=MAX_QUEUE, description="0-based; omitted: the end")


class SeenOut(BaseModel):
    paper_id: str
    seen: bool


class NoteIn(BaseModel):
    text: str = Field(max_length=MAX_NOTE_CHARS, description="Markdown; raw HTML is shown as text")


class NoteOut(BaseModel):
    paper_id: str
    text: str
    html: str = Field(description="the note rendered safely (no raw HTML, no images, safe links only)")


def _reading(web: WebDep, user: SignedIn) -> ReadingOut:
    reading = web.community.reading
    ids = reading.queue(user)
    papers = web.ctx.catalog.get_many(ids)
    seen = reading.seen_among(user, ids)
    items = [QueueItem(id=pid, title=papers[pid].title, seen=pid in seen) for pid in ids if pid in papers]
    return ReadingOut(queue=items, seen=reading.seen_count(user))


@router.get("", response_model=ReadingOut)
def reading_list(web: WebDep, user: SignedIn) -> ReadingOut:
    """Your reading queue, in order, and how many papers you marked seen."""
    return _reading(web, user)


@router.post("/queue", response_model=ReadingOut)
def enqueue(web: WebDep, user: SignedIn, body: EnqueueIn) -> ReadingOut:
    """Add a paper to the queue at `position` (or move it there)."""
    paper = get_paper(web, body.paper_id)
    try:
        web.community.reading.enqueue(user, paper.id, body.position)
    except UserError as exc:
        raise Problem(409, exc.code, str(exc)) from None
    return _reading(web, user)


@router.delete("/queue/{paper_id:path}", response_model=ReadingOut)
def dequeue(web: WebDep, user: SignedIn, paper_id: PaperId) -> ReadingOut:
    web.community.reading.dequeue(user, get_paper(web, paper_id).id)
    return _reading(web, user)


@router.put("/seen/{paper_id:path}", response_model=SeenOut)
def mark_seen(web: WebDep, user: SignedIn, paper_id: PaperId) -> SeenOut:
    """Mark a paper seen (idempotent)."""
    pid = get_paper(web, paper_id).id
    web.community.reading.set_seen(user, pid, True)
    return SeenOut(paper_id=pid, seen=True)


@router.delete("/seen/{paper_id:path}", response_model=SeenOut)
def unmark_seen(web: WebDep, user: SignedIn, paper_id: PaperId) -> SeenOut:
    pid = get_paper(web, paper_id).id
    web.community.reading.set_seen(user, pid, False)
    return SeenOut(paper_id=pid, seen=False)


@router.get("/notes/{paper_id:path}", response_model=NoteOut)
def get_note(web: WebDep, user: SignedIn, paper_id: PaperId) -> NoteOut:
    """Your private note on a paper (empty when there is none)."""
    pid = get_paper(web, paper_id).id
    text = web.community.reading.mark(user, pid).note or ""
    return NoteOut(paper_id=pid, text=text, html=render_note(text))


@router.put("/notes/{paper_id:path}", response_model=NoteOut)
def put_note(web: WebDep, user: SignedIn, paper_id: PaperId, body: NoteIn) -> NoteOut:
    """Write your private note on a paper (Markdown; an empty text deletes it)."""
    pid = get_paper(web, paper_id).id
    web.community.reading.set_note(user, pid, body.text)
    return NoteOut(paper_id=pid, text=body.text if body.text.strip() else "", html=render_note(body.text))

"""The discussion in the JSON API: read a paper's threads, post, reply, edit, delete, report.

Reading is public (hidden comments are never returned); writing needs a session plus the CSRF
header, or a bearer token. `external_comments` is the comment count imported from Hugging Face
daily papers: discussion elsewhere, reported apart and never added to this instance's `count`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from papersift.community import RateLimited, UserError
from papersift.community.discussion import MAX_COMMENT_CHARS, MAX_REPORT_CHARS, Comment, external_comments
from papersift.paper import MAX_PAPER_ID_CHARS
from papersift.urls import discussion_feed_url
from papersift.web.deps import MaybeUser, SignedIn, WebDep
from papersift.web.discussion import CommentId, discussion_problem
from papersift.web.schemas import ERRORS
from papersift.web.views import MAX_ID, get_paper

router = APIRouter(prefix="/api", tags=["discussion"], responses=ERRORS)
PaperId = Annotated[str, Path(max_length=MAX_PAPER_ID_CHARS)]


class CommentOut(BaseModel):
    id: int
    paper_id: str
    parent_id: int | None
    author: str = Field(description="the author's display name (never an email address)")
    text: str = Field(description="Markdown-lite source; empty once deleted")
    html: str = Field(description="rendered safely: raw HTML as text, no images, safe links only")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    mine: bool = Field(description="whether you wrote it (and so may edit or delete it)")


class ThreadOut(BaseModel):
    comment: CommentOut
    replies: list[CommentOut]


class DiscussionOut(BaseModel):
    paper_id: str
    count: int = Field(description="visible comments and replies on this instance")
    external_comments: int = Field(description="comments counted on Hugging Face daily papers (not included in count)")
    feed: str = Field(description="Atom feed of this discussion")
    threads: list[ThreadOut]


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS, description="Markdown-lite")
    parent_id: int | None = Field(None, ge=1, le=MAX_ID, description="reply to this comment (one level deep)")


class EditIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


class ReportIn(BaseModel):
    reason: str = Field("", max_length=MAX_REPORT_CHARS)


def _out(c: Comment, user_id: int | None) -> CommentOut:
    return CommentOut(
        id=c.id,
        paper_id=c.paper_id,
        parent_id=c.parent_id,
        author=c.author,
        text=c.body,
        html=c.html,
        created_at=c.created_at,
        edited_at=c.edited_at,
        deleted=c.deleted,
        mine=c.author_id == user_id and not c.deleted,
    )


@router.get("/discussion/{paper_id:path}", response_model=DiscussionOut)
def discussion(web: WebDep, user: MaybeUser, paper_id: PaperId) -> DiscussionOut:
    """A paper's discussion: threads oldest first, each with its replies."""
    paper = get_paper(web, paper_id)
    d = web.community.discussion
    uid = user.id if user else None
    threads = [
        ThreadOut(comment=_out(t.comment, uid), replies=[_out(r, uid) for r in t.replies]) for t in d.threads(paper.id)
    ]
    return DiscussionOut(
        paper_id=paper.id,
        count=d.counts([paper.id]).get(paper.id, 0),
        external_comments=external_comments(paper),
        feed=discussion_feed_url(paper.id),
        threads=threads,
    )


@router.post("/discussion/{paper_id:path}", response_model=CommentOut, status_code=201)
def post(web: WebDep, user: SignedIn, paper_id: PaperId, body: CommentIn) -> CommentOut:
    """Comment on a paper, or reply to one of its comments (rate-limited per user)."""
    paper = get_paper(web, paper_id)
    try:
        return _out(web.community.discussion.post(user, paper.id, body.text, body.parent_id), user.id)
    except (UserError, RateLimited) as exc:
        raise discussion_problem(exc) from None


@router.patch("/comments/{comment_id}", response_model=CommentOut)
def edit(web: WebDep, user: SignedIn, comment_id: CommentId, body: EditIn) -> CommentOut:
    """Edit your own comment."""
    try:
        return _out(web.community.discussion.edit(user, comment_id, body.text), user.id)
    except UserError as exc:
        raise discussion_problem(exc) from None


@router.delete("/comments/{comment_id}", status_code=204)
def delete(web: WebDep, user: SignedIn, comment_id: CommentId) -> None:
    """Delete your own comment (its text is erased; replies stay)."""
    try:
        web.community.discussion.delete(user, comment_id)
    except UserError as exc:
        raise discussion_problem(exc) from None


@router.post("/comments/{comment_id}/report", status_code=204)
def report(web: WebDep, user: SignedIn, comment_id: CommentId, body: ReportIn) -> None:
    """Flag a comment for the operator."""
    try:
        web.community.discussion.report(user, comment_id, body.reason)
    except UserError as exc:
        raise discussion_problem(exc) from None

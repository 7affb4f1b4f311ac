"""Discussion on paper pages: the HTML forms (post, reply, edit, delete, report) and the Atom
feed of a paper's discussion.

Forms are plain POSTs that redirect back to the comment (CSRF is the app-wide guard); the
service enforces who may do what (only the author edits or deletes, banned users cannot post)
and the posting throttle. Hidden comments are in neither the page nor the feed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from papersift.community import RateLimited, UserError
from papersift.community.discussion import MAX_COMMENT_CHARS, MAX_REPORT_CHARS, Comment
from papersift.deliver.discussion_feed import render_discussion_feed
from papersift.urls import comment_url, discussion_feed_url, paper_url
from papersift.web.deps import MaybeUser, Problem, WebDep, current_user
from papersift.web.syndication_routes import conditional_response
from papersift.web.views import MAX_ID, get_paper, parse_id

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)
CommentId = Annotated[int, Path(ge=1, le=MAX_ID, description="comment number")]
STATUS = {"not_yours": 403, "banned": 403, "comment_not_found": 404, "parent_not_found": 404}


def discussion_problem(exc: UserError | RateLimited) -> Problem:
    """The HTTP error for a refused discussion action (shared by the pages and the JSON API)."""
    if isinstance(exc, RateLimited):
        return Problem(429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after)})
    return Problem(STATUS.get(exc.code, 422), exc.code, str(exc))


def _back(comment: Comment) -> RedirectResponse:
    return RedirectResponse(comment_url(comment.paper_id, comment.id), 303)


def _sign_in(paper_id: str) -> RedirectResponse:
    return RedirectResponse(f"/account/signin?next={paper_url(paper_id)}", 303)


@router.post("/papers/{paper_id:path}/comments")
def post_comment(
    web: WebDep,
    user: MaybeUser,
    paper_id: str,
    body: Annotated[str, Form(max_length=MAX_COMMENT_CHARS + 100)],
    parent_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    paper = get_paper(web, paper_id)
    if user is None:
        return _sign_in(paper.id)
    parent = parse_id(parent_id) if parent_id else None
    if parent_id and parent is None:
        raise Problem(422, "invalid_parent", "parent_id must be a comment number")
    try:
        comment = web.community.discussion.post(user, paper.id, body, parent)
    except (UserError, RateLimited) as exc:
        raise discussion_problem(exc) from None
    return _back(comment)


def _existing(web: WebDep, comment_id: int) -> Comment:
    found = web.community.discussion.get(comment_id)
    if found is None:
        raise Problem(404, "comment_not_found", "no such comment")
    return found


@router.post("/comments/{comment_id}/edit")
def edit_comment(
    web: WebDep, user: MaybeUser, comment_id: CommentId, body: Annotated[str, Form(max_length=MAX_COMMENT_CHARS + 100)]
) -> Response:
    found = _existing(web, comment_id)
    if user is None:
        return _sign_in(found.paper_id)
    try:
        return _back(web.community.discussion.edit(user, comment_id, body))
    except UserError as exc:
        raise discussion_problem(exc) from None


@router.post("/comments/{comment_id}/delete")
def delete_comment(web: WebDep, user: MaybeUser, comment_id: CommentId) -> Response:
    found = _existing(web, comment_id)
    if user is None:
        return _sign_in(found.paper_id)
    try:
        web.community.discussion.delete(user, comment_id)
    except UserError as exc:
        raise discussion_problem(exc) from None
    return RedirectResponse(f"{paper_url(found.paper_id)}#discussion-h", 303)


@router.post("/comments/{comment_id}/report")
def report_comment(
    web: WebDep,
    user: MaybeUser,
    comment_id: CommentId,
    reason: Annotated[str, Form(max_length=MAX_REPORT_CHARS)] = "",
) -> Response:
    found = _existing(web, comment_id)
    if user is None:
        return _sign_in(found.paper_id)
    try:
        web.community.discussion.report(user, comment_id, reason)
    except UserError as exc:
        raise discussion_problem(exc) from None
    return RedirectResponse(f"{paper_url(found.paper_id)}?reported={comment_id}#comment-{comment_id}", 303)


@router.get("/feeds/discussion/{paper_id:path}.atom")
def discussion_feed(request: Request, web: WebDep, paper_id: str) -> Response:
    """Atom feed of a paper's visible discussion, newest first."""
    paper = get_paper(web, paper_id)
    threads = web.community.discussion.threads(paper.id)
    body, modified = render_discussion_feed(paper, threads, web.ctx.settings.base_url, discussion_feed_url(paper.id))
    return conditional_response(request, body, modified, "application/atom+xml")

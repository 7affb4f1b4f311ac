"""Personal delivery pages: digest settings, saved searches, follows, seed-library import,
digest preview, recommendations with "not interested", and unsubscribing.

Unsubscribing has two doors. People follow the link in the message body to
`/digest/unsubscribe`, a confirmation page whose button is an ordinary CSRF-protected form
(a GET never changes anything, so link scanners cannot unsubscribe anyone). Mail clients use
the RFC 8058 `List-Unsubscribe` URL, `/api/digest/unsubscribe`, with a cookie-less one-click
POST; the signed token is the only credential either door accepts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from papersift.community import User, UserError
from papersift.deliver.render import render_parts, unsubscribe_links
from papersift.deliver.service import Delivery
from papersift.deliver.store import FREQUENCIES, SECTION_LABELS, SECTIONS
from papersift.discover.library import import_bibtex
from papersift.search.types import MODES
from papersift.sources import ReadLimits, SourceError, read_limits
from papersift.web.account import safe_next
from papersift.web.deps import SignedIn, Web, WebDep, current_user, render
from papersift.web.views import MAX_ID, get_paper, owned_collection

router = APIRouter(dependencies=[Depends(current_user)], include_in_schema=False)
MAX_UPLOAD = 10 * 1024 * 1024
MAX_UPLOAD_LINE = 1024 * 1024  # one BibTeX line of an upload
MAX_UPLOAD_ENTRY = 1024 * 1024  # one BibTeX entry of an upload (its lines up to the next `@`)
Token = Annotated[str, Query(max_length=500)]


def _delivery(web: Web) -> Delivery:
    return Delivery(web.ctx, web.community)


def _settings_page(web: Web, request: Request, user: User, status: int = 200, **values: object) -> HTMLResponse:
    delivery = _delivery(web)
    values = {"message": None, "error": None, "import_report": None, **values}
    return render(
        web,
        request,
        "digest/settings.html",
        status,
        subscription=delivery.store.subscription(user),
        address_confirmed=delivery.confirmations.is_confirmed(user),
        searches=delivery.store.saved_searches(user),
        follows=delivery.store.follows(user),
        collections=web.community.collections.owned(user),
        history=delivery.ledger.history(user.id, 10),
        frequencies=FREQUENCIES,
        sections=SECTIONS,
        section_labels=SECTION_LABELS,
        modes=MODES,
        mail_configured=bool(web.ctx.settings.smtp_host),
        **values,
    )


@router.get("/account/digest", response_class=HTMLResponse)
def settings(request: Request, web: WebDep, user: SignedIn) -> HTMLResponse:
    return _settings_page(web, request, user)


@router.post("/account/digest", response_class=HTMLResponse)
def save_subscription(
    request: Request,
    web: WebDep,
    user: SignedIn,
    action: Annotated[Literal["save", "stop"], Form()] = "save",
    frequency: Annotated[str, Form(max_length=10)] = "daily",
    section: Annotated[list[str], Form()] = [],  # noqa: B006
    collection: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form(max_length=100)] = [],  # noqa: B006
) -> HTMLResponse:
    store = _delivery(web).store
    if action == "stop":
        store.set_active(user.id, False)
        return _settings_page(web, request, user, message="Digests stopped.")
    try:
        store.subscribe(user, frequency, section, collection)
    except UserError as exc:
        return _settings_page(web, request, user, 400, error=str(exc))
    return _settings_page(web, request, user, message="Digest settings saved.")


@router.post("/account/digest/searches", response_class=HTMLResponse)
def save_search(
    request: Request,
    web: WebDep,
    user: SignedIn,
    q: Annotated[str, Form(max_length=1000)],
    mode: Annotated[str, Form(max_length=10)] = "hybrid",
) -> HTMLResponse:
    try:
        saved = _delivery(web).store.save_search(user, q, mode)
    except UserError as exc:
        return _settings_page(web, request, user, 400, error=str(exc))
    return _settings_page(web, request, user, message=f"Saved the search “{saved.query}”.")


@router.post("/account/digest/searches/{search_id}/delete")
def delete_search(web: WebDep, user: SignedIn, search_id: Annotated[int, PathParam(ge=1, le=MAX_ID)]) -> Response:
    _delivery(web).store.delete_search(user, search_id)
    return RedirectResponse("/account/digest", 303)


@router.post("/account/digest/follows")
def follow(
    request: Request,
    web: WebDep,
    user: SignedIn,
    kind: Annotated[str, Form(max_length=10)],
    name: Annotated[str, Form(max_length=300)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Follow an author or category; from their page (`next`), back to it, which then says "Following"."""
    try:
        followed = _delivery(web).store.follow(user, kind, name)
    except UserError as exc:
        return _settings_page(web, request, user, 400, error=str(exc))
    if next:
        return RedirectResponse(safe_next(next), 303)
    return _settings_page(web, request, user, message=f"Following {followed.kind} {followed.label}.")


@router.post("/account/digest/follows/delete")
def unfollow(
    web: WebDep, user: SignedIn, kind: Annotated[str, Form(max_length=10)], key: Annotated[str, Form(max_length=320)]
) -> Response:
    _delivery(web).store.unfollow(user, kind, key)
    return RedirectResponse("/account/digest", 303)


@router.post("/account/digest/import", response_class=HTMLResponse)
async def import_library(
    request: Request,
    web: WebDep,
    user: SignedIn,
    library: Annotated[UploadFile, File()],
    collection: Annotated[str, Form(max_length=200)] = "Imported library",
) -> HTMLResponse:
    """A BibTeX file becomes a collection that seeds recommendations; broken entries are listed."""
    data = await library.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _settings_page(web, request, user, 413, error=f"the file is larger than {MAX_UPLOAD // 2**20} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.bib"
        path.write_bytes(data)
        # a gzipped upload is decompressed while read: cap what it may expand to (docs/security.md)
        limits = ReadLimits(MAX_UPLOAD_LINE, MAX_UPLOAD_LINE, web.ctx.settings.max_upload_expanded, MAX_UPLOAD_ENTRY)
        try:
            with read_limits(limits):
                report = import_bibtex(
                    web.ctx.catalog, web.community.collections, user, path, collection, web.ctx.indexes.lexical
                )
        except (UserError, SourceError) as exc:
            return _settings_page(web, request, user, 400, error=str(exc))
    return _settings_page(web, request, user, import_report=report)


@router.get("/account/digest/preview", response_class=HTMLResponse)
def preview(request: Request, web: WebDep, user: SignedIn, format: Literal["html", "text"] = "html") -> Response:
    """The digest `digest send` would compose for you right now (nothing is recorded or sent)."""
    delivery = _delivery(web)
    now = web.clock()
    as_of = delivery.preview_time(now)
    digest = delivery.preview(user, as_of)
    _, page = unsubscribe_links("", web.community.secret, user.id, user.email)
    text, _ = render_parts(digest, "", page)
    shifted = as_of.date() if as_of != now else None
    return render(
        web, request, "digest/preview.html", digest=digest, text=text, format=format, base_url="", as_of=shifted
    )


@router.get("/recommendations", response_class=HTMLResponse)
def recommendations(
    request: Request,
    web: WebDep,
    user: SignedIn,
    collection: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    saved: Annotated[str | None, Query(max_length=MAX_ID)] = None,
) -> HTMLResponse:
    """Recommendations; `saved` names the paper a card's Save button just put in a collection (saved and
    upvoted papers are not recommended again, so its card is gone: the page says where it went)."""
    chosen = owned_collection(web, user, collection) if collection else None
    saved_paper = web.ctx.catalog.get(saved) if saved and web.community.collections.containing(user, saved) else None
    delivery = _delivery(web)
    result = delivery.recommender.recommend(user, collection_ids=[chosen.id] if chosen else None, limit=20)
    hidden = web.ctx.catalog.get_many(delivery.feedback.not_interested_ids(user)[:20])
    ids = [r.paper.id for r in result.items]
    return render(
        web,
        request,
        "digest/recommendations.html",
        result=result,
        upvotes=web.community.votes.counts(ids),
        voted=web.community.votes.voted(user, ids),
        saved=saved_paper,
        chosen=chosen,
        collections=web.community.collections.owned(user),
        hidden=list(hidden.values()),
    )


@router.post("/recommendations/feedback")
def feedback(
    web: WebDep,
    user: SignedIn,
    paper_id: Annotated[str, Form(max_length=200)],
    action: Annotated[Literal["hide", "undo"], Form()] = "hide",
    next: Annotated[str, Form()] = "/recommendations",
) -> Response:
    """ "Not interested" (or its undo): the paper is never recommended again and its neighbours drop."""
    marks = _delivery(web).feedback
    if action == "undo":
        marks.undo_not_interested(user, paper_id)
    else:
        marks.not_interested(user, get_paper(web, paper_id).id)
    return RedirectResponse(safe_next(next), 303)


@router.get("/digest/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(request: Request, web: WebDep, token: Token = "") -> HTMLResponse:
    return render(web, request, "digest/unsubscribe.html", token=token, done=None, invalid=False)


@router.post("/digest/unsubscribe", response_class=HTMLResponse)
def unsubscribe_confirm(request: Request, web: WebDep, token: Annotated[str, Form(max_length=500)]) -> HTMLResponse:
    user = _delivery(web).unsubscribe(token)
    return render(
        web, request, "digest/unsubscribe.html", 200 if user else 400, token=token, done=user, invalid=user is None
    )

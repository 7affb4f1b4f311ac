"""Collections in the JSON API. Private collections of other users answer 404, like missing ones."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from papersift.community import User, UserError
from papersift.web.deps import MaybeUser, Problem, SignedIn, Web, WebDep
from papersift.web.schemas import (
    ERRORS,
    AddPaperIn,
    CollectionDetail,
    CollectionIn,
    CollectionOut,
    CollectionPatch,
    collection_out,
    paper_out,
)
from papersift.web.views import (
    CollectionId,
    ExportFormat,
    collection_papers,
    export_response,
    get_paper,
    owned_collection,
    visible_collection,
)

router = APIRouter(prefix="/api/collections", tags=["collections"], responses=ERRORS)


def _user_error(exc: UserError) -> Problem:
    return Problem(409 if exc.code == "name_taken" else 422, exc.code, str(exc))


def _detail(web: Web, user: User | None, collection_id: int) -> CollectionDetail:
    c = visible_collection(web, user, collection_id)
    papers = collection_papers(web, c)
    counts = web.community.votes.counts(p.id for p in papers)
    return CollectionDetail(
        **collection_out(c, user.id if user else None).model_dump(),
        papers=[paper_out(p, counts.get(p.id, 0)) for p in papers],
    )


@router.get("", response_model=list[CollectionOut])
def mine(web: WebDep, user: SignedIn) -> list[CollectionOut]:
    """The caller's collections."""
    return [collection_out(c, user.id) for c in web.community.collections.owned(user)]


@router.post("", response_model=CollectionOut, status_code=201)
def create(web: WebDep, user: SignedIn, body: CollectionIn) -> CollectionOut:
    try:
        created = web.community.collections.create(user, body.name, body.description, body.public)
    except UserError as exc:
        raise _user_error(exc) from None
    return collection_out(created, user.id)


@router.get("/{collection_id}", response_model=CollectionDetail)
def show(web: WebDep, user: MaybeUser, collection_id: CollectionId) -> CollectionDetail:
    """A public collection, or one of the caller's own."""
    return _detail(web, user, collection_id)


@router.patch("/{collection_id}", response_model=CollectionOut)
def update(web: WebDep, user: SignedIn, body: CollectionPatch, collection_id: CollectionId) -> CollectionOut:
    """Rename, re-describe or change visibility."""
    owned_collection(web, user, collection_id)
    try:
        updated = web.community.collections.update(
            user, collection_id, name=body.name, description=body.description, public=body.public
        )
    except UserError as exc:
        raise _user_error(exc) from None
    assert updated is not None
    return collection_out(updated, user.id)


@router.delete("/{collection_id}", status_code=204)
def delete(web: WebDep, user: SignedIn, collection_id: CollectionId) -> Response:
    web.community.collections.delete(user, owned_collection(web, user, collection_id).id)
    return Response(status_code=204)


@router.post("/{collection_id}/papers", response_model=CollectionDetail)
def add_paper(web: WebDep, user: SignedIn, body: AddPaperIn, collection_id: CollectionId) -> CollectionDetail:
    """Add a paper (adding one that is already there changes nothing)."""
    owned_collection(web, user, collection_id)
    web.community.collections.add(user, collection_id, get_paper(web, body.paper_id).id)
    return _detail(web, user, collection_id)


@router.delete("/{collection_id}/papers/{paper_id:path}", response_model=CollectionDetail)
def remove_paper(web: WebDep, user: SignedIn, paper_id: str, collection_id: CollectionId) -> CollectionDetail:
    owned_collection(web, user, collection_id)
    web.community.collections.remove(user, collection_id, get_paper(web, paper_id).id)
    return _detail(web, user, collection_id)


@router.get(
    "/{collection_id}/export",
    responses={200: {"content": {"application/x-bibtex": {}, "application/jsonl": {}}}},
)
def export(web: WebDep, user: MaybeUser, collection_id: CollectionId, format: ExportFormat = "bibtex") -> Response:
    """Download as BibTeX or JSON Lines (one papersift record per line)."""
    return export_response(web, user, visible_collection(web, user, collection_id), format)

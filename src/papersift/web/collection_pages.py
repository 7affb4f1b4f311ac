"""Collection pages: my collections, one collection (public or mine), edit/delete, exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community import User, UserError
from papersift.web.deps import MaybeUser, SignedIn, Web, WebDep, current_user, render
from papersift.web.views import (
    CollectionId,
    ExportFormat,
    collection_papers,
    export_response,
    owned_collection,
    visible_collection,
)

router = APIRouter(prefix="/collections", dependencies=[Depends(current_user)], include_in_schema=False)


def _list_page(
    web: Web, request: Request, user: User, status: int = 200, error: str | None = None, name: str = ""
) -> HTMLResponse:
    return render(
        web,
        request,
        "collections/list.html",
        status,
        collections=web.community.collections.owned(user),
        error=error,
        name=name,
    )


@router.get("", response_class=HTMLResponse)
def my_collections(request: Request, web: WebDep, user: SignedIn) -> Response:
    return _list_page(web, request, user)


@router.post("")
def create(
    request: Request,
    web: WebDep,
    user: SignedIn,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=2000)] = "",
    public: Annotated[bool, Form()] = False,
) -> Response:
    try:
        created = web.community.collections.create(user, name, description, public)
    except UserError as exc:
        return _list_page(web, request, user, 400, str(exc), name)
    return RedirectResponse(f"/collections/{created.id}", 303)


@router.get("/{collection_id}", response_class=HTMLResponse)
def show(request: Request, web: WebDep, user: MaybeUser, collection_id: CollectionId) -> HTMLResponse:
    collection = visible_collection(web, user, collection_id)
    return render(
        web,
        request,
        "collections/show.html",
        collection=collection,
        papers=collection_papers(web, collection),
        mine=user is not None and user.id == collection.owner_id,
        error=None,
    )


@router.post("/{collection_id}/edit")
def edit(
    request: Request,
    web: WebDep,
    user: SignedIn,
    collection_id: CollectionId,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=2000)] = "",
    public: Annotated[bool, Form()] = False,
) -> Response:
    collection = owned_collection(web, user, collection_id)
    try:
        web.community.collections.update(user, collection.id, name=name, description=description, public=public)
    except UserError as exc:
        return render(
            web,
            request,
            "collections/show.html",
            400,
            collection=collection,
            papers=collection_papers(web, collection),
            mine=True,
            error=str(exc),
        )
    return RedirectResponse(f"/collections/{collection.id}", 303)


@router.post("/{collection_id}/delete")
def delete(web: WebDep, user: SignedIn, collection_id: CollectionId) -> Response:
    web.community.collections.delete(user, owned_collection(web, user, collection_id).id)
    return RedirectResponse("/collections", 303)


@router.post("/{collection_id}/remove")
def remove(
    web: WebDep, user: SignedIn, collection_id: CollectionId, paper_id: Annotated[str, Form(max_length=200)]
) -> Response:
    web.community.collections.remove(user, owned_collection(web, user, collection_id).id, paper_id)
    return RedirectResponse(f"/collections/{collection_id}", 303)


@router.get("/{collection_id}/export")
def export(web: WebDep, user: MaybeUser, collection_id: CollectionId, format: ExportFormat = "bibtex") -> Response:
    return export_response(web, user, visible_collection(web, user, collection_id), format)

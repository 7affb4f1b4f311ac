"""Digest endpoints of the JSON API: the signed-in user's digest preview, and RFC 8058 one-click
unsubscribe (the URL of the `List-Unsubscribe` mail header; its signed token is the credential)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from papersift.deliver.service import Delivery
from papersift.urls import DIGEST_ONE_CLICK, paper_url
from papersift.web.deps import Problem, SignedIn, WebDep
from papersift.web.schemas import ERRORS

router = APIRouter(tags=["digests"], responses=ERRORS)
Token = Annotated[str, Query(max_length=500, description="the signed token of the unsubscribe link")]


class DigestPaperOut(BaseModel):
    id: str
    title: str
    url: str
    reason: str = Field(description="why this paper is in the digest")


class DigestSectionOut(BaseModel):
    key: str
    title: str
    papers: list[DigestPaperOut]
    more_url: str | None


class DigestPreviewOut(BaseModel):
    subject: str
    frequency: str = Field(description="daily or weekly (the user's subscription; daily when there is none)")
    since: date = Field(description="first listing day the digest covers")
    until: date = Field(description="last listing day the digest covers")
    as_of: datetime = Field(description="when it was composed for: now, or the catalog's newest day when older")
    sections: list[DigestSectionOut]
    notices: list[str]


@router.get("/api/digest/preview", response_model=DigestPreviewOut)
def preview(web: WebDep, user: SignedIn) -> DigestPreviewOut:
    """The digest `papersift digest send` would compose for the caller now (nothing is recorded or sent)."""
    delivery = Delivery(web.ctx, web.community)
    as_of = delivery.preview_time(web.clock())
    digest = delivery.preview(user, as_of)
    return DigestPreviewOut(
        subject=digest.subject,
        frequency=digest.frequency,
        since=digest.window.since,
        until=digest.window.until,
        as_of=as_of,
        sections=[
            DigestSectionOut(
                key=s.key,
                title=s.title,
                more_url=s.more_url,
                papers=[
                    DigestPaperOut(id=e.paper.id, title=e.paper.title, url=paper_url(e.paper.id), reason=e.reason)
                    for e in s.entries
                ],
            )
            for s in digest.sections
        ],
        notices=digest.notices,
    )


@router.get(DIGEST_ONE_CLICK, status_code=303, response_class=RedirectResponse)
def one_click_get(token: Token = "") -> Response:
    """A mail client that opens the header URL in a browser gets the confirmation page."""
    return RedirectResponse(f"/digest/unsubscribe?{urlencode({'token': token})}", 303)


@router.post(DIGEST_ONE_CLICK, status_code=204, response_class=Response)
def one_click(web: WebDep, token: Token = "") -> Response:
    """RFC 8058 one-click unsubscribe (body `List-Unsubscribe=One-Click`); the token authenticates."""
    if Delivery(web.ctx, web.community).unsubscribe(token) is None:
        raise Problem(400, "invalid_token", "this unsubscribe link is not valid (any more)")
    return Response(status_code=204)

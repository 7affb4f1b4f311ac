"""/account/webhooks: a user's own digest webhooks (Slack, Discord, signed JSON).

Adding a webhook makes this server POST to a URL the user chose, so the target is limited to
the hosts the operator allows (`webhook_hosts`, see deliver.webhooks.check_user_url and
docs/security.md on SSRF). The JSON kind's signing secret is shown once, on the page that
answers the add (never cached: /account pages are `no-store`). Forms carry the CSRF token
(the app-wide guard); a user only ever sees and removes their own webhooks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.community import User
from papersift.deliver.webhooks import KINDS, MAX_PER_USER, MAX_URL, WebhookError, WebhookStore
from papersift.web.deps import SignedIn, Web, WebDep, current_user, render
from papersift.web.views import MAX_ID

router = APIRouter(prefix="/account/webhooks", dependencies=[Depends(current_user)], include_in_schema=False)
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="webhook number")]


def _store(web: Web) -> WebhookStore:
    return WebhookStore(web.ctx.catalog.engine)


def _page(web: Web, request: Request, user: User, status: int = 200, **values: Any) -> HTMLResponse:
    hosts = [h for h in web.ctx.settings.webhook_hosts if h != "*"]
    return render(
        web,
        request,
        "account/webhooks.html",
        status,
        hooks=_store(web).of_user(user.id),
        kinds=KINDS,
        hosts=hosts,
        any_host="*" in web.ctx.settings.webhook_hosts,
        max_url=MAX_URL,
        **values,
    )


@router.get("", response_class=HTMLResponse)
def webhooks_page(request: Request, web: WebDep, user: SignedIn) -> HTMLResponse:
    return _page(web, request, user)


@router.post("", response_class=HTMLResponse)
def add_webhook(
    request: Request,
    web: WebDep,
    user: SignedIn,
    url: Annotated[str, Form(max_length=MAX_URL)],
    kind: Annotated[str, Form(max_length=16)] = "slack",
) -> HTMLResponse:
    store = _store(web)
    if len(store.of_user(user.id)) >= MAX_PER_USER:
        return _page(web, request, user, 409, error=f"you can have at most {MAX_PER_USER} webhooks")
    try:
        hook = store.add(user.id, kind, url, allowed_hosts=web.ctx.settings.webhook_hosts)
    except WebhookError as exc:
        return _page(web, request, user, 422, error=str(exc), url=url)
    return _page(web, request, user, added=hook)


@router.post("/{webhook_id}/remove")
def remove_webhook(web: WebDep, user: SignedIn, webhook_id: WebhookId) -> Response:
    _store(web).remove(user.id, webhook_id)  # someone else's id removes nothing
    return RedirectResponse("/account/webhooks", 303)

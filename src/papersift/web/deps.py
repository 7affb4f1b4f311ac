"""Who is asking and may they write: sessions, API tokens, CSRF, plus the shared web state.

CSRF uses a per-browser random nonce in an HttpOnly cookie and a form/header token that is
HMAC(secret, nonce): a cross-site page can neither read the token nor forge it. The check is
a global dependency, so no state-changing route can forget it; requests that authenticate
with `Authorization: Bearer` are exempt (a browser never attaches that header by itself), and
anonymous API writes skip it so they get the more useful 401.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from papersift.community import Community, User
from papersift.context import AppContext

SESSION_COOKIE = "ps_session"
CSRF_COOKIE = "ps_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Problem(Exception):
    """An error to show the client: JSON `{"error": {...}}` under /api/, an HTML page elsewhere."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class SignInRequired(Problem):
    """401 for the API; pages turn it into a redirect to the sign-in form."""

    def __init__(self, message: str = "sign in (or send an API token) to do this"):
        super().__init__(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


@dataclass
class Web:
    """What every request handler needs, created once per app."""

    ctx: AppContext
    community: Community
    templates: Jinja2Templates
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The time pages that depend on "now" use (the digest preview); tests set a fixed one."""


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_user(request: Request, web: WebDep) -> User | None:
    """The signed-in user (session cookie or bearer token), or None; a bad token is a 401."""
    if hasattr(request.state, "user"):
        known: User | None = request.state.user
        return known
    user = None
    token = _bearer(request)
    if token is not None:
        user = web.community.accounts.token_user(token)
        if user is None:
            raise Problem(
                401,
                "invalid_token",
                "this API token is unknown or was revoked",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
    elif session := request.cookies.get(SESSION_COOKIE):
        user = web.community.accounts.session_user(session)
    request.state.user = user
    return user


def require_user(user: MaybeUser) -> User:
    if user is None:
        raise SignInRequired()
    return user


WebDep = Annotated[Web, Depends(get_web)]
MaybeUser = Annotated[User | None, Depends(current_user)]
SignedIn = Annotated[User, Depends(require_user)]


def csrf_token(request: Request) -> str:
    """The token for this browser's forms; issues a nonce cookie (via the middleware) if needed."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_new_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_new_nonce = nonce
    return _sign(request, nonce)


def _sign(request: Request, nonce: str) -> str:
    secret = request.app.state.web.community.secret
    return hmac.new(secret, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


async def csrf_guard(request: Request) -> None:
    """Global dependency: every unsafe request from a browser must carry a valid CSRF token."""
    if request.method not in UNSAFE_METHODS or _bearer(request) is not None:
        return
    if is_api(request) and SESSION_COOKIE not in request.cookies:
        return  # anonymous API write: the route's auth check answers 401
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()  # cached by Starlette, so the route can still read it
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    nonce = request.cookies.get(CSRF_COOKIE)
    if not sent or not nonce or not hmac.compare_digest(sent, _sign(request, nonce)):
        raise Problem(
            403,
            "csrf_failed",
            "the form expired or came from another site; reload the page "
            "and try again (API clients: send the X-CSRF-Token header)",
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def template_context(request: Request, **values: Any) -> dict[str, Any]:
    """Values every page template can use (user, CSRF token, request)."""
    return {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(request),
        **values,
    }


def render(web: Web, request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A full page (or htmx fragment) rendered with the shared template context."""
    return web.templates.TemplateResponse(request, template, template_context(request, **values), status_code=status)

"""The web app factory: HTML pages, the JSON API, static files, errors and security headers.

`create_app(ctx)` builds everything from one AppContext, so tests and `papersift serve` run the
same app; `app_from_env()` is the factory uvicorn workers import (settings come from the
PAPERSIFT_* environment the CLI exported).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.web import (
    account,
    actions,
    api,
    api_collections,
    api_digest,
    api_discussion,
    api_onboarding,
    api_reading,
    collection_pages,
    digest_pages,
    discussion,
    onboarding_pages,
    ops_routes,
    pages,
    reading_pages,
    related,
    search_pages,
    syndication_routes,
    webhook_pages,
)
from papersift.web.deps import CSRF_COOKIE, SESSION_COOKIE, Problem, SignInRequired, Web, csrf_guard, is_api, render
from papersift.web.limits import LimitsMiddleware
from papersift.web.templating import make_templates
from papersift.web.warmup import warm_up

STATIC = Path(__file__).with_name("static")
ROUTERS = (
    ops_routes,
    api,
    api_collections,
    api_discussion,
    api_reading,
    webhook_pages,
    api_onboarding,
    onboarding_pages,
    api_digest,
    account,
    discussion,
    reading_pages,
    collection_pages,
    actions,
    search_pages,
    related,
    syndication_routes,
    digest_pages,
    pages,
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
HSTS = "max-age=31536000"  # sent only on https responses (a browser ignores it over http anyway)
# Personal pages and APIs (a new API token, someone's reading list or ratings): never cached.
PRIVATE_PREFIXES = (
    "/account",
    "/recommendations",
    "/reading",
    "/collections",
    "/api/onboarding",
    "/api/reading",
    "/api/collections",
)


def _credentialed(scope: Scope) -> bool:
    """Whether the request carries a session cookie or an API token: its answer may show that user's
    state (vote marks, saved flags, the signed-in header) on any path, so a shared cache must not keep it."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and f"{SESSION_COOKIE}=".encode() in value):
            return True
    return False


class HeadersMiddleware:
    """Adds security headers, a `Server-Timing: app;dur=<ms>` header (what the latency benchmark
    reads as server-side time) and, when a page issued one, the CSRF nonce cookie. Pure ASGI: cheap."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if scope.get("scheme") == "https":
                    headers["strict-transport-security"] = HSTS
                if scope["path"].startswith(PRIVATE_PREFIXES):
                    headers["cache-control"] = "no-store"
                elif "cache-control" not in headers and _credentialed(scope):
                    headers["cache-control"] = "no-store"
                nonce = scope.get("state", {}).get("csrf_new_nonce")
                if nonce:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    headers.append("set-cookie", f"{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _problem_response(request: Request, exc: Problem) -> Response:
    if is_api(request):
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, exc.status, headers=exc.headers)
    if isinstance(exc, SignInRequired) and request.method == "GET":
        return RedirectResponse(f"/account/signin?next={quote(request.url.path, safe='/')}", 303)
    return render(request.app.state.web, request, "error.html", exc.status, problem=exc)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        got = f" (got {str(err['input'])[:40]!r})" if "input" in err and not isinstance(err["input"], dict) else ""
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}{got}")
    return "; ".join(parts) or "invalid request"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return _problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _problem_response(request, Problem(422, "invalid_request", _validation_message(exc)))

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # A value the database refuses, e.g. a NUL character in a form field or path (PostgreSQL
        # text cannot hold one; SQLite can): the client's input is at fault, not the server.
        message = "the request holds a value that cannot be stored (e.g. a NUL character)"
        return _problem_response(request, Problem(422, "invalid_value", message))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "there is nothing at this address"}.get(exc.status_code, str(exc.detail))
        return _problem_response(
            request,
            Problem(exc.status_code, codes.get(exc.status_code, "http_error"), message, dict(exc.headers or {})),
        )


def _install_docs(app: FastAPI) -> None:
    """Swagger UI from the vendored copy (works offline); its inline start-up script needs a
    looser CSP, on this one page only."""

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> Response:
        page = get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="papersift API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
        )
        page.headers["content-security-policy"] = DOCS_CSP
        return page


BEARER_SCHEME = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (Account → API tokens): `Authorization: Bearer <token>`. "
        "Reads are public; votes, collections, reading marks and the digest preview need a token.",
    }
}


def _install_openapi(app: FastAPI) -> None:
    """The OpenAPI document declares the bearer-token scheme, so /api/docs offers "Authorize" and
    sends the token with every request it tries; every operation accepts it (optional: `{}`)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes, tags=OPENAPI_TAGS
            )
            schema.setdefault("components", {})["securitySchemes"] = BEARER_SCHEME
            schema["security"] = [{"bearerAuth": []}, {}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


OPENAPI_TAGS = [
    {"name": "papers", "description": "daily feed, search, papers, similar papers, votes"},
    {"name": "collections", "description": "your collections and public ones"},
    {"name": "reading", "description": "your reading queue, seen marks and notes"},
    {"name": "discussion", "description": "comments on papers"},
    {"name": "digests", "description": "your digest preview; one-click unsubscribe (RFC 8058)"},
    {"name": "feeds", "description": "Atom and RSS feeds (public; conditional GET with ETag / Last-Modified)"},
]


def create_app(ctx: AppContext) -> FastAPI:
    """The complete web application over one context (catalog, community tables, search)."""
    app = FastAPI(
        title="papersift",
        summary="Research-paper discovery: daily feeds, search, similar papers, votes and collections.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(csrf_guard)],
    )
    app.state.web = Web(ctx=ctx, community=ctx.community, templates=make_templates())
    _install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    _install_docs(app)
    _install_openapi(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    settings = ctx.settings
    app.add_middleware(LimitsMiddleware, max_body=settings.max_request_body, max_upload=settings.max_upload_body)
    app.add_middleware(HeadersMiddleware)  # outside the limits: their early 413/414/422 get the headers too
    app.state.metrics = ops_routes.Metrics(ctx)
    app.add_middleware(ops_routes.MetricsMiddleware, metrics=app.state.metrics)  # outermost: times everything
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory for `papersift serve`: settings from PAPERSIFT_HOME / PAPERSIFT_CONFIG.
    Each worker warms up (indexes, encoder, templates) before it takes its first request."""
    app = create_app(AppContext(load_settings()))
    warm_up(app)
    return app

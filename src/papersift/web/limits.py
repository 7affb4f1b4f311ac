"""Request limits enforced before any route runs: URL size and body size.

Every request must be bounded in size and work (docs/security.md). The query string is capped
in bytes and parameters, since each search-page link re-encodes the current state; the body is
capped per request — `max_request_body` for everything, `max_upload_body` for the few upload
routes — and checked twice: a declared `Content-Length` above the cap is refused with 413
before a byte is read, and a body sent without one (chunked) is counted as it arrives and cut
at the cap. So no form, JSON document or multipart upload is parsed or spooled beyond it.
The reverse proxy in front should enforce the same limits (docs/security.md shows how).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_QUERY_BYTES = 16_384  # a 1,000-character query of 4-byte characters, percent-encoded, plus filters
MAX_QUERY_PARAMS = 100
UPLOAD_PATHS = frozenset({"/account/digest/import"})


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its cap; FastAPI re-raises HTTPExceptions from body
    parsing, so it becomes an ordinary 413 error page or JSON problem."""

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit:,} bytes")


def _refuse(status: int, code: str, message: str, api: bool) -> tuple[Message, Message]:
    if api:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        kind = b"application/json"
    else:
        body, kind = f"{status}: {message}\n".encode(), b"text/plain; charset=utf-8"
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
    }
    return start, {"type": "http.response.body", "body": body}


class LimitsMiddleware:
    """Refuses oversized URLs (414/422) and bodies (413) early; pure ASGI so nothing is buffered."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int):
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")
        query: bytes = scope.get("query_string", b"")
        refusal = None
        if len(query) > MAX_QUERY_BYTES:
            refusal = _refuse(414, "uri_too_long", f"the query string is over {MAX_QUERY_BYTES:,} bytes", api)
        elif query.count(b"&") + 1 > MAX_QUERY_PARAMS:
            refusal = _refuse(422, "too_many_parameters", f"at most {MAX_QUERY_PARAMS} query parameters", api)
        limit = self.max_upload if scope["path"] in UPLOAD_PATHS else self.max_body
        declared = dict(scope["headers"]).get(b"content-length")
        if refusal is None and declared is not None and (not declared.isdigit() or int(declared) > limit):
            refusal = _refuse(
                413, "body_too_large", f"the request body is larger than the limit of {limit:,} bytes", api
            )
        if refusal is not None:
            for message in refusal:
                await send(message)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

"""A bounded fuzz of every route's parameters, driven by the OpenAPI schema: no input may cause a 5xx.

The app's own OpenAPI document leaves the HTML routes out (`include_in_schema=False`), so the
schema is generated here over *all* routes of a test app. For every operation, hypothesis draws
path, query and body values from the parameter's schema — and, half of the time, from a pool of
hostile values that ignore the schema (huge and Unicode numbers, CR/LF, markup, long strings) —
and sends them as a signed-in browser would (session cookie and CSRF token), so handlers behind
sign-in are reached too. Run size: FUZZ_EXAMPLES per operation (env PAPERSIFT_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from typing import Any
from urllib.parse import quote

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.context import AppContext
from papersift.web.app import ROUTERS, create_app
from tests.web.conftest import sign_up

FUZZ_EXAMPLES = int(os.environ.get("PAPERSIFT_FUZZ_EXAMPLES", "12"))
HOSTILE = [
    "",
    "0",
    "-1",
    "²",
    "١٢٣",
    str(10**23),
    str(10**30),
    "1" * 40,
    "1e309",
    "NaN",
    "\r\nX-Injected: 1",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "../../../etc/passwd",
    "%00",
    "\x00",
    "a" * 3000,
    '"unclosed',
    "(((((((((((((((((((((((((((((((((((((((((((((x",
    "ti: au: cat: id: year: date:",
    "date:9999-99-99..0000-00-00",
    "2405.00001v99999999999999999999",
    "🦄" * 50,
]
SKIP = {"/api/docs", "/api/openapi.json", "/account/signout"}  # signing out would end the session mid-run


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _valid(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that respect the schema (the common subset FastAPI emits)."""
    schema = _resolve(schema, components)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_valid(s, components) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(_valid(schema.get("items", {}), components), max_size=4)
    if kind == "object":
        props = schema.get("properties", {})
        return st.fixed_dictionaries({k: _valid(v, components) for k, v in props.items()})
    return st.text(max_size=min(schema.get("maxLength", 60), 60))


def _value(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(_valid(schema, components), st.sampled_from(HOSTILE))


def _operations() -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Any]]:
    """(method, path, operation) of every route of the app — HTML ones included — and the
    schema components, from an OpenAPI document generated over copies of all routes."""
    routes = []
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute):
                shown = copy.copy(route)  # the app's own schema keeps hiding the HTML routes
                shown.include_in_schema = True
                routes.append(shown)
    doc = get_openapi(title="fuzz", version="1", routes=routes)
    ops = [
        (method.upper(), path, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
        if path not in SKIP
    ]
    return ops, doc.get("components", {}).get("schemas", {})


def _send(
    client: TestClient,
    token: str,
    method: str,
    path: str,
    params: list[dict[str, Any]],
    kind: str | None,
    values: dict[str, Any],
    form: dict[str, Any],
) -> tuple[int, str]:
    """One request built from drawn values; returns (status, description)."""
    url = path
    query: list[tuple[str, str]] = []
    for p in params:
        v = values[p["name"]]
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(str(v), safe="") or "x")
        elif p["in"] == "query" and v is not None:
            query += [(p["name"], str(i)) for i in v] if isinstance(v, list) else [(p["name"], str(v))]
    request: dict[str, Any] = {"params": query, "headers": {"X-CSRF-Token": token}}
    if kind == "application/json":
        request["content"] = json.dumps(form, default=str)
        request["headers"]["content-type"] = "application/json"
    elif kind == "multipart/form-data":
        request["data"] = {k: str(v) for k, v in form.items() if k not in ("library", "csrf_token")}
        request["data"]["csrf_token"] = token
        request["files"] = {"library": ("f.bib", str(form.get("library", "")).encode(), "text/plain")}
    elif kind:
        data = {k: [str(i) for i in v] if isinstance(v, list) else str(v) for k, v in form.items()}
        request["data"] = {**data, "csrf_token": token}
    response = client.request(method, url, **request)
    return response.status_code, f"{method} {url} {query} {form!r:.200}"


def test_no_route_answers_5xx_to_any_parameter(ctx: AppContext) -> None:
    app = create_app(ctx)
    operations, components = _operations()
    seen: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        token = sign_up(client, "fuzz@example.org")
        for method, path, op in operations:
            params = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {})
            kind = next(iter(body), None)
            fields = _resolve(body[kind]["schema"], components).get("properties", {}) if kind else {}
            strategy = st.tuples(
                st.fixed_dictionaries({p["name"]: _value(p.get("schema", {}), components) for p in params}),
                st.fixed_dictionaries({k: _value(v, components) for k, v in fields.items()}),
            )

            @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(drawn=strategy)
            def run(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
                status, what = _send(client, token, method, path, params, kind, *drawn)  # noqa: B023
                seen[(method, path)] += 1  # noqa: B023
                if status >= 500:
                    failures.append(f"{what} -> {status}")

            run()
    total = sum(seen.values())
    print(f"\nfuzz: {total} requests, {len(seen)} distinct routes, {len(failures)} 5xx")
    assert len(seen) == len(operations) and total >= len(operations)
    assert not failures, "\n".join(failures[:20])

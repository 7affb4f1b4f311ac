"""Monitoring endpoints: `/healthz` (is this process able to serve?) and `/metrics` (Prometheus text).

`/metrics` exports per-route request counts and latency (the route's template, e.g.
`/paper/{paper_id:path}`, never the raw path, so label values stay few), and, read at scrape time,
the catalog size, index lag behind the catalog change log, vector count and the digest ledger by
status. With `serve --workers N` the request counters and latencies are summed over all workers:
`serve` points prometheus-client's multiprocess mode at `<home>/run/metrics` (emptied at each
start), each worker writes its values there and any worker's `/metrics` reads them all. Operators
should keep `/metrics` off the public internet (reverse proxy).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersift.context import AppContext
from papersift.ops.health import read_status

router = APIRouter(include_in_schema=False)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HomeCollector(Collector):
    """Gauges read from the catalog and the index state on every scrape (a few indexed counts)."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = read_status(self.ctx.catalog.engine, self.ctx.settings.index_dir)
        yield GaugeMetricFamily("papersift_catalog_papers", "Live papers in the catalog", value=s.papers or 0)
        yield GaugeMetricFamily("papersift_catalog_seq", "Latest catalog change-log number", value=s.max_seq or 0)
        lag = GaugeMetricFamily("papersift_index_lag", "Catalog changes not yet in the index", labels=["index"])
        lag.add_metric(["lexical"], s.lexical_lag or 0)
        lag.add_metric(["dense"], s.dense_lag or 0)
        yield lag
        yield GaugeMetricFamily("papersift_vectors", "Vectors in the current generation", value=s.vectors or 0)
        ledger = GaugeMetricFamily("papersift_digests", "Digest ledger entries by status", labels=["status"])
        for status in ("pending", "sent", "failed", "rejected"):
            ledger.add_metric([status], s.digests.get(status, 0))
        yield ledger


class Metrics:
    """One registry per app (tests build many apps in one process). Under several workers
    ($PROMETHEUS_MULTIPROC_DIR set by `serve`), the counters live in that directory's files instead
    and the registry reads every worker's files (prometheus-client's multiprocess mode)."""

    def __init__(self, ctx: AppContext):
        self.registry = CollectorRegistry()
        shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        own = None if shared else self.registry
        self.requests = Counter("papersift_http_requests", "HTTP requests", ["method", "route", "status"], registry=own)
        self.latency = Histogram(
            "papersift_http_request_duration_seconds",
            "Time to the end of the response",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        if shared:
            MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]  # untyped upstream
        self.registry.register(HomeCollector(ctx))


class MetricsMiddleware:
    """Counts and times every HTTP request by the route that answered it. Pure ASGI: cheap."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = _route(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    return "/static" if scope.get("path", "").startswith("/static/") else "(unmatched)"


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """200 when the catalog answers; 503 (with the reason) when it does not."""
    ctx: AppContext = request.app.state.web.ctx
    try:
        with ctx.catalog.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc).splitlines()[0]}, 503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

"""/healthz and the Prometheus /metrics endpoint on the real app over a real SQLite home."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from papersift.context import AppContext
from papersift.paper import make_paper


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_metrics_count_routes_and_report_index_lag(client: TestClient, ctx: AppContext) -> None:
    for _ in range(3):
        assert client.get("/papers/2405.00001").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    m = samples(client)
    paper = [
        v
        for (name, labels), v in m.items()
        if name == "papersift_http_requests_total"
        and ("status", "200") in labels
        and any(lbl == "route" and val == "/papers/{paper_id:path}" for lbl, val in labels)
    ]
    assert paper == [3.0]
    assert m[("papersift_http_requests_total", (("method", "GET"), ("route", "(unmatched)"), ("status", "404")))] == 1
    assert m[("papersift_catalog_papers", ())] == 6
    assert m[("papersift_index_lag", (("index", "dense"),))] == 6  # nothing embedded yet
    ctx.catalog.upsert([make_paper(source="test", title="New", arxiv_id="2405.00009")])
    m = samples(client)
    assert m[("papersift_catalog_papers", ())] == 7 and m[("papersift_index_lag", (("index", "dense"),))] == 7
    assert m[("papersift_digests", (("status", "pending"),))] == 0


def test_warm_up_opens_everything_and_leaves_no_trace_in_the_metrics(ctx: AppContext) -> None:
    """`serve` warms each worker with real requests through the app; they are not visitors' requests."""
    from papersift.web.app import create_app
    from papersift.web.warmup import warm_up

    app = create_app(ctx)
    assert warm_up(app) > 0
    assert "indexes" in ctx.__dict__ and "search" in ctx.__dict__  # opened before the first visitor
    with TestClient(app) as client:
        requests = [k for k in samples(client) if k[0] == "papersift_http_requests_total"]
        assert requests == []  # the scrape itself is counted after it is answered
        assert client.get("/search?q=transformers").status_code == 200
        assert any(dict(k[1]).get("route") == "/search" for k in samples(client))


def test_warm_up_of_a_broken_home_still_lets_the_server_start(ctx: AppContext) -> None:
    from papersift.web.app import create_app
    from papersift.web.warmup import warm_up

    app = create_app(ctx)
    ctx.catalog.engine.dispose()
    ctx.settings.home.joinpath("catalog.db").write_bytes(b"not a database")
    assert warm_up(app) > 0  # logged, not raised

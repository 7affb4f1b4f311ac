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

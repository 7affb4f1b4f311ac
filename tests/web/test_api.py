"""The JSON API: shapes, pagination, auth (401/403), error bodies, votes and collections."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import sign_up


def _error(r) -> dict:  # noqa: ANN001
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def test_daily_feed_json(client: TestClient) -> None:
    r = client.get("/api/daily")
    assert r.status_code == 200
    body = r.json()
    assert body["period"]["value"] == "2024-05-29" and body["period"]["previous"] == "2024-05-28"
    assert body["period"]["next"] is None and body["total"] == 2 and body["pages"] == 1
    week = client.get("/api/daily", params={"week": "2024-W22", "sort": "votes", "per_page": 4}).json()
    assert week["total"] == 6 and week["pages"] == 2 and len(week["results"]) == 4
    assert [x["paper"]["id"] for x in week["results"]][:2] == ["2405.00002", "2405.00004"]
    assert week["day_counts"] == {"2024-05-27": 2, "2024-05-28": 2, "2024-05-29": 2}
    assert week["results"][0]["paper"]["external_upvotes"] == 40
    assert week["results"][0]["paper"]["upvotes"] == 0 and week["results"][0]["paper"]["voted"] is None


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/daily?date=2024-02-30", 422),
        ("/api/daily?week=x", 422),
        ("/api/daily?page=-1", 422),
        ("/api/daily?per_page=1000", 422),
        ("/api/daily?sort=best", 422),
        ("/api/papers/nope", 404),
        ("/api/papers/" + "1" * 500, 404),
        ("/api/collections/abc", 422),
        ("/api/collections/7", 404),
        ("/api/nowhere", 404),
        ("/api/search", 422),
        ("/api/papers/nope/similar", 404),
    ],
)
def test_errors_are_json_4xx(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    assert _error(r)["message"]


def test_paper_json_with_old_style_id(client: TestClient) -> None:
    r = client.get("/api/papers/hep-th/9901001")
    assert r.status_code == 200 and r.json()["id"] == "hep-th/9901001"
    assert r.json()["url"] == "/papers/hep-th/9901001"
    assert client.get("/api/papers/arXiv:2405.00003v1").json()["title"] == "<script>alert(1)</script>"


def test_anonymous_writes_get_401(client: TestClient) -> None:
    for method, url, body in [
        ("POST", "/api/papers/2405.00001/vote", None),
        ("DELETE", "/api/papers/2405.00001/vote", None),
        ("POST", "/api/collections", {"name": "x"}),
        ("GET", "/api/collections", None),
    ]:
        r = client.request(method, url, json=body)
        assert r.status_code == 401 and _error(r)["code"] == "unauthorized", (method, url)
    r = client.get("/api/daily", headers={"Authorization": "Bearer ps_not_a_token"})
    assert r.status_code == 401


def test_session_writes_need_the_csrf_header(client: TestClient) -> None:
    token = sign_up(client)
    r = client.post("/api/papers/2405.00001/vote")
    assert r.status_code == 403 and _error(r)["code"] == "csrf_failed"
    r = client.post("/api/papers/2405.00001/vote", headers={"X-CSRF-Token": token})
    assert r.json() == {"paper_id": "2405.00001", "upvotes": 1, "voted": True}
    again = client.post("/api/papers/2405.00001/vote", headers={"X-CSRF-Token": token})
    assert again.json()["upvotes"] == 1  # one vote per user
    assert client.get("/api/papers/2405.00001").json()["voted"] is True
    undo = client.delete("/api/papers/2405.00001/vote", headers={"X-CSRF-Token": token})
    assert undo.json() == {"paper_id": "2405.00001", "upvotes": 0, "voted": False}
    assert client.post("/api/papers/nope/vote", headers={"X-CSRF-Token": token}).status_code == 404


def _bearer(client: TestClient, email: str) -> dict[str, str]:
    sign_up(client, email)
    user = client.app.state.web.community.accounts.get_user(email)
    _, secret = client.app.state.web.community.accounts.create_token(user, "t")
    client.cookies.clear()
    return {"Authorization": f"Bearer {secret}"}


def test_collections_api_lifecycle_and_privacy(client: TestClient) -> None:
    ada, bob = _bearer(client, "ada@example.org"), _bearer(client, "bob@example.org")
    r = client.post("/api/collections", json={"name": "Reading"}, headers=ada)
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json()["public"] is False and r.json()["owner"] == "ada@example.org"
    assert client.post("/api/collections", json={"name": "Reading"}, headers=ada).status_code == 409
    assert client.post("/api/collections", json={"name": ""}, headers=ada).status_code == 422
    added = client.post(f"/api/collections/{cid}/papers", json={"paper_id": "hep-th/9901001v2"}, headers=ada)
    assert [p["id"] for p in added.json()["papers"]] == ["hep-th/9901001"]
    assert client.post(f"/api/collections/{cid}/papers", json={"paper_id": "nope"}, headers=ada).status_code == 404
    for headers in ({}, bob):  # private: missing for everybody else
        assert client.get(f"/api/collections/{cid}", headers=headers).status_code == 404
        assert client.get(f"/api/collections/{cid}/export", headers=headers).status_code == 404
    assert (
        client.post(f"/api/collections/{cid}/papers", json={"paper_id": "2405.00001"}, headers=bob).status_code == 404
    )
    assert client.delete(f"/api/collections/{cid}", headers=bob).status_code == 404
    r = client.patch(f"/api/collections/{cid}", json={"public": True, "name": "Favourites"}, headers=ada)
    assert r.json()["public"] is True and r.json()["name"] == "Favourites"
    public = client.get(f"/api/collections/{cid}").json()
    assert public["owner"] is None and public["size"] == 1  # the owner's email is not published
    bib = client.get(f"/api/collections/{cid}/export?format=bibtex")
    assert bib.headers["content-type"].startswith("application/x-bibtex") and "eprint = {hep-th/9901001}" in bib.text
    lines = client.get(f"/api/collections/{cid}/export?format=jsonl").text.splitlines()
    assert json.loads(lines[0])["id"] == "hep-th/9901001"
    ris = client.get(f"/api/collections/{cid}/export?format=ris")
    assert ris.headers["content-type"].startswith("application/x-research-info-systems")
    assert "AN  - arXiv:hep-th/9901001" in ris.text
    assert 'filename="Favourites.ris"' in ris.headers["content-disposition"]
    csl = client.get(f"/api/collections/{cid}/export?format=csl-json")
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    assert [item["number"] for item in csl.json()] == ["arXiv:hep-th/9901001"]
    assert client.get(f"/api/collections/{cid}/export?format=pdf").status_code == 422
    removed = client.delete(f"/api/collections/{cid}/papers/hep-th/9901001", headers=ada)
    assert removed.json()["papers"] == []
    assert [c["id"] for c in client.get("/api/collections", headers=ada).json()] == [cid]
    assert client.get("/api/collections", headers=bob).json() == []
    assert client.delete(f"/api/collections/{cid}", headers=ada).status_code == 204
    assert client.get(f"/api/collections/{cid}", headers=ada).status_code == 404


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/daily",
        "/api/search",
        "/api/papers/{paper_id}",
        "/api/papers/{paper_id}/vote",
        "/api/collections",
        "/api/collections/{collection_id}/export",
    } <= paths
    assert not any(p.startswith("/account") for p in paths)  # HTML forms stay out of the API docs

"""The collection HTML pages and the no-JavaScript forms, through the real app (plain form POSTs,
no `HX-Request` header, as a browser without JavaScript sends them)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import sign_up


def _titles(html: str) -> list[str]:
    return re.findall(r'<li>\s*<a href="/papers/[^"]+">([^<]+)</a>', html)


def test_collection_pages_create_show_edit_remove_export_delete(client: TestClient) -> None:
    token = sign_up(client)
    assert "No collections yet." in client.get("/collections").text
    assert client.post("/collections", data={"csrf_token": token, "name": ""}).status_code == 422
    made = client.post("/collections", data={"csrf_token": token, "name": "Reading list", "description": "For May"})
    assert made.status_code == 303
    url = made.headers["location"]
    assert re.fullmatch(r"/collections/\d+", url)
    for pid in ("2405.00002", "2405.00004"):
        added = client.post(f"/papers/{pid}/collect", data={"csrf_token": token, "collection_id": url.split("/")[-1]})
        assert added.status_code == 303 and added.headers["location"] == f"/papers/{pid}"
    page = client.get(url).text
    assert "<h1>Reading list</h1>" in page and "<p>For May</p>" in page and "Private collection" in page
    assert "2 papers" in page and _titles(page) == [
        "Sparse mixtures of experts",
        "Diffusion for text",
    ]  # in the order added
    listing = client.get("/collections").text
    assert f'<a href="{url}">Reading list</a> <span class="muted">2 papers · private</span>' in listing

    anonymous = TestClient(client.app, follow_redirects=False)
    assert anonymous.get(url).status_code == 404  # private: not even its existence shows
    edited = client.post(url + "/edit", data={"csrf_token": token, "name": "Reading", "public": "true"})
    assert edited.status_code == 303 and edited.headers["location"] == url
    public = anonymous.get(url)
    assert public.status_code == 200 and "Public collection" in public.text and "<h1>Reading</h1>" in public.text
    assert 'action="' + url + '/remove"' not in public.text  # visitors get no owner forms
    assert anonymous.post(url + "/remove", data={"paper_id": "2405.00002"}).status_code == 403  # no CSRF token

    removed = client.post(url + "/remove", data={"csrf_token": token, "paper_id": "2405.00002"})
    assert removed.status_code == 303 and _titles(client.get(url).text) == ["Diffusion for text"]
    bib = client.get(url + "/export?format=bibtex")
    assert bib.status_code == 200 and bib.text.count("@") == 1 and "Diffusion for text" in bib.text
    lines = client.get(url + "/export?format=jsonl").text.splitlines()
    assert len(lines) == 1 and '"2405.00004"' in lines[0]

    deleted = client.post(url + "/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/collections"
    assert client.get(url).status_code == 404 and "No collections yet." in client.get("/collections").text


def test_vote_form_without_javascript_redirects_back(client: TestClient) -> None:
    token = sign_up(client)
    up = client.post("/papers/2405.00001/vote", data={"csrf_token": token, "action": "up"})
    assert up.status_code == 303 and up.headers["location"] == "/papers/2405.00001"
    page = client.get("/papers/2405.00001").text
    assert 'aria-pressed="true"' in page and '<span class="count">1</span>' in page
    back = client.post("/papers/2405.00001/vote", data={"csrf_token": token, "action": "undo", "next": "/?page=1"})
    assert back.status_code == 303 and back.headers["location"] == "/?page=1"
    assert '<span class="count">0</span>' in client.get("/papers/2405.00001").text
    evil = client.post("/papers/2405.00001/vote", data={"csrf_token": token, "next": "https://evil.example/"})
    assert evil.status_code == 303 and evil.headers["location"] == "/"  # no open redirect


def test_collect_form_without_javascript_creates_and_reports(client: TestClient) -> None:
    token = sign_up(client)
    made = client.post("/papers/2405.00001/collect", data={"csrf_token": token, "new_name": "To read"})
    assert made.status_code == 303 and made.headers["location"] == "/papers/2405.00001"
    page = client.get("/papers/2405.00001").text
    assert re.search(r'<option value="\d+">To read ✓</option>', page)
    foreign = client.post("/papers/2405.00001/collect", data={"csrf_token": token, "collection_id": "999"})
    assert foreign.status_code == 404

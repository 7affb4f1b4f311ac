"""The search page and /api/search over the real search service.

One home per module: the demo papers plus 24 "attention" papers (two pages of results), indexed
with the bundled encoder (a few seconds), so pages, facets, snippets, similar papers and errors
come from the real SearchService, tantivy and the vector index.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.web.app import create_app
from tests.community.factories import DAY1, XSS_TITLE, demo_papers, make_context, paper

EXTRA = [paper(f"2405.1{i:04d}", f"Attention variant {i} for long documents", DAY1, cats=("cs.CL",)) for i in range(24)]
ODD_CATEGORY = paper("2405.20000", "Category escaping probe", DAY1, cats=("<b>odd</b>",), abstract="Probe text.")
# "attention" is in the default abstract of 4 demo papers and of the 24 extra ones
ATTENTION_MATCHES = 28


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = make_context(tmp_path_factory.mktemp("web-search"), [*demo_papers(), *EXTRA, ODD_CATEGORY])
    report = run_indexer(context.catalog, context.indexes, context.encoder)
    assert report.dense_indexed == len(demo_papers()) + len(EXTRA) + 1
    yield context
    context.close()


@pytest.fixture(scope="module")
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as c:
        yield c


def test_empty_search_shows_syntax_help(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200 and "au:&#34;Yann LeCun&#34;" in r.text and 'href="/papers/' not in r.text


def test_results_snippets_facets_and_url_state(client: TestClient) -> None:
    r = client.get(
        "/search",
        params={"q": "attention", "mode": "lexical", "sort": "date", "category": "cs.CL", "from": "2024-01-01"},
    )
    assert r.status_code == 200
    assert "<mark>attention</mark>" in r.text.lower()  # the index's highlighted snippet HTML is kept
    assert 'value="lexical" checked' in r.text and '<option value="date" selected>' in r.text
    assert "category=cs.CL&amp;category=cs.CL" not in r.text  # facet links add, never duplicate state
    assert "Remove category cs.CL" in r.text


def test_titles_snippets_and_facet_values_are_escaped(client: TestClient) -> None:
    r = client.get("/search", params={"q": "tags", "mode": "lexical"})
    assert "/papers/2405.00003" in r.text and XSS_TITLE not in r.text and "&lt;script&gt;" in r.text
    assert "<b>tags</b>" not in r.text  # the abstract's markup is text in the snippet
    odd = client.get("/search", params={"q": "probe", "mode": "lexical"})
    assert "/papers/2405.20000" in odd.text and "<b>odd</b>" not in odd.text and "&lt;b&gt;odd&lt;/b&gt;" in odd.text


def test_pagination_keeps_state(client: TestClient) -> None:
    r = client.get("/search", params={"q": "attention", "category": "cs.CL", "mode": "lexical"})
    assert "Page 1 of 2" in r.text and "page=2" in r.text and "mode=lexical" in r.text and "category=cs.CL" in r.text
    second = client.get("/search", params={"q": "attention", "category": "cs.CL", "mode": "lexical", "page": 2})
    assert "Page 2 of 2" in second.text


def test_query_errors_are_explained(client: TestClient) -> None:
    r = client.get("/search", params={"q": "(broken"})
    assert r.status_code == 400 and "parenthes" in r.text and "^" in r.text
    api = client.get("/api/search", params={"q": "(broken"})
    assert api.status_code == 400 and api.json()["error"]["code"] == "invalid_query"


def test_no_results_help(client: TestClient) -> None:
    r = client.get("/search", params={"q": "zzzz", "category": "cs.CL", "mode": "lexical"})
    assert "No results" in r.text and "Remove the filters" in r.text and "meaning-based search" in r.text


def test_api_search_shape(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "attention", "mode": "lexical", "per_page": 2, "page": 2}).json()
    keys = {"results", "total", "page", "per_page", "pages", "facets", "facets_among", "notices", "query", "mode"}
    assert keys <= set(body)
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (ATTENTION_MATCHES, 2, 2, 14)
    assert len(body["results"]) == 2 and all("<mark>" in r["snippet"].lower() for r in body["results"])
    assert body["notices"] == [] and body["facets_among"] is None
    assert dict(body["facets"]["categories"]) == {"cs.CL": 27, "cs.LG": 1, "hep-th": 1}
    assert client.get("/api/search", params={"q": "attention", "page": 51}).status_code == 422


def test_similar_block_and_api(client: TestClient) -> None:
    frag = client.get("/papers/2405.00001/similar", headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and "similarity 0." in frag.text
    assert XSS_TITLE not in frag.text
    full = client.get("/papers/2405.00001/similar")
    assert "<html" in full.text
    body = client.get("/api/papers/2405.00001/similar", params={"limit": 2}).json()
    assert len(body["results"]) == 2 and "2405.00001" not in [r["paper"]["id"] for r in body["results"]]
    for r in body["results"]:
        assert r["measure"] == "cosine" and r["reason"].startswith(f"similarity {r['score']:.2f}")


def test_real_search_finds_the_obvious_paper_in_every_mode(client: TestClient) -> None:
    for mode in ("lexical", "dense", "hybrid"):
        r = client.get("/api/search", params={"q": "diffusion for text", "mode": mode})
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["paper"]["id"] == "2405.00004", mode
    page = client.get("/search", params={"q": "diffusion", "mode": "lexical"})
    assert page.status_code == 200 and "Diffusion for text" in page.text


def test_hide_seen_leaves_a_users_seen_papers_out_of_a_search_page(client: TestClient) -> None:
    accounts = client.app.state.web.community.accounts  # type: ignore[attr-defined]
    _, secret = accounts.create_token(accounts.create_user("seen@example.org", "correct horse battery"), "t")
    auth = {"Authorization": f"Bearer {secret}"}
    params = {"q": "attention", "mode": "lexical", "per_page": "10"}
    full = client.get("/api/search", params=params, headers=auth).json()
    first_two = [r["paper"]["id"] for r in full["results"][:2]]
    for pid in first_two:
        assert client.put(f"/api/reading/seen/{pid}", headers=auth).status_code == 200
    hidden = client.get("/api/search", params={**params, "hide_seen": "1"}, headers=auth).json()
    assert hidden["hidden_seen"] == 2 and hidden["total"] == full["total"]  # the total still counts them
    assert [r["paper"]["id"] for r in hidden["results"]] == [r["paper"]["id"] for r in full["results"][2:]]
    assert client.get("/api/search", params=params, headers=auth).json()["hidden_seen"] == 0  # opt-in
    anonymous = client.get("/api/search", params={**params, "hide_seen": "1"}).json()
    assert anonymous["hidden_seen"] == 0 and len(anonymous["results"]) == len(full["results"])

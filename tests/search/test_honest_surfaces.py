"""What the page, /api/search and the CLI say about a search's answer (issue 12 §1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from papersift.cli import app
from papersift.context import AppContext
from papersift.index.embedded import lexical
from papersift.query.syntax import parse
from papersift.search import service
from papersift.web.app import create_app
from tests.search.conftest import UNEMBEDDED
from tests.test_cli_catalog import cli


@pytest.fixture(scope="module")
def demo_client(demo_ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(demo_ctx), follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def partial_client(partial_ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(partial_ctx), follow_redirects=False) as c:
        yield c


def test_api_reports_kind_keyword_matches_and_coverage(demo_client: TestClient, demo_ctx: AppContext) -> None:
    body = demo_client.get("/api/search", params={"q": "zzzxqv qqqwz", "mode": "hybrid"}).json()
    assert (body["total"], body["results"], body["keyword_matches"], body["kind"]) == (0, [], 0, "matches")
    n = len(demo_ctx.indexes.vectors)
    assert body["coverage"] == {"with_vectors": n, "papers": n, "percent": 100.0, "partial": False, "provisional": 0}
    body = demo_client.get("/api/search", params={"q": "zzzxqv qqqwz", "mode": "dense"}).json()
    assert body["kind"] == "nearest" and body["total"] == n and body["results"]


def test_api_announces_a_partial_index(partial_client: TestClient, partial_ctx: AppContext) -> None:
    body = partial_client.get("/api/search", params={"q": "mixture of experts"}).json()
    coverage = partial_ctx.search.coverage()
    assert body["coverage"]["partial"] is True
    assert (body["coverage"]["with_vectors"], body["coverage"]["papers"]) == (coverage.with_vectors, coverage.papers)
    assert any("papers without a vector are ranked by their keywords" in n for n in body["notices"])


def test_page_offers_meaning_when_no_word_matches(demo_client: TestClient) -> None:
    page = demo_client.get("/search", params={"q": "zzzxqv qqqwz"}).text
    assert "No results" in page and "No paper contains any of these words" in page
    assert re.search(r'id="offer-meaning" href="[^"]*mode=dense', page)
    assert "100 results" not in page


def test_page_totals_say_what_they_count(demo_client: TestClient, demo_ctx: AppContext) -> None:
    hybrid = demo_ctx.search.search("rlhf preference optimization")
    assert hybrid.keyword_matches is not None and hybrid.keyword_matches < hybrid.total
    text = " ".join(demo_client.get("/search", params={"q": "rlhf preference optimization"}).text.split())
    assert (
        f"{hybrid.total:,} results ({hybrid.keyword_matches:,} match your words, "
        f"{hybrid.total - hybrid.keyword_matches:,} are close in meaning)" in text
    )
    text = " ".join(demo_client.get("/search", params={"q": "rlhf", "mode": "dense"}).text.split())
    assert f"{len(demo_ctx.indexes.vectors):,} papers ranked by closeness of meaning" in text


def test_page_announces_a_partial_index(partial_client: TestClient, partial_ctx: AppContext) -> None:
    coverage = partial_ctx.search.coverage()
    page = partial_client.get("/search", params={"q": '"mixture of experts"'}).text
    assert f"The meaning index has vectors for {coverage.with_vectors:,} of {coverage.papers:,} papers" in page


def test_cli_says_the_same(partial_ctx: AppContext, demo_ctx: AppContext) -> None:
    proc = cli(partial_ctx.settings.home, "search", '"mixture of experts"', "--json")
    out = json.loads(proc.stdout)
    assert out["coverage"]["partial"] is True and out["kind"] == "matches"
    assert "The meaning index has vectors for" in " ".join(proc.stderr.split())
    proc = cli(demo_ctx.settings.home, "search", "zzzxqv qqqwz")
    assert "0 results" in proc.stdout and "--mode dense" in " ".join(proc.stderr.split())
    proc = cli(demo_ctx.settings.home, "search", "zzzxqv qqqwz", "--mode", "dense", "--limit", "3")
    assert "papers ranked by closeness of meaning" in proc.stdout
    assert proc.stdout.count("│ 1 ") == 1  # the results are printed once, on stdout


def test_provisional_vectors_are_counted_and_announced(provisional_ctx: AppContext) -> None:
    coverage = provisional_ctx.search.coverage()
    assert coverage.provisional == len(UNEMBEDDED) and not coverage.partial
    with TestClient(create_app(provisional_ctx), follow_redirects=False) as client:
        body = client.get("/api/search", params={"q": "mixture of experts"}).json()
        assert body["coverage"]["provisional"] == len(UNEMBEDDED)
        assert body["coverage"]["with_vectors"] == coverage.with_vectors == coverage.papers
        notice = f"{len(UNEMBEDDED):,} of its {coverage.with_vectors:,} vectors are provisional"
        assert any(notice in n for n in body["notices"])
        page = " ".join(client.get("/search", params={"q": "mixture of experts"}).text.split())
        assert notice in page
        lexical = client.get("/api/search", params={"q": "mixture of experts", "mode": "lexical"}).json()
        assert not lexical["notices"]
    # the provisional papers are found by meaning, in the same space as the full vectors
    hits = [pid for pid, _ in provisional_ctx.search.ranked(parse("mixture of experts routing"), "dense", depth=20)]
    assert {p.id for p in UNEMBEDDED} & set(hits)


def test_estimated_totals_say_about(
    demo_client: TestClient, demo_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OR of common words is not counted past PRUNE_POSTINGS postings (D71): every surface then
    says "about", with the estimate at the two digits it is good for; filtered queries stay exact."""
    monkeypatch.setattr(lexical, "PRUNE_POSTINGS", 0)  # the demo corpus treated as a large one
    query = "language model reasoning"
    exact = demo_ctx.indexes.lexical.count(parse(query))
    page = demo_ctx.search.search(query, mode="lexical")
    assert not page.total_exact and page.total % 10 ** (len(str(page.total)) - 2) == 0
    assert abs(page.total - exact) <= 0.25 * exact
    body = demo_client.get("/api/search", params={"q": query, "mode": "lexical"}).json()
    assert (body["total"], body["total_exact"]) == (page.total, False)
    text = " ".join(demo_client.get("/search", params={"q": query, "mode": "lexical"}).text.split())
    assert f"about</span> {page.total:,} results" in text
    hybrid = demo_ctx.search.search("rlhf preference optimization")
    kw = hybrid.keyword_matches
    assert not hybrid.total_exact and kw is not None and kw < hybrid.total  # meaning added papers, counted exactly
    text = " ".join(demo_client.get("/search", params={"q": "rlhf preference optimization"}).text.split())
    assert (
        f"about</span> {hybrid.total:,} results (about {kw:,} match your words, {hybrid.total - kw:,} are close" in text
    )
    # past FACET_ALL_MAX matches, meaning's few extra papers vanish in the estimate's rounding: the
    # word check that would count them is skipped and the total is the keyword estimate (D71)
    monkeypatch.setattr(service, "FACET_ALL_MAX", 0)
    broad = demo_ctx.search.search(query)
    assert (broad.total, broad.keyword_matches, broad.total_exact) == (page.total, page.total, False)
    assert broad.facets_among is not None
    text = " ".join(demo_client.get("/search", params={"q": query}).text.split())
    assert f"about</span> {page.total:,} results · hybrid ranking" in text
    out = CliRunner().invoke(app, ["--home", str(demo_ctx.settings.home), "search", query, "--mode", "lexical"])
    assert f"about {page.total:,} results" in " ".join(out.stdout.split())
    as_json = CliRunner().invoke(
        app, ["--home", str(demo_ctx.settings.home), "search", query, "--mode", "lexical", "--json"]
    )
    assert json.loads(as_json.stdout)["total_exact"] is False
    filtered = demo_client.get("/api/search", params={"q": query + " cat:cs.CL", "mode": "lexical"}).json()
    assert filtered["total_exact"] is True
    assert filtered["total"] == demo_ctx.indexes.lexical.count(parse(query + " cat:cs.CL"))


def test_candidate_facets_from_the_vector_columns_equal_the_lexical_counts(
    demo_ctx: AppContext, partial_ctx: AppContext
) -> None:
    """The facet counts of a huge answer's candidates come from the vector index's category bits
    (D80): the same counts the lexical index aggregates, and none when a candidate has no vector."""
    store = demo_ctx.indexes
    for text in ("language model", "graph neural network", "robot"):
        ids = [pid for pid, _ in store.lexical.search(parse(text), limit=100)]
        counts = store.vectors.category_counts(ids, 20)
        assert counts is not None and counts
        assert dict(counts) == dict(store.lexical.facets_among(ids, limit=20)), text
    partial = partial_ctx.indexes
    ids = [pid for pid, _ in partial.lexical.search(parse("model"), limit=20)] + [p.id for p in UNEMBEDDED[:2]]
    assert set(ids) - partial.vectors.have(ids), "the partial home should have papers without a vector"
    assert partial.vectors.category_counts(ids, 20) is None
    assert partial_ctx.search._candidate_facets(ids) == partial.lexical.facets_among(ids, limit=20)

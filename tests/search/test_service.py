"""The search service on a real home: modes, exact filters, pagination, similar papers, errors.

Uses 400 real SciFact abstracts (embedded with the bundled encoder once per session) plus a
handful of arXiv-style papers with categories and dates for the filter cases.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.paper import Paper, make_paper
from papersift.query.syntax import parse
from papersift.query.types import Filters, QueryError
from papersift.search.feedback import FEEDBACK_DOCS
from papersift.search.smoothing import SMOOTH_WEIGHT

ARXIV = [
    ("2401.00001", "Graph neural networks for molecular property prediction", "cs.LG", date(2024, 1, 5)),
    ("2401.00002", "Message passing networks on molecular graphs", "cs.LG", date(2024, 1, 20)),
    ("2402.00003", "Protein structure prediction with transformers", "q-bio.BM", date(2024, 2, 3)),
    ("2403.00004", "Chemical reaction outcome prediction using graph models", "physics.chem-ph", date(2024, 3, 9)),
    ("2405.00005", "Large language models for molecule generation", "cs.CL", date(2024, 5, 1)),
]


def _papers(shared: Path) -> list[Paper]:
    out = []
    with (shared / "scifact" / "corpus.jsonl").open() as fh:
        for line, _ in zip(fh, range(400), strict=False):
            d = json.loads(line)
            out.append(Paper(id=f"scifact:{d['_id']}", title=d["title"], abstract=d["text"]))
    for pid, title, cat, day in ARXIV:
        out.append(
            make_paper(
                source="test",
                title=title,
                abstract=f"{title}. We study this problem.",
                arxiv_id=pid,
                categories=[cat],
                submitted=day,
            )
        )
    return out


@pytest.fixture(scope="session")
def ctx(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> AppContext:
    app_ctx = AppContext(load_settings(tmp_path_factory.mktemp("search-home")))
    app_ctx.catalog.upsert(_papers(shared_data))
    run_indexer(app_ctx.catalog, app_ctx.indexes, app_ctx.encoder)
    return app_ctx


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_every_mode_finds_the_obvious_paper(ctx: AppContext, mode: str) -> None:
    page = ctx.search.search("graph neural networks molecules", mode=mode)  # type: ignore[arg-type]
    assert page.hits and page.hits[0].paper.id in {"2401.00001", "2401.00002"}
    scores = [h.score for h in page.hits]
    assert scores == sorted(scores, reverse=True)


def test_dense_finds_meaning_without_shared_words(ctx: AppContext) -> None:
    ids = [h.paper.id for h in ctx.search.search("chemistry deep learning", mode="dense").hits[:5]]
    assert {"2401.00001", "2403.00004"} & set(ids)


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_filters_are_exact_in_every_mode(ctx: AppContext, mode: str) -> None:
    page = ctx.search.search("prediction cat:cs.*", mode=mode, per_page=50)  # type: ignore[arg-type]
    assert page.hits and all(any(c.startswith("cs.") for c in h.paper.categories) for h in page.hits)
    page = ctx.search.search(
        "prediction",
        mode=mode,
        filters=Filters(
            date_from=date(2024, 2, 1),  # type: ignore[arg-type]
            date_to=date(2024, 3, 31),
        ),
    )
    assert {h.paper.id for h in page.hits} == {"2402.00003", "2403.00004"}


def test_dense_filter_is_not_truncated_to_empty(ctx: AppContext) -> None:
    # the only cs.CL paper is far from this query in embedding space; an approximate
    # top-k-then-filter would return nothing
    page = ctx.search.search("white matter diffusion imaging cat:cs.CL", mode="dense")
    assert [h.paper.id for h in page.hits] == ["2405.00005"]


def test_browse_by_filter_sorts_newest_first(ctx: AppContext) -> None:
    page = ctx.search.search("cat:cs.*")
    assert [h.paper.id for h in page.hits] == ["2405.00005", "2401.00002", "2401.00001"]
    assert page.total == 3


def test_pagination_is_disjoint_and_consistent(ctx: AppContext) -> None:
    first = ctx.search.search("cells", mode="lexical", per_page=10)
    second = ctx.search.search("cells", mode="lexical", page=2, per_page=10)
    both = ctx.search.search("cells", mode="lexical", per_page=20)
    assert [h.paper.id for h in both.hits] == [h.paper.id for h in first.hits + second.hits]
    assert first.total == second.total >= 20


def test_snippets_highlight_and_facets(ctx: AppContext) -> None:
    page = ctx.search.search("molecular", mode="lexical")
    assert any("<mark>" in h.snippet for h in page.hits)
    assert dict(page.facets["categories"]).get("cs.LG") == 2
    # "graph(s)" is in three ARXIV titles (SciFact papers have no categories): counted by hand
    assert dict(ctx.search.search("graph", mode="lexical").facets["categories"]) == {"cs.LG": 2, "physics.chem-ph": 1}


def test_facets_of_a_huge_match_set_count_the_top_results(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above FACET_ALL_MAX matches only the top `depth` results are counted. Browsing year:2024
    (the five ARXIV papers, newest first) with depth 2 and one result a page counts May's cs.CL
    and March's chem-ph."""
    exact = ctx.search.search("year:2024", mode="lexical")
    assert exact.facets_among is None and dict(exact.facets["categories"]) == {
        "cs.LG": 2,
        "q-bio.BM": 1,
        "physics.chem-ph": 1,
        "cs.CL": 1,
    }
    monkeypatch.setattr("papersift.search.service.FACET_ALL_MAX", 0)  # every match set is "huge" now
    monkeypatch.setattr(ctx.search, "depth", 2)
    page = ctx.search.search("year:2024", mode="lexical", per_page=1)
    assert (page.total, page.facets_among, [h.paper.id for h in page.hits]) == (5, 2, ["2405.00005"])
    assert dict(page.facets["categories"]) == {"cs.CL": 1, "physics.chem-ph": 1}


@pytest.mark.parametrize("query", ["", "   ", "(unbalanced", "foo:bar", "x" * 5000])
def test_bad_queries_raise_query_error(ctx: AppContext, query: str) -> None:
    with pytest.raises(QueryError):
        ctx.search.search(query)


def test_bad_parameters_raise_query_error(ctx: AppContext) -> None:
    for kwargs in ({"mode": "fuzzy"}, {"sort": "random"}, {"page": 0}, {"page": 10_000}, {"per_page": 0}):
        with pytest.raises(QueryError):
            ctx.search.search("cells", **kwargs)  # type: ignore[arg-type]


def test_similar_papers_with_reasons(ctx: AppContext) -> None:
    hits = ctx.search.similar("2401.00001", limit=3)
    assert hits[0].paper.id in {"2401.00002", "2403.00004"}
    assert all(h.paper.id != "2401.00001" for h in hits)
    assert hits[0].measure == "cosine" and hits[0].reason.startswith(f"similarity {hits[0].score:.2f}; shared terms: ")
    assert hits[0].shared_terms
    with pytest.raises(KeyError):
        ctx.search.similar("9999.99999")


def test_hybrid_feeds_back_the_top_fused_papers_to_the_dense_side(ctx: AppContext) -> None:
    """The second dense pass starts from the query moved toward the top fused papers: the
    obvious papers stay on top, the dense scores (and so the fused ranking) change, and the
    filters still hold."""
    service = ctx.search
    parsed = parse("graph neural networks molecules")
    with_feedback = service.ranked(parsed, "hybrid")
    service.feedback_docs = 0
    try:
        without = service.ranked(parsed, "hybrid")
    finally:
        service.feedback_docs = FEEDBACK_DOCS
    assert with_feedback[0][0] in {"2401.00001", "2401.00002"} and without[0][0] in {"2401.00001", "2401.00002"}
    assert with_feedback != without
    filtered = service.ranked(parse("prediction cat:cs.LG"), "hybrid")
    assert {pid for pid, _ in filtered} <= {"2401.00001", "2401.00002"}


def test_hybrid_regularises_fused_scores_over_neighbouring_candidates(ctx: AppContext) -> None:
    """With smoothing (D57) the ranking changes, the obvious papers stay on top and filters hold;
    off (or under RRF fusion), it is exactly the fused ranking."""
    service = ctx.search
    parsed = parse("graph neural networks molecules")
    smoothed = service.ranked(parsed, "hybrid")
    fusion = service.fusion
    service.smooth_weight = 0.0
    try:
        plain = service.ranked(parsed, "hybrid")
        service.fusion = "rrf"
        rrf_plain = service.ranked(parsed, "hybrid")
        service.smooth_weight = SMOOTH_WEIGHT
        assert service.ranked(parsed, "hybrid") == rrf_plain  # RRF scores are not smoothed
    finally:
        service.smooth_weight, service.fusion = SMOOTH_WEIGHT, fusion
    assert smoothed[0][0] in {"2401.00001", "2401.00002"} and plain[0][0] in {"2401.00001", "2401.00002"}
    assert smoothed != plain
    filtered = service.ranked(parse("prediction cat:cs.LG"), "hybrid")
    assert {pid for pid, _ in filtered} <= {"2401.00001", "2401.00002"}


def test_a_keyword_index_behind_the_vectors_is_said(ctx: AppContext) -> None:
    """While the keyword index is rebuilt (e.g. an older papersift's) it holds fewer papers than the
    vector index: every page says its keyword matches are incomplete, and the coverage stays <= 100%."""
    lexical = ctx.indexes.lexical
    gone = ctx.catalog.get("2401.00001")
    assert gone is not None and ctx.search.coverage().keyword_notice() is None
    lexical.delete([gone.id])
    lexical.commit()
    try:
        for mode in ("lexical", "hybrid"):
            page = ctx.search.search("graph neural networks molecules", mode=mode)  # type: ignore[arg-type]
            assert any("keyword index holds" in n and "being rebuilt" in n for n in page.notices), page.notices
            assert page.coverage is not None and page.coverage.percent == 100.0
    finally:
        lexical.upsert([gone])
        lexical.commit()
    assert not any("keyword index" in n for n in ctx.search.search("graph neural networks", mode="hybrid").notices)

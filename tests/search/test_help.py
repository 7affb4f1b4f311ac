"""The search page's help table tells the truth: each example runs on the demo corpus, returns
results, and does what its line says (issue 12: "test the help's examples against the engine")."""

from __future__ import annotations

from datetime import date

import pytest

from papersift.context import AppContext
from papersift.query import syntax as q
from papersift.web.search_pages import SYNTAX

EXAMPLES = dict(SYNTAX)


@pytest.mark.parametrize("example", list(EXAMPLES))
@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_every_help_example_returns_results_on_the_demo(demo_ctx: AppContext, example: str, mode: str) -> None:
    assert demo_ctx.search.search(example, mode=mode).hits, f"help example {example!r} finds nothing ({mode})"  # type: ignore[arg-type]


def _count(ctx: AppContext, node: q.Node) -> int:
    return len(ctx.indexes.lexical.filter_ids(node) or ())


def test_juxtaposed_words_mean_either_and_and_means_both(demo_ctx: AppContext) -> None:
    assert "either word" in EXAMPLES["transformer attention"]
    assert "both words" in EXAMPLES["transformer AND attention"]
    t, a = q.Term("transformer"), q.Term("attention")
    either, both = _count(demo_ctx, q.Or((t, a))), _count(demo_ctx, q.And((t, a)))
    assert either > both > 0
    assert demo_ctx.search.search("transformer attention", mode="lexical").total == either
    assert demo_ctx.search.search("transformer AND attention", mode="lexical").total == both
    assert demo_ctx.search.search("+transformer +attention", mode="lexical").total == both
    top = demo_ctx.search.search("transformer attention", mode="lexical", per_page=10).hits
    assert demo_ctx.indexes.lexical.filter_among(q.And((t, a)), [h.paper.id for h in top]) == {
        h.paper.id for h in top
    }  # "those with both rank first"


def _hits(ctx: AppContext, query: str) -> list:  # type: ignore[type-arg]
    return ctx.search.search(query, mode="hybrid", per_page=100).hits


def test_field_and_filter_examples_do_what_they_say(demo_ctx: AppContext) -> None:
    lexical = demo_ctx.indexes.lexical
    ids = [h.paper.id for h in _hits(demo_ctx, "diffusion -image")]
    assert ids and not lexical.filter_among(q.Term("image"), ids)
    ids = [h.paper.id for h in _hits(demo_ctx, "ti:diffusion")]
    assert ids and lexical.filter_among(q.Term("diffusion", field="title"), ids) == set(ids)
    assert all(any("LeCun" in a for a in h.paper.authors) for h in _hits(demo_ctx, 'au:"Yann LeCun"'))
    assert all("cs.CL" in h.paper.categories for h in _hits(demo_ctx, "cat:cs.CL"))
    assert all(h.paper.work_date.year == 2025 for h in _hits(demo_ctx, "year:2025"))
    hits = _hits(demo_ctx, "date:2025-05-01..2025-05-31")
    assert all(date(2025, 5, 1) <= h.paper.work_date <= date(2025, 5, 31) for h in hits)
    assert [h.paper.id for h in _hits(demo_ctx, "id:2601.16515")] == ["2601.16515"]
    ids = [h.paper.id for h in _hits(demo_ctx, "llm AND (rlhf OR dpo) NOT survey")]
    meaning = q.And((q.Term("llm"), q.Or((q.Term("rlhf"), q.Term("dpo"))), q.Not(q.Term("survey"))))
    assert ids and lexical.filter_among(meaning, ids) == set(ids)

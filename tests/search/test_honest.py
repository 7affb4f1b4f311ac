"""Search says only what is true, in every mode (issue 12 §1), on the demo corpus.

- what keyword search requires of every result (phrases, +word, AND, -word, field words)
  holds for meaning and hybrid results too;
- a query no paper's words match has no hybrid answer; meaning search is offered instead;
- totals are the real size of the answer: paging to the end yields exactly `total` papers;
- a partial meaning index is announced, and hybrid ranks papers without a vector by keywords.
"""

from __future__ import annotations

from collections import Counter

import pytest

from papersift.context import AppContext
from papersift.query.syntax import parse
from papersift.search.answer import keyword_condition, match_filter, required_filter
from papersift.search.types import MODES, SearchPage
from tests.search.conftest import UNEMBEDDED

CONSTRAINED = [
    '"mixture of experts"',
    "+diffusion -image",
    "transformer AND attention",
    "ti:diffusion",
    '"language model" "reward model"',
    "video generation -diffusion",
    'benchmark +"chain of thought"',
    '("mixture of experts" OR "sparse attention") cat:cs.CL',
]


def _all_pages(ctx: AppContext, query: str, mode: str) -> tuple[list[str], SearchPage]:
    ids: list[str] = []
    first = page = ctx.search.search(query, mode=mode, per_page=100)  # type: ignore[arg-type]
    while True:
        ids += [h.paper.id for h in page.hits]
        if page.page >= page.pages:
            return ids, first
        page = ctx.search.search(query, mode=mode, per_page=100, page=page.page + 1)  # type: ignore[arg-type]


def _satisfying(ctx: AppContext, query: str, ids: list[str]) -> set[str]:
    """The ids that meet the query's filters and required words (checked by the lexical index)."""
    parsed = parse(query)
    ok = set(ids)
    for node in (parsed.filters, required_filter(parsed.text)):
        if node is not None:
            ok &= ctx.indexes.lexical.filter_among(node, ids)
    return ok


@pytest.mark.parametrize("query", CONSTRAINED)
@pytest.mark.parametrize("mode", MODES)
def test_required_words_hold_in_every_mode(demo_ctx: AppContext, query: str, mode: str) -> None:
    ids, page = _all_pages(demo_ctx, query, mode)
    assert ids, f"{query!r} found nothing in {mode} mode"
    assert _satisfying(demo_ctx, query, ids) == set(ids)


@pytest.mark.parametrize("query", ['"mixture of experts"', "transformer AND attention", "+diffusion -image"])
def test_a_fully_required_query_has_one_total_in_every_mode(demo_ctx: AppContext, query: str) -> None:
    """When keyword search requires everything, every mode answers with the same papers."""
    answers = {mode: _all_pages(demo_ctx, query, mode) for mode in MODES}
    totals = {mode: page.total for mode, (_, page) in answers.items()}
    assert len(set(totals.values())) == 1, totals
    assert len({frozenset(ids) for ids, _ in answers.values()}) == 1


@pytest.mark.parametrize("query", [*CONSTRAINED, "rlhf preference optimization", "the of cat:cs.LG", "graph -neural"])
def test_keyword_condition_picks_exactly_the_papers_keyword_search_lists(demo_ctx: AppContext, query: str) -> None:
    """Hybrid's total asks which meaning-side papers keyword search would list with a match test
    (`filter_among` of `keyword_condition`) instead of a ranked search: the same papers."""
    lexical, parsed = demo_ctx.indexes.lexical, parse(query)
    listed = {pid for pid, _ in lexical.search(parsed, limit=max(lexical.count(parsed), 1))}
    candidates = [pid for pid, _ in demo_ctx.search.nearest(demo_ctx.search.embed_query(query), parse("x"), 300)]
    mixed = [*candidates, *list(listed)[:50], "no-such-paper"]
    expected = listed & set(mixed)
    assert expected and set(mixed) - expected, "the sample must hold both kinds"
    assert lexical.filter_among(keyword_condition(parsed), mixed) == expected


def test_gibberish_has_no_hybrid_results_and_offers_meaning(demo_ctx: AppContext) -> None:
    hybrid = demo_ctx.search.search("zzzxqv qqqwz", mode="hybrid")
    assert (hybrid.total, hybrid.hits, hybrid.keyword_matches, hybrid.offer_meaning) == (0, [], 0, True)
    assert demo_ctx.search.search("zzzxqv qqqwz", mode="lexical").total == 0
    meaning = demo_ctx.search.search("zzzxqv qqqwz", mode="dense")
    assert meaning.hits and meaning.kind == "nearest" and not meaning.offer_meaning
    assert meaning.total == len(demo_ctx.indexes.vectors)  # it ranks every paper; it does not "match" them


def test_hybrid_total_is_the_keyword_matches_plus_the_meaning_extras(demo_ctx: AppContext) -> None:
    query = "rlhf preference optimization"
    keyword = demo_ctx.search.search(query, mode="lexical")
    ids, hybrid = _all_pages(demo_ctx, query, "hybrid")
    assert hybrid.keyword_matches == keyword.total > 0
    assert len(ids) == len(set(ids)) == hybrid.total > keyword.total  # the real size: every page, no repeats
    keyword_ids = demo_ctx.indexes.lexical.filter_among(match_filter(parse(query).text), ids)  # type: ignore[arg-type]
    assert len(keyword_ids) == keyword.total


def test_hybrid_facets_count_the_papers_the_answer_holds(demo_ctx: AppContext) -> None:
    """The category counts describe the answer the page shows: keyword matches and meaning extras."""
    query = "rlhf preference optimization"
    ids, hybrid = _all_pages(demo_ctx, query, "hybrid")
    assert hybrid.total > hybrid.keyword_matches and hybrid.facets_among is None  # extras exist; all counted
    papers = demo_ctx.catalog.get_many(ids)
    truth = Counter(c for pid in ids for c in dict.fromkeys(papers[pid].categories))
    shown = hybrid.facets["categories"]
    assert shown and all(truth[name] == n for name, n in shown), (shown, truth.most_common(len(shown)))
    assert [n for _, n in shown] == sorted(truth.values(), reverse=True)[: len(shown)]
    keyword = demo_ctx.search.search(query, mode="lexical").facets["categories"]
    assert sum(n for _, n in shown) > sum(n for _, n in keyword)  # the extras are in the counts


def test_meaning_total_counts_what_it_ranks(demo_ctx: AppContext) -> None:
    ids, page = _all_pages(demo_ctx, '"mixture of experts"', "dense")
    assert page.kind == "nearest" and page.total == len(ids) == len(set(ids))
    plain = demo_ctx.search.search("mixture of experts", mode="dense")
    assert plain.total == len(demo_ctx.indexes.vectors)


def test_a_partial_meaning_index_is_announced(partial_ctx: AppContext) -> None:
    coverage = partial_ctx.search.coverage()
    assert coverage.partial and coverage.papers - coverage.with_vectors == len(UNEMBEDDED)
    for mode in ("dense", "hybrid"):
        page = partial_ctx.search.search("mixture of experts", mode=mode)  # type: ignore[arg-type]
        assert page.coverage == coverage
        assert any(f"{coverage.with_vectors:,} of {coverage.papers:,} papers" in n for n in page.notices)
    assert not partial_ctx.search.search("mixture of experts", mode="lexical").notices


def test_hybrid_ranks_papers_without_a_vector_by_their_keywords(partial_ctx: AppContext) -> None:
    """The unembedded papers are the best keyword matches; hybrid must not sink them for lacking a vector."""
    new = {p.id for p in UNEMBEDDED}
    keyword = [h.paper.id for h in partial_ctx.search.search('"mixture of experts"', mode="lexical").hits]
    assert set(keyword[: len(new)]) == new
    hybrid = [h.paper.id for h in partial_ctx.search.search('"mixture of experts"', mode="hybrid").hits]
    assert new <= set(hybrid[: len(new) + 2])
    meaning = partial_ctx.search.search('"mixture of experts"', mode="dense")
    assert not new & {h.paper.id for h in meaning.hits}  # meaning can only rank what has a vector
    assert meaning.total == partial_ctx.search.search('"mixture of experts"', mode="lexical").total - len(new)


def test_required_part_of_a_query() -> None:
    def required(text: str) -> str:
        node = required_filter(parse(text).text)
        return "" if node is None else str(node)

    assert required("transformer attention") == ""  # optional plain words: meaning may find other words
    assert required('"mixture of experts"') == '"mixture of experts"'
    assert required('"mixture of experts" routing') == ""  # keyword search does not require the phrase either
    assert required('"a b" "c d"') == '"a b" OR "c d"'
    assert required("+diffusion model") == "diffusion"
    assert required("a AND (b OR c)") == "a AND (b OR c)"
    assert required("ti:diffusion") == "ti:diffusion"


def test_similar_says_which_score_scale_it_uses(partial_ctx: AppContext) -> None:
    without_vector = partial_ctx.search.similar(UNEMBEDDED[0].id, limit=3)
    assert without_vector and all(h.measure == "bm25" for h in without_vector)
    assert without_vector[0].reason.startswith("keyword score ")
    embedded = next(pid for pid, _ in partial_ctx.search.ranked(parse("video"), "dense", depth=1))
    with_vector = partial_ctx.search.similar(embedded, limit=3)
    assert all(h.measure == "cosine" and -1 <= h.score <= 1.0001 for h in with_vector)
    assert with_vector[0].reason.startswith("similarity 0.")

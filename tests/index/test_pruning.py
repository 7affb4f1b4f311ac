"""MaxScore pruning (index/embedded/pruning.py): exactly the unpruned query's top k, on real collections.

Two real indexes: all of SciFact (5,183 abstracts, its 210 real queries) and 8,000 arXiv cs
papers with their authors (so the `authors` clauses, whose bounds are the largest, take part).
`force=True` prunes whenever theta allows, so these small collections go through the pruned
path that the cost model reserves for large ones; each test also checks that it really did.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tantivy import Query

from papersift.index.analysis import analyze
from papersift.index.embedded import lexical, pruning
from papersift.index.embedded.lexical import TantivyIndex
from papersift.index.embedded.lexical_query import field_query
from papersift.index.embedded.lexical_schema import TITLE_BOOST
from papersift.paper import Paper
from papersift.query.syntax import parse, plain_query

Top = list[tuple[float, tantivy.DocAddress]]


def _scifact(shared: Path) -> tuple[list[Paper], list[str]]:
    with open(shared / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        papers = [Paper(id=f"s{r['_id']}", title=r["title"], abstract=r["text"]) for r in map(json.loads, fh)]
    with open(shared / "scifact" / "queries.jsonl", encoding="utf-8") as fh:
        queries = [json.loads(line)["text"] for line in fh]
    return papers, queries


def _arxiv(shared: Path, n: int = 8_000) -> tuple[list[Paper], list[str]]:
    """Papers, and a vocabulary: title words and author surnames of other papers of the collection."""
    papers, words = [], []
    with gzip.open(shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            r = json.loads(line)
            if i < n:
                papers.append(Paper(id=r["_id"], title=r["title"], abstract=r["text"], authors=r.get("authors") or []))
            elif i < n + 400:
                words += [w.strip(":,.()?") for w in r["title"].split() if w.strip(":,.()?").isalpha()]
                words += [a.split()[-1] for a in (r.get("authors") or [])[:2] if a.split()]
            else:
                break
    return papers, sorted(set(words))


def _build(path: Path, papers: list[Paper]) -> TantivyIndex:
    index = TantivyIndex.open(path)
    index.upsert(papers)
    index.commit()
    return index


@pytest.fixture(scope="module")
def scifact(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TantivyIndex, list[str]]:
    papers, queries = _scifact(shared_data)
    return _build(tmp_path_factory.mktemp("scifact") / "lexical", papers), queries


@pytest.fixture(scope="module")
def arxiv(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TantivyIndex, list[str]]:
    papers, words = _arxiv(shared_data)
    return _build(tmp_path_factory.mktemp("arxiv") / "lexical", papers), words


def _both(index: TantivyIndex, text: str, k: int) -> tuple[Top, Top, pruning.Plan] | None:
    """(plain top k, pruned top k, plan), or None when the query is not a plain OR of words."""
    searcher = index._index.searcher()
    parsed = plain_query(text)  # real queries hold "(", "-", "AND": searched as words, as the eval does
    words = index.compiler.or_words(searcher, parsed, TITLE_BOOST) if parsed.text is not None else None
    if not words:
        return None
    plain = index.compiler.query(parsed, TITLE_BOOST)
    want = [(float(s), a) for s, a in searcher.search(plain, k).hits]
    got, plan = pruning.top_k(searcher, [c for w in words for c in w], plain, k, force=True)
    return want, got, plan


def _assert_same_top(want: Top, got: Top, text: str) -> None:
    """Same scores rank by rank (to 1e-4) and the same papers, but for ties at the k-th score
    (the two queries add the same clause scores in another order: float32's last bits differ)."""
    assert len(got) == len(want), text
    for (a, _), (b, _) in zip(want, got, strict=True):
        assert abs(a - b) <= 1e-4, (text, a, b)
    if want:
        kth = want[-1][0] + 1e-4
        above = lambda top: {(d.segment_ord, d.doc) for s, d in top if s > kth}  # noqa: E731
        assert above(want) == above(got), text
        assert {(d.segment_ord, d.doc) for _, d in want} ^ {(d.segment_ord, d.doc) for _, d in got} <= {
            (d.segment_ord, d.doc) for s, d in want + got if abs(s - want[-1][0]) <= 1e-4
        }, text


@pytest.mark.parametrize("k", [10, 100])
def test_every_scifact_query_gets_the_plain_top_k(scifact: tuple[TantivyIndex, list[str]], k: int) -> None:
    index, queries = scifact
    pruned = checked = 0
    for text in queries:
        both = _both(index, text, k)
        if both is None:
            continue
        want, got, plan = both
        _assert_same_top(want, got, text)
        checked += 1
        pruned += plan.pruned
    assert checked == len(queries) and pruned > checked // 2, (checked, pruned)  # the pruned path really ran


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), k=st.sampled_from([1, 5, 20, 100]), size=st.integers(1, 7))
def test_random_word_sets_get_the_plain_top_k(
    arxiv: tuple[TantivyIndex, list[str]], data: st.DataObject, k: int, size: int
) -> None:
    index, vocabulary = arxiv
    words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=size, max_size=size))
    both = _both(index, " ".join(words), k)
    if both is not None:
        _assert_same_top(*both[:2], " ".join(words))


def test_author_names_and_rare_words_are_pruned_exactly(arxiv: tuple[TantivyIndex, list[str]]) -> None:
    index, vocabulary = arxiv
    rng, pruned = random.Random(3), 0
    for _ in range(60):
        text = " ".join(rng.sample(vocabulary, rng.randint(2, 6)) + ["learning", "model"])
        both = _both(index, text, 20)
        assert both is not None
        _assert_same_top(*both[:2], text)
        pruned += both[2].pruned
    assert pruned >= 30


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_paper_scores_above_a_clause_bound(arxiv: tuple[TantivyIndex, list[str]], data: st.DataObject) -> None:
    """The bound MaxScore relies on, checked against tantivy's own scores of every field clause
    (term and phrase), boosted or not: the best paper's score for the clause alone."""
    index, vocabulary = arxiv
    searcher = index._index.searcher()
    first, second = data.draw(st.sampled_from(vocabulary)), data.draw(st.sampled_from(vocabulary))
    boost = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    for field in ("text", "authors", "title", "abstract"):
        for words in ([first], [first, second]):
            tokens = [t for w in words for t in analyze(w, field)]
            if not tokens:
                continue
            query = field_query(field, tokens, boost)
            c = pruning.clause(searcher, query, field, tokens, boost)
            best = searcher.search(query, 1).hits
            if best:
                assert best[0][0] <= c.bound, (field, tokens, boost, best[0][0], c.bound)


def test_search_top_prunes_and_estimates_only_where_it_may(
    arxiv: tuple[TantivyIndex, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the product call: the same hits as the exact path; an estimated total only for a
    plain OR of words and phrases without filters (+words, -words and filters keep the exact count)."""
    index, _ = arxiv
    monkeypatch.setattr(lexical, "PRUNE_POSTINGS", 0)  # as if the collection were large
    errors = []
    for text in ["neural network training", "graph learning for molecules", "diffusion model image generation"]:
        exact_hits, exact = index.search_counted(parse(text), 50)
        hits, about = index.search_top(parse(text), 50)
        assert not about.exact
        assert [s for _, s in hits] == pytest.approx([s for _, s in exact_hits], abs=1e-4)
        errors.append(abs(about.total - exact) / exact)
    assert max(errors) < 0.25, errors  # words are not independent; the estimate is still the right size
    estimated_phrases = 0
    for text in ["multi-agent learning model", '"neural network" training data', "self-supervised learning method"]:
        exact_hits, exact = index.search_counted(parse(text), 50)
        hits, about = index.search_top(parse(text), 50)
        assert [s for _, s in hits] == pytest.approx([s for _, s in exact_hits], abs=1e-4)
        if about.exact:
            assert about.total == exact, text
        else:
            estimated_phrases += 1
            assert abs(about.total - exact) / exact < 0.25, (text, about.total, exact)
    assert estimated_phrases, "a phrase among common words should get an estimate"
    for text in ["+neural network training", "neural network cat:cs.LG", "-x neural"]:
        _, found = index.search_top(parse(text), 20)
        assert found.exact and found.total == index.count(parse(text)), text
    monkeypatch.setattr(lexical, "PRUNE_POSTINGS", 10**9)
    _, found = index.search_top(parse("neural network training"), 20)
    assert found.exact and found.total == index.count(parse("neural network training"))


def test_a_phrase_is_estimated_as_the_middle_of_its_range_or_not_at_all() -> None:
    """A phrase matches between none and its rarest word's papers: the estimate is the middle of
    the two totals while they lie within PHRASE_SPREAD of it, else None (count exactly)."""
    anything = Query.all_query()

    def word(df: int, *tokens: str) -> list[pruning.Clause]:
        return [pruning.Clause(anything, "text", tokens, 1.0, df, 1.0)]

    common = word(400_000, "learn")
    assert pruning.estimated_matches([common], 1_000_000) == 400_000
    # 400,000 with the phrase matching nothing, 406,000 with all 10,000 of its rarest word's papers
    assert pruning.estimated_matches([common, word(10_000, "multi", "agent")], 1_000_000) == 403_000
    assert pruning.estimated_matches([common, word(300_000, "multi", "agent")], 1_000_000) is None
    assert pruning.estimated_matches([word(300_000, "multi", "agent")], 1_000_000) is None

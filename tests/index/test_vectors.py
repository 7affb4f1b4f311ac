"""The HNSW vector index: exactness where promised, recall where approximate, durable generations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.demo import VECTORS
from papersift.index.embedded.hnsw_graph import EXPANSION_ADD, EXPANSION_SEARCH
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.embedded.vectors import HnswIndex
from papersift.index.payload import meta_of
from papersift.paper import make_paper
from papersift.query.syntax import parse

DIM = 384


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def real() -> tuple[list[str], np.ndarray]:
    """The demo corpus's real MiniLM vectors: HNSW recall depends on the data's structure."""
    with np.load(VECTORS, allow_pickle=False) as data:
        return [str(x) for x in data["ids"]], np.asarray(data["vectors"], dtype=np.float32)


def test_hnsw_recall_on_real_vectors(tmp_path: Path, real: tuple[list[str], np.ndarray]) -> None:
    ids, vectors = real
    exact = HnswIndex(tmp_path / "e", DIM, "m")
    approx = HnswIndex(tmp_path / "a", DIM, "m", exact_below=0)  # force the graph
    for index in (exact, approx):
        index.upsert(ids, vectors)
    found = 0
    for q in vectors[::37]:
        truth = {pid for pid, _ in exact.search(q, 10)}
        found += len(truth & {pid for pid, _ in approx.search(q, 10)})
    assert found / (10 * len(vectors[::37])) >= 0.98


def test_scores_are_cosines_and_filters_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 300)
    ids = [f"p{i}" for i in range(300)]
    index = HnswIndex(tmp_path / "v", DIM, "m")
    index.upsert(ids, vectors)
    q = vectors[5]
    hits = index.search(q, 20)
    assert hits[0][0] == "p5" and hits[0][1] == pytest.approx(1.0, abs=1e-3)
    for pid, score in hits:
        assert score == pytest.approx(float(vectors[int(pid[1:])] @ q), abs=2e-3)  # f16 storage
    allowed = {f"p{i}" for i in range(0, 300, 7)} | {"not-indexed"}
    filtered = index.search(q, 10, allowed=allowed)
    truth = sorted(((float(vectors[int(p[1:])] @ q), p) for p in allowed if p != "not-indexed"), reverse=True)
    assert [p for p, _ in filtered] == [p for _, p in truth[:10]]
    assert index.search(q, 5, allowed=set()) == []


def test_generations_survive_reopen_and_copy_on_write(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng, 50)
    index = HnswIndex(tmp_path / "v", DIM, "m")
    index.upsert([f"p{i}" for i in range(50)], vectors)
    index.save()
    viewed = HnswIndex.open(tmp_path / "v", DIM, "m")
    assert len(viewed) == 50 and np.allclose(viewed.get("p3"), vectors[3], atol=1e-3)
    viewed.upsert(["p3", "new"], unit(rng, 2))  # loads the mapped generation, then changes it
    viewed.delete(["p4", "absent"])
    viewed.save()
    assert sorted(f.name for f in (tmp_path / "v").glob("gen-*")) == [
        "gen-2.cats.npy",
        "gen-2.days.npy",
        "gen-2.ids.npy",
        "gen-2.prov.npy",
        "gen-2.rows.npy",
        "gen-2.usearch",
    ]
    again = HnswIndex.open(tmp_path / "v", DIM, "m")
    assert len(again) == 50 and "p4" not in again and "new" in again
    assert {pid for pid, _ in again.search(vectors[3], 50)} == {f"p{i}" for i in range(50) if i != 4} | {"new"}


def test_a_crash_mid_save_leaves_the_previous_generation(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    index = HnswIndex(tmp_path / "v", DIM, "m")
    index.upsert(["a", "b"], unit(rng, 2))
    index.save()
    (tmp_path / "v" / "gen-2.usearch").write_bytes(b"half")  # the next save died here
    (tmp_path / "v" / ".gen-2.npy.tmp").write_bytes(b"half")
    reopened = HnswIndex.open(tmp_path / "v", DIM, "m")
    assert len(reopened) == 2 and reopened.generation == 1


def test_a_serving_store_picks_up_new_generations(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    writer = EmbeddedStore(tmp_path / "index", "m", DIM)
    reader = EmbeddedStore(tmp_path / "index", "m", DIM)
    writer.vectors.upsert(["a"], unit(rng, 1))
    writer.vectors.save()
    assert len(reader.vectors) == 0
    reader.refresh(every_s=0)
    assert len(reader.vectors) == 1
    reader.vectors.upsert(["mine"], unit(rng, 1))  # unsaved work in this process...
    writer.vectors.upsert(["b"], unit(rng, 1))
    writer.vectors.save()
    reader.refresh(every_s=0)
    assert "mine" in reader.vectors  # ...is never replaced by another process's generation


def test_old_single_file_vectors_are_converted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(5)
    vectors = unit(rng, 3)
    (tmp_path / "index").mkdir()
    np.savez(tmp_path / "index" / "vectors.npz", ids=np.array(["a", "", "c"]), vectors=vectors, model=np.array("m"))
    store = EmbeddedStore(tmp_path / "index", "m", DIM)
    assert len(store.vectors) == 2 and np.allclose(store.vectors.get("c"), vectors[2], atol=1e-3)
    assert not (tmp_path / "index" / "vectors.npz").exists() and any("converted 2" in m for m in caplog.messages)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=40), st.booleans())
def test_random_edits_match_a_dictionary(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[bool, int]], reopen: bool
) -> None:
    rng = np.random.default_rng(6)
    path = tmp_path_factory.mktemp("v")
    index = HnswIndex(path, DIM, "m", exact_below=0)
    model: dict[str, np.ndarray] = {}
    for i, (insert, n) in enumerate(edits):
        pid = f"p{n}"
        if insert:
            vec = unit(rng, 1)
            index.upsert([pid], vec)
            model[pid] = vec[0]
        else:
            index.delete([pid])
            model.pop(pid, None)
        if reopen and i % 7 == 6:
            index.save()
            index = HnswIndex.open(path, DIM, "m", exact_below=0)
    assert len(index) == len(model)
    for pid, vec in model.items():
        assert np.allclose(index.get(pid), vec, atol=1e-3)
    many = index.get_many([*model, "absent", *model])  # duplicates and unknown ids
    assert set(many) == set(model) and all(np.array_equal(many[pid], index.get(pid)) for pid in model)
    if model:
        pid, vec = next(iter(model.items()))
        assert {p for p, _ in index.search(vec, 20)} == set(model)


CATS = ["cs.CV", "cs.CL", "cs.LG", "quant-ph", "math.PR"]


def catalogue(n: int, rng: np.random.Generator) -> tuple[list, np.ndarray]:
    papers = []
    for i in range(n):
        cats = list(rng.choice(CATS, size=int(rng.integers(1, 3)), replace=False))
        day = None if i % 17 == 0 else date.fromordinal(date(2020, 1, 1).toordinal() + int(rng.integers(0, 1500)))
        papers.append(
            make_paper(
                source="t", title=f"paper {i}", abstract="x", arxiv_id=f"2401.{i:05d}", categories=cats, submitted=day
            )
        )
    return papers, unit(rng, n)


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> tuple[HnswIndex, HnswIndex, list, np.ndarray]:
    """The same papers with filter columns twice: scanned exactly, and through the graph."""
    rng = np.random.default_rng(7)
    papers, vectors = catalogue(3000, rng)
    indexes = []
    for name, exact_below in (("exact", 50_000), ("graph", 0)):
        index = HnswIndex(tmp_path_factory.mktemp(name), DIM, "m", exact_below=exact_below)
        index.upsert([p.id for p in papers], vectors, meta=[meta_of(p) for p in papers])
        indexes.append(index)
    return indexes[0], indexes[1], papers, vectors


FILTERS = [
    "cat:cs.CV",
    "cat:cs",
    "-cat:cs.LG",
    "cat:quant-ph OR date:2021",
    "year:2022 AND -cat:math.PR",
    "date:2020-03..2020-05",
    "cat:CS.cl date:2023..",
    "cat:nothing",
]


@pytest.mark.parametrize("text", FILTERS)
def test_filter_columns_agree_with_the_lexical_compiler(filtered: tuple, tmp_path: Path, text: str) -> None:
    """Same filter, same allowed set as the lexical index (the reference semantics)."""
    from papersift.index.embedded.lexical import TantivyIndex

    exact, _, papers, vectors = filtered
    lexical = TantivyIndex.open(tmp_path / "lex")
    lexical.upsert(papers)
    lexical.commit()
    node = parse(text).filters
    allowed = lexical.filter_ids(node)
    q = vectors[11]
    hits = exact.search_filtered(q, 3000, node)
    assert hits is not None and {pid for pid, _ in hits} == allowed
    assert [pid for pid, _ in exact.search_filtered(q, 10, node)] == [pid for pid, _ in exact.search(q, 10, allowed)]


@pytest.mark.parametrize("text", ["cat:cs.CV", "cat:cs.CL OR cat:quant-ph", "-cat:cs.LG"])
def test_broad_filters_through_the_graph_still_fill_the_page(filtered: tuple, text: str) -> None:
    exact, graph, _, vectors = filtered
    node = parse(text).filters
    for q in vectors[:40:4]:
        truth = [pid for pid, _ in exact.search_filtered(q, 20, node)]
        got = [pid for pid, _ in graph.search_filtered(q, 20, node)]
        assert len(got) == 20 and len(set(got) & set(truth)) >= 18  # approximate ranking, exact filter
        assert set(got) <= {pid for pid, _ in exact.search_filtered(q, 3000, node)}


def test_filters_the_columns_cannot_answer_return_none(filtered: tuple, tmp_path: Path) -> None:
    exact, _, papers, vectors = filtered
    assert exact.search_filtered(vectors[0], 10, parse("author:smith").filters) is None
    partial = HnswIndex(tmp_path / "p", DIM, "m")
    partial.upsert([papers[0].id], vectors[:1], meta=[meta_of(papers[0])])
    partial.upsert([papers[1].id], vectors[1:2])  # no metadata: the columns cannot be trusted
    assert partial.search_filtered(vectors[0], 10, parse("cat:cs.CV").filters) is None
    partial.delete([papers[1].id])
    assert partial.search_filtered(vectors[0], 10, parse("cat:nothing").filters) == []


def test_filter_masks_are_remembered_until_the_columns_change() -> None:
    """A repeated filter reuses its mask (read-only, so no request can alter another's); adding
    or deleting papers forgets every remembered mask, so answers stay exact."""
    from papersift.index.payload import Payload
    from papersift.query.syntax import parse

    payload = Payload()
    payload.append(3, [(738000, ("cs.CV",)), (738001, ("cs.CL",)), (0, ("cs.CV", "cs.LG"))])
    cv = parse("cat:cs.CV").filters
    first = payload.mask(cv)
    assert first is not None and first.tolist() == [True, False, True] and not first.flags.writeable
    assert payload.mask(parse("cat:cs.CV").filters) is first  # an equal filter, parsed again
    payload.append(1, [(738002, ("cs.CV",))])
    again = payload.mask(cv)
    assert again is not first and again is not None and again.tolist() == [True, False, True, True]
    payload.forget([0])
    after = payload.mask(cv)
    assert after is not None and after.tolist() == [False, False, True, True]


def test_a_reopened_index_searches_as_the_one_that_was_saved(
    tmp_path: Path, real: tuple[list[str], np.ndarray]
) -> None:
    """usearch's file keeps no expansion settings: a restored graph searched with usearch's default
    (64) instead of EXPANSION_SEARCH, so a served index found fewer true neighbours than the one
    built, and a reloaded one added with EXPANSION_ADD's rejected value (128)."""
    ids, vectors = real
    built = HnswIndex(tmp_path / "v", DIM, "m", exact_below=0)
    built.upsert(ids, vectors)
    queries = vectors[::19]
    before = [built.search(q, 50) for q in queries]
    built.save()
    served = HnswIndex.open(tmp_path / "v", DIM, "m", exact_below=0)
    assert [served.search(q, 50) for q in queries] == before
    assert (served._graph.expansion_search, served._graph.expansion_add) == (EXPANSION_SEARCH, EXPANSION_ADD)
    served.upsert(["new"], vectors[:1])  # loads the graph for writing
    assert (served._graph.expansion_search, served._graph.expansion_add) == (EXPANSION_SEARCH, EXPANSION_ADD)

"""Milvus-only lexical checks: its match sets equal tantivy's for any query, writes, facets.

The behaviour tests shared by both backends live in tests/index/test_lexical.py, whose `index`
fixture is parametrised over the registered backends (no hand-kept list of shared tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.index.embedded.lexical import TantivyIndex
from papersift.index.milvus import MilvusStore
from papersift.paper import Paper
from papersift.query.syntax import parse
from papersift.query.types import QueryError
from tests.index.test_lexical import _PIECES, SYNTHETIC, corpus  # noqa: F401  (corpus: a fixture)


def open_store(directory: Path) -> MilvusStore:
    return MilvusStore.open(str(directory / "milvus.db"), None, "papersift", directory, "hash-test", 384)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, Paper]) -> Iterator[MilvusStore]:  # noqa: F811
    s = open_store(tmp_path_factory.mktemp("milvus-lex"))
    s.lexical.upsert(corpus.values())
    s.lexical.commit()
    yield s
    s.close()


@pytest.fixture(scope="module")
def index(store: MilvusStore) -> object:
    return store.lexical


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, Paper]) -> TantivyIndex:  # noqa: F811
    ix = TantivyIndex.open(tmp_path_factory.mktemp("lex") / "lexical")
    ix.upsert(corpus.values())
    ix.commit()
    return ix


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([*_PIECES, "the", "of", "white", "matter"]), max_size=10).map("".join))
def test_any_query_matches_the_same_papers_as_embedded(index: object, embedded: TantivyIndex, text: str) -> None:
    """Milvus's expression + Python check must select exactly tantivy's match set."""
    try:
        pq = parse(text)
    except QueryError:
        return
    want = {pid for pid, _ in embedded.search(pq, 1000)}
    assert {pid for pid, _ in index.search(pq, 1000)} == want  # type: ignore[attr-defined]
    assert index.count(pq) == len(want)  # type: ignore[attr-defined]
    if pq.filters is not None:
        assert index.filter_ids(pq) == embedded.filter_ids(pq)  # type: ignore[attr-defined]


def test_upsert_replaces_and_delete_removes(tmp_path: Path) -> None:
    s = open_store(tmp_path)
    s.lexical.upsert(SYNTHETIC[:3])
    s.lexical.upsert(SYNTHETIC[:3])  # idempotent
    renamed = Paper(id=SYNTHETIC[0].id, title="Renamed entirely", abstract="Nothing about atoms.")
    s.lexical.upsert([renamed])
    s.lexical.commit()
    assert s.lexical.doc_count() == 3
    assert [pid for pid, _ in s.lexical.search(parse("renamed"), 5)] == [renamed.id]
    assert renamed.id not in {pid for pid, _ in s.lexical.search(parse("graphs"), 5)}  # old title gone
    s.lexical.delete([renamed.id, "never-indexed"])
    s.lexical.commit()
    assert s.lexical.doc_count() == 2 and s.lexical.search(parse("renamed"), 5) == []
    s.close()
    assert open_store(tmp_path).lexical.doc_count() == 2  # durable across reopen


def test_facets_among_given_papers(index: object) -> None:
    assert dict(index.facets_among(["2401.00001", "2402.00005", "nope"])) == {"cs.CL": 2, "cs.AI": 1}  # type: ignore[attr-defined]
    assert index.facets_among(["2401.00001", "2403.00002"], "year") == [("2024", 2)]  # type: ignore[attr-defined]

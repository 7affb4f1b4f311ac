"""The search service's behaviour tests, run unchanged on a home whose backend is Milvus.

The test functions are imported from tests/search/test_service.py and see this module's `ctx`
fixture: the same 405 papers, indexed through `papersift.toml`'s `backend = "milvus"` into
milvus-lite, embedded by the same (cached) encoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.index.milvus import MilvusStore
from tests.index.milvus.helpers import CachingEncoder, make_ctx
from tests.search.test_service import (  # noqa: F401  (collected here, against the Milvus `ctx`)
    _papers,
    test_bad_parameters_raise_query_error,
    test_bad_queries_raise_query_error,
    test_browse_by_filter_sorts_newest_first,
    test_dense_filter_is_not_truncated_to_empty,
    test_dense_finds_meaning_without_shared_words,
    test_every_mode_finds_the_obvious_paper,
    test_filters_are_exact_in_every_mode,
    test_pagination_is_disjoint_and_consistent,
    test_similar_papers_with_reasons,
    test_snippets_highlight_and_facets,
)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, shared_data: Path, encoder: CachingEncoder) -> Iterator[AppContext]:
    app_ctx = make_ctx(tmp_path_factory.mktemp("milvus-search"), "milvus", encoder)
    app_ctx.catalog.upsert(_papers(shared_data))
    run_indexer(app_ctx.catalog, app_ctx.indexes, app_ctx.encoder)
    yield app_ctx
    app_ctx.close()


def test_the_home_really_uses_milvus(ctx: AppContext) -> None:
    assert isinstance(ctx.indexes, MilvusStore)
    assert (ctx.settings.index_dir / "milvus.db").exists()  # milvus-lite file inside the home
    assert ctx.indexes.lexical.doc_count() == len(ctx.indexes.vectors) == 405

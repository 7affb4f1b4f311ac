"""Homes filled with the bundled demo corpus (3,417 real arXiv papers with shipped vectors)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.demo.load import load_demo, load_demo_vectors
from papersift.encoder.embed import load_encoder
from papersift.index.indexer import index_dense, run_indexer
from papersift.paper import make_paper

# Papers added after the meaning index was built, so they have no vector: they match the
# phrase "mixture of experts" strongly (it is their whole title), like a freshly ingested batch.
UNEMBEDDED = [
    make_paper(
        source="test",
        title=f"Mixture of experts {topic}: a mixture of experts study",
        abstract=f"We study mixture of experts models for {topic}. Mixture of experts routing helps.",
        arxiv_id=f"2607.{i:05d}",
        categories=["cs.LG"],
        submitted=date(2026, 7, 1),
    )
    for i, topic in enumerate(["speech", "vision", "tabular data", "protein folding", "code"], start=1)
]


def _demo(home: str) -> AppContext:
    ctx = AppContext(load_settings(home))
    assert load_demo(ctx).ok
    load_demo_vectors(ctx)
    run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
    return ctx


@pytest.fixture(scope="session")
def demo_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """The demo corpus, every paper with a vector."""
    ctx = _demo(str(tmp_path_factory.mktemp("demo-home")))
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def partial_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """The demo corpus plus UNEMBEDDED, indexed for keywords only (an `index` run cut short)."""
    ctx = _demo(str(tmp_path_factory.mktemp("partial-home")))
    ctx.catalog.upsert(UNEMBEDDED)
    run_indexer(ctx.catalog, ctx.indexes, None)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def provisional_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """The demo corpus plus UNEMBEDDED with provisional (static-encoder) vectors only: an `index`
    run stopped after its provisional pass, before the full model upgraded them."""
    ctx = _demo(str(tmp_path_factory.mktemp("provisional-home")))
    ctx.catalog.upsert(UNEMBEDDED)
    run_indexer(ctx.catalog, ctx.indexes, None)
    index_dense(ctx.catalog, ctx.indexes, load_encoder("minilm-static"), provisional=True)
    yield ctx
    ctx.close()

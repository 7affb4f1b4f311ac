"""Fixtures for the scale-out backends: milvus-lite homes and one shared, caching encoder."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from tests.conftest import require

require(
    importlib.util.find_spec("pymilvus") is not None and importlib.util.find_spec("milvus_lite") is not None,
    "Milvus tests: the milvus extra is not installed (pip install -e '.[test]')",
    module=True,
)

from tests.index.milvus.helpers import CachingEncoder  # noqa: E402


@pytest.fixture(scope="session")
def encoder() -> Iterator[CachingEncoder]:
    """The bundled encoder behind a cache, so homes indexing the same papers embed them once."""
    from papersift.encoder.embed import load_encoder

    yield CachingEncoder(load_encoder("minilm-int8"))

"""Fixtures for the scale-out backends: milvus-lite homes and one shared, caching encoder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install 'papersift[milvus]')")

from tests.index.milvus.helpers import CachingEncoder  # noqa: E402


@pytest.fixture(scope="session")
def encoder() -> Iterator[CachingEncoder]:
    """The bundled encoder behind a cache, so homes indexing the same papers embed them once."""
    from papersift.encoder.embed import load_encoder

    yield CachingEncoder(load_encoder("minilm-int8"))

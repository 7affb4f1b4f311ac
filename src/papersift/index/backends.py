"""Index backends by name (the `backend` setting), like `sources.REGISTRY` for input formats.

Each opener returns an `IndexStore`; the heavy client libraries (pymilvus) are imported only
when their backend is asked for, so the embedded default never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable

from papersift.config import Settings
from papersift.index.protocols import IndexStore

Opener = Callable[[Settings, str, int], IndexStore]  # (settings, encoder name, vector dimension)


def _embedded(settings: Settings, encoder_name: str, dim: int) -> IndexStore:
    from papersift.index.embedded.store import EmbeddedStore

    return EmbeddedStore(settings.index_dir, encoder_name, dim)


def _milvus(settings: Settings, encoder_name: str, dim: int) -> IndexStore:
    from papersift.index.milvus import MilvusStore  # pymilvus only when asked for

    return MilvusStore.open(
        settings.resolved_milvus_uri,
        settings.milvus_token,
        settings.milvus_collection,
        settings.index_dir,
        encoder_name,
        dim,
    )


REGISTRY: dict[str, Opener] = {"embedded": _embedded, "milvus": _milvus}


def open_indexes(settings: Settings, encoder_name: str, dim: int) -> IndexStore:
    """The configured backend's indexes; ValueError naming the known backends for an unknown one."""
    try:
        opener = REGISTRY[settings.backend]
    except KeyError:
        raise ValueError(f"unknown backend {settings.backend!r}; known: {', '.join(sorted(REGISTRY))}") from None
    return opener(settings, encoder_name, dim)

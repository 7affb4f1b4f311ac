"""The per-process wiring: settings plus lazily opened stores and services.

Surfaces (CLI, web, digests) receive one `AppContext` and ask it for what they need, so no
surface opens storage itself and tests can point everything at a temporary home. Heavy
pieces (indexes, the encoder) open on first use, so `papersift show` stays instant.
"""

from __future__ import annotations

import sys
from datetime import date
from functools import cached_property

from papersift.catalog import Catalog
from papersift.community import Community
from papersift.config import Settings
from papersift.index.embed import Encoder, load_encoder
from papersift.index.indexer import index_lexical
from papersift.index.store import IndexStore
from papersift.search.service import SearchService

EMBEDDING_DIM = 384


def warn(message: str) -> None:
    print(f"papersift: {message}", file=sys.stderr)


class AppContext:
    """Holds settings and opens the catalog, indexes, encoder and services on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def catalog(self) -> Catalog:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return Catalog.open(self.settings.resolved_database_url)

    @property
    def encoder_name(self) -> str:
        s = self.settings
        return s.encoder if s.encoder_max_length == 256 else f"{s.encoder}@{s.encoder_max_length}"

    @cached_property
    def encoder(self) -> Encoder:
        return load_encoder(self.encoder_name, threads=self.settings.encoder_threads)

    @cached_property
    def indexes(self) -> IndexStore:
        """The indexes of the configured backend (same surface either way). Embedded: a damaged
        lexical index is rebuilt from the catalog right here (fast), so a corrupt index is never
        served. Vectors are re-embedded by `papersift index`."""
        s = self.settings
        if s.backend == "milvus":
            from papersift.backends.milvus import MilvusStore  # pymilvus only when asked for

            return MilvusStore.open(s.resolved_milvus_uri, s.milvus_token, s.milvus_collection,  # type: ignore[return-value]
                                    s.index_dir, self.encoder_name, EMBEDDING_DIM, warn=warn)
        store = IndexStore(s.index_dir, self.encoder_name, EMBEDDING_DIM, warn=warn)
        if store.repaired:
            done, _ = index_lexical(self.catalog, store)
            warn(f"rebuilt the lexical index from the catalog ({done:,} papers); "
                 "run `papersift index` to re-embed papers for semantic search")
        return store

    @cached_property
    def community(self) -> Community:
        return Community(self)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(self.catalog, self.indexes, lambda: self.encoder,
                             trending=lambda ids: self.community.feeds.trending_scores(ids, date.today()))

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
        if "indexes" in self.__dict__ and self.settings.backend == "milvus":
            self.indexes.close()  # type: ignore[attr-defined]  # MilvusStore: releases the milvus-lite lock

"""The per-process wiring: settings plus lazily opened stores and services.

Surfaces (CLI, web, digests) receive one `AppContext` and ask it for what they need, so no
surface opens storage itself and tests can point everything at a temporary home. Heavy
pieces (indexes, the encoder) open on first use, so `papersift show` stays instant.

This is the composition root: it imports the services, and no service imports it (they
declare what they need as Protocols, which this class satisfies), so the package chain stays
one-way. Only the surfaces (`web`, `cli`, `demo`) import it.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from papersift.catalog import Catalog
from papersift.community import Community
from papersift.config import Settings
from papersift.discover.impact_priors import ImpactPriors
from papersift.encoder.embed import Encoder, encoder_dim, load_encoder
from papersift.index.backends import open_indexes
from papersift.index.indexer import Progress, index_lexical
from papersift.index.protocols import IndexStore
from papersift.search.related import RelatedService
from papersift.search.service import SearchService

if TYPE_CHECKING:
    from papersift.discover.impact_service import ImpactService

log = logging.getLogger(__name__)


class AppContext:
    """Holds settings and opens the catalog, indexes, encoder and services on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.rebuild_progress: Progress | None = None  # told how a keyword-index rebuild advances
        self.lexical_rebuilt = 0  # papers a damaged or outdated keyword index was rebuilt with here

    @cached_property
    def catalog(self) -> Catalog:
        if not self.settings.home.exists():  # private: it holds the database and the signing secret
            self.settings.home.mkdir(mode=0o700, parents=True)
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
        """The indexes of the configured backend (same Protocol either way). A damaged lexical
        index is rebuilt from the catalog right here (fast), so a corrupt index is never served.
        Vectors are re-embedded by `papersift index`."""
        store = open_indexes(self.settings, self.encoder_name, encoder_dim(self.encoder_name))
        if store.repaired:
            started = time.monotonic()
            done, _ = index_lexical(self.catalog, store, self.rebuild_progress)
            self.lexical_rebuilt = done
            vectors_lost = store.state.dense_seq == 0 and self.catalog.count() > 0
            log.warning(
                "rebuilt the lexical index from the catalog (%s papers in %.0f s)%s",
                f"{done:,}",
                time.monotonic() - started,
                "; run `papersift index` to re-embed papers for semantic search" if vectors_lost else "",
            )
        return store

    @cached_property
    def community(self) -> Community:
        return Community(self.catalog, self.settings.home, priors=ImpactPriors(self.settings.home))

    @cached_property
    def search(self) -> SearchService:
        return SearchService(
            self.catalog,
            self.indexes,
            lambda: self.encoder,
            trending=lambda ids: self.community.listings.trending_scores(ids, date.today()),
        )

    @cached_property
    def impact(self) -> ImpactService:
        from papersift.discover.impact_service import ImpactService  # scikit-learn, LightGBM: only when used

        return ImpactService(self.catalog, self.settings.home)

    @cached_property
    def related(self) -> RelatedService:
        return RelatedService(self.search)

    def prepare_indexes(self) -> None:
        """Open the indexes once, rebuilding a damaged or outdated keyword index, and let go of them.

        `serve` calls this before its workers start: each worker opens the indexes as it warms up,
        and two of them finding the same outdated index would race to replace it (or one would
        serve the other's half-rebuilt copy). Done here, the rebuild happens once, logged, before
        anything is served."""
        self.indexes.close()
        del self.__dict__["indexes"]

    def opened(self, name: str) -> bool:
        """Whether the lazily opened piece `name` ("catalog", "indexes", ...) has been opened."""
        return name in self.__dict__

    def close(self) -> None:
        if self.opened("indexes"):
            self.indexes.close()  # Milvus: releases the milvus-lite lock; embedded: the write lock
        if self.opened("catalog"):
            self.catalog.close()

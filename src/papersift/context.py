"""The per-process wiring: settings plus lazily opened stores and services.

Surfaces (CLI, web, digests) receive one `AppContext` and ask it for what they need, so no
surface opens storage itself and tests can point everything at a temporary home.
"""

from __future__ import annotations

from functools import cached_property

from papersift.catalog import Catalog
from papersift.config import Settings


class AppContext:
    """Holds settings and opens the catalog (and later indexes/services) on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def catalog(self) -> Catalog:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return Catalog.open(self.settings.resolved_database_url)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()

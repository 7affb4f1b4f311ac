"""The paper catalog: SQL schema, migrations, merging rules and the store (only writer)."""

from papersift.catalog.store import Catalog, Change, UpsertResult

__all__ = ["Catalog", "Change", "UpsertResult"]

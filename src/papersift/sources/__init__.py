"""Source registry: one module per input format, looked up by name (`papersift ingest NAME`)."""

from __future__ import annotations

import importlib

from papersift.sources.base import Checkpoint, Item, RecordError, SourceContext, SourceError, SourceFn

# name -> (module, one-line description). Modules are imported lazily so that a broken optional
# dependency of one format never stops the others from working.
REGISTRY: dict[str, tuple[str, str]] = {}

__all__ = ["REGISTRY", "Checkpoint", "Item", "RecordError", "SourceContext", "SourceError", "get_source"]


def get_source(name: str) -> SourceFn:
    """Return the `iter_papers` function of a registered format, or raise SourceError listing names."""
    try:
        module_name, _ = REGISTRY[name]
    except KeyError:
        raise SourceError(f"unknown format {name!r}; known formats: {', '.join(sorted(REGISTRY))}") from None
    module = importlib.import_module(f"papersift.sources.{module_name}")
    return module.iter_papers

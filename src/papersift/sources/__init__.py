"""Source registry: one module per input format, looked up by name (`papersift ingest NAME`)."""

from __future__ import annotations

import importlib

from papersift.sources._files import ReadLimits, read_limits
from papersift.sources.base import Checkpoint, Item, RecordError, SourceContext, SourceError, SourceFn

# name -> (module, one-line description). Modules are imported lazily so that a broken optional
# dependency of one format never stops the others from working.
REGISTRY: dict[str, tuple[str, str]] = {
    "arxiv-oai": ("arxiv_oai", "arXiv OAI-PMH: resumable live harvest of an endpoint, or saved XML"),
    "arxiv-kaggle": ("arxiv_kaggle", "Kaggle arxiv-metadata-oai-snapshot.json (JSON lines, plain or .gz)"),
    "arxiv-abs": ("arxiv_abs", "arXiv native .abs files: directory tree or .tar/.tar.gz"),
    "arxiv-daily": ("arxiv_daily", "daily arXiv listing crawls, one YYYY-MM-DD.jsonl per day"),
    "hf-daily": ("hf_daily", "Hugging Face daily_papers API captures (YYYY-MM-DD.json), with upvotes"),
    "beir": ("beir", "BEIR corpus.jsonl[.gz]: _id/title/text plus extra metadata fields"),
    "jsonl": ("jsonl", "JSON lines: papersift exports (lossless), BEIR-style or mapped records"),
    "csv": ("csv_source", "CSV/TSV with a header row; columns named or mapped with map="),
    "bibtex": ("bibtex", "BibTeX .bib files; arXiv ids from eprint fields"),
    "ris": ("ris", "RIS .ris files (Zotero, EndNote, Mendeley exports)"),
    "csl-json": ("csl_json", 'CSL-JSON arrays (Zotero "Export → CSL JSON", citation.js)'),
}

__all__ = [
    "REGISTRY",
    "Checkpoint",
    "Item",
    "ReadLimits",
    "RecordError",
    "SourceContext",
    "SourceError",
    "get_source",
    "read_limits",
]


def get_source(name: str) -> SourceFn:
    """Return the `iter_papers` function of a registered format, or raise SourceError listing names."""
    try:
        module_name, _ = REGISTRY[name]
    except KeyError:
        raise SourceError(f"unknown format {name!r}; known formats: {', '.join(sorted(REGISTRY))}") from None
    module = importlib.import_module(f"papersift.sources.{module_name}")
    source: SourceFn = module.iter_papers
    return source

"""CSL-JSON files (Zotero "Export → CSL JSON", citation.js); the mapping lives in `references.py`."""

from papersift.sources.references import iter_csl_json as iter_papers

__all__ = ["iter_papers"]

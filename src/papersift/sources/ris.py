"""RIS files (Zotero/EndNote/Mendeley exports); the mapping lives in `references.py`."""

from papersift.sources.references import iter_ris as iter_papers

__all__ = ["iter_papers"]

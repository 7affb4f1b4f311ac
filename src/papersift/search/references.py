"""A reference list handed to related-work search: a .bib file's text turned into Papers.

Parsing is the `bibtex` source's (bibtexparser, one block at a time; broken entries are counted
and skipped, the good ones kept). The source reads files, so the text goes through a private
temporary file. Input size is bounded by MAX_BIB_BYTES: a request cannot make us parse more.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from papersift.paper import Paper
from papersift.query.types import QueryError
from papersift.sources import RecordError, SourceContext
from papersift.sources.bibtex import iter_papers

MAX_BIB_BYTES = 1_000_000
MAX_ENTRIES = 1_000


@dataclass
class References:
    papers: list[Paper] = field(default_factory=list)
    broken: int = 0
    truncated: bool = False


def parse_bibtex(text: str) -> References:
    """The entries of BibTeX text (at most MAX_ENTRIES); QueryError when it is too large."""
    data = text.encode("utf-8", "replace")
    if len(data) > MAX_BIB_BYTES:
        raise QueryError(f"the reference list is {len(data):,} bytes; the limit is {MAX_BIB_BYTES:,}")
    refs = References()
    if not text.strip():
        return refs
    with tempfile.TemporaryDirectory(prefix="papersift-bib-") as tmp:
        path = Path(tmp) / "references.bib"
        path.write_bytes(data)
        for item in iter_papers(str(path), SourceContext()):
            if isinstance(item, RecordError):
                refs.broken += 1
            elif isinstance(item, Paper):
                if len(refs.papers) == MAX_ENTRIES:
                    refs.truncated = True
                    break
                refs.papers.append(item)
    return refs

"""A reference list handed to related-work search: BibTeX, RIS or CSL-JSON text turned into Papers.

The format is recognised from the text (a JSON array/object: CSL-JSON; a `TY  - ` line: RIS;
else BibTeX) and parsed by that source (broken entries are counted and skipped, the good ones
kept). Sources read files, so the text goes through a private temporary file. Input size is
bounded by MAX_BIB_BYTES: a request cannot make us parse more.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from papersift.paper import Paper
from papersift.query.types import QueryError
from papersift.sources import RecordError, SourceContext, bibtex
from papersift.sources.references import iter_csl_json, iter_ris

MAX_BIB_BYTES = 1_000_000
MAX_ENTRIES = 1_000


@dataclass
class References:
    papers: list[Paper] = field(default_factory=list)
    broken: int = 0
    truncated: bool = False


_RIS_START = re.compile(r"^TY  - ", re.M)


def parse_references(text: str) -> References:
    """The entries of BibTeX, RIS or CSL-JSON text (at most MAX_ENTRIES); QueryError when too large."""
    data = text.encode("utf-8", "replace")
    if len(data) > MAX_BIB_BYTES:
        raise QueryError(f"the reference list is {len(data):,} bytes; the limit is {MAX_BIB_BYTES:,}")
    refs = References()
    if not text.strip():
        return refs
    with tempfile.TemporaryDirectory(prefix="papersift-bib-") as tmp:
        if text.lstrip()[:1] in ("[", "{"):
            suffix, read = ".json", iter_csl_json
        elif _RIS_START.search(text):
            suffix, read = ".ris", iter_ris
        else:
            suffix, read = ".bib", bibtex.iter_papers
        path = Path(tmp) / f"references{suffix}"
        path.write_bytes(data)
        for item in read(str(path), SourceContext()):
            if isinstance(item, RecordError):
                refs.broken += 1
            elif isinstance(item, Paper):
                if len(refs.papers) == MAX_ENTRIES:
                    refs.truncated = True
                    break
                refs.papers.append(item)
    return refs

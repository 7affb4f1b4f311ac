"""Seed libraries: a BibTeX file (a reference manager's or Zotero's "Export → BibTeX") becomes
a collection, so recommendations can start from what a user already reads.

Parsing is the `bibtex` source's (broken entries are reported with file:line and skipped, the
good ones kept); papers go into the catalog through `Catalog.upsert` (so an entry with an arXiv
id or DOI merges with the paper already there) and then into the named collection, created on
first use. Very large files are cut at MAX_IMPORT entries, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from papersift.catalog import Catalog
from papersift.community import Collections, User
from papersift.paper import Paper
from papersift.sources import RecordError, SourceContext
from papersift.sources.bibtex import iter_papers

MAX_IMPORT = 5000
MAX_REPORTED_ERRORS = 50


@dataclass
class ImportReport:
    collection_id: int
    collection_name: str
    added: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    truncated: bool = False

    def summary(self) -> str:
        parts = [f"{self.added} paper(s) added to {self.collection_name!r}"]
        if self.already:
            parts.append(f"{self.already} already there")
        if self.error_count:
            parts.append(f"{self.error_count} broken entr{'y' if self.error_count == 1 else 'ies'} skipped")
        if self.truncated:
            parts.append(f"stopped after the first {MAX_IMPORT} entries (the import limit)")
        return "; ".join(parts)


def import_bibtex(
    catalog: Catalog, collections: Collections, user: User, path: Path, collection_name: str
) -> ImportReport:
    """Import a .bib file (or .bib.gz) into one of the user's collections (created if needed).

    Raises SourceError when the file cannot be read at all and UserError for a bad collection name.
    """
    target = next((c for c in collections.owned(user) if c.name == " ".join(collection_name.split())), None)
    if target is None:
        target = collections.create(user, collection_name, "Imported from a BibTeX file")
    report = ImportReport(target.id, target.name)
    found: list[Paper] = []
    for item in iter_papers(str(path), SourceContext()):
        if isinstance(item, RecordError):
            report.error_count += 1
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(str(item))
        elif isinstance(item, Paper):
            if len(found) == MAX_IMPORT:
                report.truncated = True
                break
            found.append(item)
    for i in range(0, len(found), 1000):
        catalog.upsert(found[i : i + 1000])  # may re-point ids at papers already known by arXiv id
    for paper in found:
        if collections.add(user, target.id, paper.id):
            report.added += 1
        else:
            report.already += 1
    return report

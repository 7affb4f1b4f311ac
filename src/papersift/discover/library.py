"""Seed libraries: a BibTeX file (a reference manager's or Zotero's "Export → BibTeX") becomes
a collection, so recommendations can start from what a user already reads.

An upload is untrusted input and never writes the shared catalog. Each entry is matched to a
paper the catalog already has — by arXiv id, then DOI, then normalised title — and joins the
collection as that paper; an entry matching nothing stays private to the user's collection
(`discover.private`), where it still seeds their recommendations. Parsing is the `bibtex`
source's (broken entries are reported with file:line and skipped, the good ones kept). Very
large files are cut at MAX_IMPORT entries, and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from papersift.catalog import Catalog
from papersift.catalog.schema import papers
from papersift.community import Collections, User
from papersift.discover.private import PrivateEntries
from papersift.paper import Paper, parse_arxiv_id, title_key
from papersift.query.syntax import ParsedQuery, plain_query
from papersift.sources import RecordError, SourceContext
from papersift.sources.bibtex import iter_papers

MAX_IMPORT = 5000
MAX_REPORTED_ERRORS = 50
TITLE_CANDIDATES = 5  # lexical matches compared by title key, per unmatched title


@dataclass
class ImportReport:
    collection_id: int
    collection_name: str
    added: int = 0
    already: int = 0
    private: int = 0  # of `added`: entries matching no catalog paper, kept private
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    truncated: bool = False

    def summary(self) -> str:
        parts = [f"{self.added} paper(s) added to {self.collection_name!r}"]
        if self.private:
            parts.append(f"{self.private} of them not in this site's catalog (kept private to your library)")
        if self.already:
            parts.append(f"{self.already} already there")
        if self.error_count:
            parts.append(f"{self.error_count} broken entr{'y' if self.error_count == 1 else 'ies'} skipped")
        if self.truncated:
            parts.append(f"stopped after the first {MAX_IMPORT} entries (the import limit)")
        return "; ".join(parts)


class TitleSearch(Protocol):
    """What title matching needs from the lexical index (the index's LexicalIndex satisfies it)."""

    def search(self, parsed: ParsedQuery, limit: int = 10) -> list[tuple[str, float]]: ...


def match_catalog(catalog: Catalog, entries: Sequence[Paper], lexical: TitleSearch | None = None) -> list[str | None]:
    """The id of the catalog paper each entry describes (arXiv id, DOI, then title), or None.

    Titles are compared as `paper.title_key` (case, punctuation, accents and TeX ignored).
    Candidates come from a case-insensitive SQL comparison of the whole title (no index needed),
    then, for what is still unmatched, from the lexical index's best title-word matches."""
    found: list[str | None] = []
    unmatched_titles: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        known = catalog.get(entry.id) if parse_arxiv_id(entry.id) else None
        if known is None and entry.doi:
            known = catalog.get(f"doi:{entry.doi}") or catalog.get(entry.doi)
        found.append(known.id if known else None)
        if known is None and title_key(entry.title):
            unmatched_titles.setdefault(title_key(entry.title), []).append(i)
    lowered = sorted({e.title.lower() for i, e in enumerate(entries) if found[i] is None})
    with catalog.engine.connect() as conn:
        for start in range(0, len(lowered), 500):
            q = sa.select(papers.c.id, papers.c.title).where(
                sa.func.lower(papers.c.title).in_(lowered[start : start + 500]), papers.c.deleted.is_(False)
            )
            for pid, title in conn.execute(q):
                for i in unmatched_titles.get(title_key(title), []):
                    found[i] = found[i] or pid
    if lexical is not None:
        for key, indices in unmatched_titles.items():
            if found[indices[0]] is not None:
                continue
            ids = [pid for pid, _ in lexical.search(plain_query(entries[indices[0]].title), limit=TITLE_CANDIDATES)]
            pid = next((p.id for p in catalog.get_many(ids).values() if title_key(p.title) == key), None)
            for i in indices:
                found[i] = pid
    return found


def import_bibtex(
    catalog: Catalog,
    collections: Collections,
    user: User,
    path: Path,
    collection_name: str,
    lexical: TitleSearch | None = None,
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
    private = PrivateEntries(catalog.engine)
    for entry, paper_id in zip(found, match_catalog(catalog, found, lexical), strict=True):
        if paper_id is not None:
            added = collections.add(user, target.id, paper_id)
        else:
            added = private.add(target.id, entry)
            report.private += int(added)
        if added:
            report.added += 1
        else:
            report.already += 1
    return report

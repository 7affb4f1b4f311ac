"""Undo what web uploads wrote into the shared catalog before uploads were made private.

Until the fix of the security review's finding 1, an uploaded BibTeX library was upserted into
the catalog under the `bibtex` source, so an upload could add papers and, by claiming a higher
arXiv version, overwrite a real paper's title and authors for good. This finds those records:

* a record whose only source is the upload source is removed from the catalog (a deletion the
  indexes follow); where a user kept it in a collection it becomes a private entry of that
  collection, so nobody loses a library item;
* a record the upload merged into keeps its other sources but loses the upload's marks: the
  source label and the undated versions (BibTeX gives versions without dates, real arXiv
  records date theirs). The text the upload wrote cannot be recovered from the record itself,
  so the report tells the operator to re-ingest: with the fake version gone, the real record
  wins the merge again and its title, authors and abstract come back.

If the operator ingested BibTeX files on purpose (`papersift ingest bibtex`), those records
look the same; re-running that ingest after the repair restores them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from papersift.catalog import Catalog
from papersift.catalog.schema import papers
from papersift.community.schema import collection_items
from papersift.discover.private import PrivateEntries

log = logging.getLogger(__name__)
UPLOAD_SOURCE = "bibtex"


@dataclass
class RepairReport:
    removed: list[str] = field(default_factory=list)  # upload-only records taken out of the catalog
    reverted: list[str] = field(default_factory=list)  # shared records stripped of the upload's marks
    kept_private: int = 0  # collection items turned into private entries
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "removed": self.removed,
            "reverted": self.reverted,
            "kept_private": self.kept_private,
            "dry_run": self.dry_run,
        }


def repair_uploads(catalog: Catalog, source: str = UPLOAD_SOURCE, dry_run: bool = False) -> RepairReport:
    """Remove upload-only records and revert the upload's marks on shared ones (see module doc)."""
    report = RepairReport(dry_run=dry_run)
    marked = sa.select(papers.c.id).where(
        papers.c.deleted.is_(False), sa.cast(papers.c.sources, sa.Text).like(f'%"{source}"%')
    )
    with catalog.engine.connect() as conn:
        ids = list(conn.execute(marked).scalars())
    found = catalog.get_many(ids)
    rewritten = []
    for pid in sorted(found):
        paper = found[pid]
        if source not in paper.sources:
            continue
        if paper.sources == [source]:
            report.removed.append(pid)
            continue
        versions = [v for v in paper.versions if v.date is not None]
        rewritten.append(replace(paper, sources=[s for s in paper.sources if s != source], versions=versions))
        report.reverted.append(pid)
    if dry_run:
        return report
    catalog.rewrite(rewritten)
    private = PrivateEntries(catalog.engine)
    for pid in report.removed:
        with catalog.engine.begin() as conn:
            holders = list(
                conn.execute(
                    sa.select(collection_items.c.collection_id).where(collection_items.c.paper_id == pid)
                ).scalars()
            )
            conn.execute(collection_items.delete().where(collection_items.c.paper_id == pid))
        for collection_id in holders:
            report.kept_private += int(private.add(collection_id, found[pid]))
        catalog.delete(pid)
    log.info("repair: removed %d upload-only records, reverted %d", len(report.removed), len(report.reverted))
    return report

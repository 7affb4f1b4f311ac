"""Ingestion: stream a source into the catalog in atomic batches, counting what went wrong.

Resumable and idempotent by construction: each batch (with the source's checkpoint, if any) is
one transaction, and re-merging records already stored changes nothing. So after `kill -9`
the same command simply runs again and ends in the same catalog as an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from papersift.catalog import Catalog, UpsertResult
from papersift.paper import Paper
from papersift.sources import Checkpoint, RecordError, SourceContext, SourceError, get_source

MAX_REPORTED_ERRORS = 50


@dataclass
class IngestReport:
    """What an ingest run did; `ok` is False when any record or location was rejected."""

    records: int = 0
    written: UpsertResult = field(default_factory=UpsertResult)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    failed_locations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0 and not self.failed_locations

    def reject(self, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(message)

    def to_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "inserted": self.written.inserted,
            "updated": self.written.updated,
            "unchanged": self.written.unchanged,
            "rejected": self.rejected,
            "errors": self.errors,
            "failed_locations": self.failed_locations,
        }


def ingest(
    catalog: Catalog,
    fmt: str,
    locations: list[str],
    ctx: SourceContext,
    batch_size: int = 1000,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest every location with format `fmt`; per-location failures are reported, not raised.

    An unknown format raises SourceError before anything is read.
    """
    iter_papers = get_source(fmt)
    report = IngestReport()
    ctx.resume = catalog.checkpoints()
    batch: list[Paper] = []

    def flush(checkpoint: tuple[str, str] | None = None) -> None:
        report.written.add(catalog.upsert(batch, checkpoint))
        batch.clear()
        if on_progress:
            on_progress(report)

    for location in locations:
        try:
            for item in iter_papers(location, ctx):
                if isinstance(item, Paper):
                    report.records += 1
                    batch.append(item)
                    if len(batch) >= batch_size:
                        flush()
                elif isinstance(item, RecordError):
                    report.reject(str(item))
                elif isinstance(item, Checkpoint):
                    flush((item.key, item.value))
        except SourceError as exc:
            report.failed_locations.append(location)
            report.reject(f"{location}: {exc}")
        finally:
            flush()  # good records read before a failure are kept
    return report

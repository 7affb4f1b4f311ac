"""Ingestion: stream a source into the catalog in atomic batches, counting what went wrong.

Resumable and idempotent by construction: each batch (with the source's checkpoint, if any) is
one transaction, and re-merging records already stored changes nothing. So after `kill -9`
the same command simply runs again and ends in the same catalog as an uninterrupted run.
Every run is logged in the catalog with an id, and each batch records what it did to each paper,
so `papersift remove --run ID` can undo exactly what the run added (catalog/removal.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from papersift.catalog import Catalog, UpsertResult
from papersift.catalog.runs import finish_run, start_run
from papersift.paper import Paper
from papersift.sources import Checkpoint, Item, RecordError, SourceContext, SourceError, get_source
from papersift.sources.sniff import SNIFF_RECORDS, guess_formats

MAX_REPORTED_ERRORS = 50
WRONG_FORMAT_SHARE = 0.8  # this share of a file's first records rejected: it is in another format


@dataclass
class IngestReport:
    """What an ingest run did; `ok` is False when any record or location was rejected."""

    run_id: int | None = None
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
            "run_id": self.run_id,
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
    batch_size: int = 10_000,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest every location with format `fmt`; per-location failures are reported, not raised.

    An unknown format raises SourceError before anything is read.
    """
    iter_papers = get_source(fmt)
    run_id = start_run(catalog, fmt, locations)
    report = IngestReport(run_id=run_id)
    ctx.resume = catalog.checkpoints()
    batch: list[Paper] = []

    def flush(checkpoint: tuple[str, str] | None = None) -> None:
        report.written.add(catalog.upsert(batch, checkpoint, run_id))
        batch.clear()
        if on_progress:
            on_progress(report)

    def handle(item: Item) -> None:
        if isinstance(item, Paper):
            report.records += 1
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        elif isinstance(item, RecordError):
            report.reject(str(item))
        elif isinstance(item, Checkpoint):
            flush((item.key, item.value))

    for location in locations:
        sniff = _Sniff(location, fmt)
        try:
            for item in iter_papers(location, ctx):
                if sniff.deciding:
                    if sniff.hold(item):  # decided: the file is in this format
                        for held in sniff.release():
                            handle(held)
                    continue
                handle(item)
            if sniff.deciding:
                sniff.end()
                for held in sniff.release():
                    handle(held)
        except SourceError as exc:
            report.failed_locations.append(location)
            message = str(exc)
            report.reject(message if message.startswith(location) else f"{location}: {message}")
        finally:
            flush()  # good records read before a failure are kept
    finish_run(catalog, run_id, report.records, report.written, report.rejected)
    return report


class WrongFormatError(SourceError):
    """Most of a file's first records fail to read in the format asked for."""


class _Sniff:
    """Holds a location's first SNIFF_RECORDS items back until they show the file is in the
    format asked for. When most fail, nothing of the file is written and the run says which
    formats the file does look like."""

    def __init__(self, location: str, fmt: str):
        self.location, self.fmt = location, fmt
        self.items: list[Item] = []
        self.papers = self.errors = 0
        self.deciding = True

    def hold(self, item: Item) -> bool:
        """Hold one item; True once enough were seen to decide (WrongFormatError if they fail)."""
        self.items.append(item)
        self.papers += isinstance(item, Paper)
        self.errors += isinstance(item, RecordError)
        if self.papers + self.errors >= SNIFF_RECORDS or isinstance(item, Checkpoint):
            self.end()
            return True
        return False

    def end(self) -> None:
        """Decide on what was held; raises WrongFormatError when most of it failed."""
        self.deciding = False
        if self.errors < 2 or self.errors < WRONG_FORMAT_SHARE * (self.errors + self.papers):
            return  # a few damaged records in a file of the right format: reported one by one
        first = next(str(i) for i in self.items if isinstance(i, RecordError))
        guesses = guess_formats(self.location, self.fmt)
        hint = f"; did you mean {' or '.join(guesses)}?" if guesses else "; see `papersift formats`"
        raise WrongFormatError(
            f"{self.location} does not look like {self.fmt}: {self.errors} of its first "
            f"{self.papers + self.errors} records were rejected (first: {first}){hint} Nothing was written."
        )

    def release(self) -> list[Item]:
        items, self.items = self.items, []
        return items

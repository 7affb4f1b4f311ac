"""Ingest runs: the catalog's record of each `papersift ingest` and of every paper it delivered.

A run is logged when it starts (so a killed run still shows, unfinished) and its counts when it ends.
Each batch records, in the batch's own transaction, what it did to each paper: "added" (new to the
catalog), "updated" (merged into a stored paper and changed it) or "unchanged". That record is what
lets `papersift remove --run` take out exactly what a run added and nothing another run also brought.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from papersift.catalog.schema import ingest_run_papers, ingest_runs, inserted_id

if TYPE_CHECKING:
    from papersift.catalog.store import Catalog, UpsertResult

_RANK = {"unchanged": 0, "updated": 1, "added": 2}  # a paper seen twice in one run keeps its strongest action


@dataclass(frozen=True)
class IngestRun:
    """One ingest run as the catalog recorded it; `finished` None means still running or killed."""

    id: int
    format: str
    locations: list[str]
    started: datetime
    finished: datetime | None
    records: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    removed: datetime | None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("started", "finished", "removed"):
            d[key] = d[key].isoformat() + "Z" if d[key] else None
        return d


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(catalog: Catalog, fmt: str, locations: list[str]) -> int:
    """Log a new run of format `fmt` over `locations`; returns its id."""
    with catalog.writing() as conn:
        res = conn.execute(ingest_runs.insert().values(format=fmt, locations=locations, started=_now()))
        return inserted_id(res)


def finish_run(catalog: Catalog, run_id: int, records: int, written: UpsertResult, rejected: int) -> None:
    """Store a run's final counts and end time."""
    with catalog.writing() as conn:
        conn.execute(
            ingest_runs.update()
            .where(ingest_runs.c.id == run_id)
            .values(
                finished=_now(),
                records=records,
                inserted=written.inserted,
                updated=written.updated,
                unchanged=written.unchanged,
                rejected=rejected,
            )
        )


def record_deliveries(conn: Connection, run_id: int, actions: dict[str, str]) -> None:
    """Record what one batch of run `run_id` did to each paper (inside the batch's transaction)."""
    if not actions:
        return
    ids = list(actions)
    known: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            sa.select(ingest_run_papers.c.paper_id, ingest_run_papers.c.action).where(
                ingest_run_papers.c.run_id == run_id, ingest_run_papers.c.paper_id.in_(ids[i : i + 500])
            )
        )
        known.update({r.paper_id: r.action for r in rows})
    new = [{"run_id": run_id, "paper_id": pid, "action": a} for pid, a in actions.items() if pid not in known]
    stronger = [{"pid": pid, "a": a} for pid, a in actions.items() if pid in known and _RANK[a] > _RANK[known[pid]]]
    if new:
        conn.execute(ingest_run_papers.insert(), new)
    if stronger:
        conn.execute(
            ingest_run_papers.update()
            .where(ingest_run_papers.c.run_id == run_id, ingest_run_papers.c.paper_id == sa.bindparam("pid"))
            .values(action=sa.bindparam("a")),
            stronger,
        )


def _run_of(row: sa.Row[Any]) -> IngestRun:
    return IngestRun(**{c: getattr(row, c) for c in ingest_runs.c.keys()})


def list_runs(catalog: Catalog, ids: list[int] | None = None) -> list[IngestRun]:
    """Runs, newest first (all of them, or those with the given ids)."""
    q = sa.select(ingest_runs).order_by(ingest_runs.c.id.desc())
    if ids is not None:
        q = q.where(ingest_runs.c.id.in_(ids))
    with catalog.engine.connect() as conn:
        return [_run_of(r) for r in conn.execute(q)]

"""Undoing ingests: remove what a run added, a list of papers, or everything only one source brought.

Removal never erases rows: a removed paper is marked deleted and takes a new change-log number (a
tombstone), so `papersift index` drops it from the lexical and vector indexes of every backend, and
serving processes stop showing it at once (they read live papers only). Rules:
- `--run`: the papers those runs ADDED (new to the catalog) that no other run also delivered. A paper
  another run brought too stays (`kept_shared`). Papers a run merged into papers already stored stay as
  merged (`changed_kept`): merging only adds, and the state before the run is not kept, so removal says
  so instead of guessing; re-ingesting the other sources does not take the run's additions out either.
- ids: exactly those papers (unknown or already removed ids are listed in `not_found`).
- `--source NAME`: the papers whose only source is NAME; papers other sources also brought stay.
A removed paper's run records are dropped, so ingesting it again later makes it "added" by that run.
A removed run's records are dropped too, and the runs that also delivered a paper it kept become the
runs that added it: removing them later takes the paper out, as if the removed run had never been.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from papersift.catalog.runs import list_runs
from papersift.catalog.schema import ingest_run_papers, ingest_runs, papers
from papersift.catalog.store import Catalog

CHUNK = 500


class RemovalError(ValueError):
    """The request names something that cannot be removed (an unknown or already removed run)."""


@dataclass
class Removal:
    """What a removal did (or, with `dry_run`, would do)."""

    dry_run: bool
    removed: list[str] = field(default_factory=list)
    kept_shared: list[str] = field(default_factory=list)
    changed_kept: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "runs": self.runs,
            "removed": self.removed,
            "kept_shared": self.kept_shared,
            "changed_kept": self.changed_kept,
            "not_found": self.not_found,
        }


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _live(conn: Connection, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        q = sa.select(papers.c.id).where(papers.c.id.in_(chunk), papers.c.deleted.is_(False))
        found.update(conn.execute(q).scalars())
    return found


def _delivered_by(conn: Connection, run_ids: list[int], action: str | None = None) -> list[str]:
    q = sa.select(ingest_run_papers.c.paper_id).where(ingest_run_papers.c.run_id.in_(run_ids))
    if action is not None:
        q = q.where(ingest_run_papers.c.action == action)
    return sorted(set(conn.execute(q).scalars()))


def _also_delivered_elsewhere(conn: Connection, ids: list[str], run_ids: list[int]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        q = sa.select(ingest_run_papers.c.paper_id).where(
            ingest_run_papers.c.paper_id.in_(chunk), ingest_run_papers.c.run_id.not_in(run_ids)
        )
        found.update(conn.execute(q).scalars())
    return found


def _apply(conn: Connection, plan: Removal) -> None:
    """Mark the planned papers deleted with fresh change-log numbers; forget their (and the runs') records."""
    seq = (conn.execute(sa.select(sa.func.max(papers.c.seq))).scalar() or 0) + 1
    if plan.removed:
        conn.execute(
            papers.update()
            .where(papers.c.id == sa.bindparam("pid"), papers.c.deleted.is_(False))
            .values(deleted=True, seq=sa.bindparam("s")),
            [{"pid": pid, "s": seq + i} for i, pid in enumerate(plan.removed)],
        )
    for chunk in _chunks(plan.removed):
        conn.execute(ingest_run_papers.delete().where(ingest_run_papers.c.paper_id.in_(chunk)))
    if plan.runs:
        # a kept paper now stays only because other runs delivered it: they become the runs that added it
        for chunk in _chunks(plan.kept_shared):
            conn.execute(
                ingest_run_papers.update()
                .where(ingest_run_papers.c.paper_id.in_(chunk), ingest_run_papers.c.run_id.not_in(plan.runs))
                .values(action="added")
            )
        conn.execute(ingest_run_papers.delete().where(ingest_run_papers.c.run_id.in_(plan.runs)))
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(ingest_runs.update().where(ingest_runs.c.id.in_(plan.runs)).values(removed=now))


def remove_runs(catalog: Catalog, run_ids: list[int], dry_run: bool = False) -> Removal:
    """Remove what the given runs added and no other run delivered (see the module's rules)."""
    runs = {r.id: r for r in list_runs(catalog, run_ids)}
    unknown = [str(i) for i in run_ids if i not in runs]
    if unknown:
        raise RemovalError(f"no ingest run {', '.join(unknown)} (see `papersift runs`)")
    gone = [str(r.id) for r in runs.values() if r.removed]
    if gone:
        raise RemovalError(f"ingest run {', '.join(gone)} was already removed")
    plan = Removal(dry_run=dry_run, runs=sorted(runs))
    with catalog.engine.connect() if dry_run else catalog.writing() as conn:
        added = _delivered_by(conn, plan.runs, "added")
        shared = _also_delivered_elsewhere(conn, added, plan.runs)
        live = _live(conn, added)
        plan.removed = [pid for pid in added if pid in live and pid not in shared]
        plan.kept_shared = [pid for pid in added if pid in live and pid in shared]
        plan.changed_kept = [pid for pid in _delivered_by(conn, plan.runs, "updated") if pid not in plan.removed]
        if not dry_run:
            _apply(conn, plan)
    return plan


def remove_papers(catalog: Catalog, ids: list[str], dry_run: bool = False) -> Removal:
    """Remove exactly these papers (any common id spelling)."""
    wanted = list(dict.fromkeys(catalog.resolve_id(i) for i in ids))
    plan = Removal(dry_run=dry_run)
    with catalog.engine.connect() if dry_run else catalog.writing() as conn:
        live = _live(conn, wanted)
        plan.removed = [pid for pid in wanted if pid in live]
        plan.not_found = [pid for pid in wanted if pid not in live]
        if not dry_run:
            _apply(conn, plan)
    return plan


def remove_source(catalog: Catalog, name: str, dry_run: bool = False) -> Removal:
    """Remove every paper whose only source is `name`; papers other sources also brought are kept."""
    plan = Removal(dry_run=dry_run)
    with catalog.engine.connect() if dry_run else catalog.writing() as conn:
        q = sa.select(papers.c.id, papers.c.sources).where(papers.c.deleted.is_(False)).order_by(papers.c.id)
        for row in conn.execute(q):
            sources = set(row.sources or [])
            if name not in sources:
                continue
            (plan.removed if sources == {name} else plan.kept_shared).append(row.id)
        if not dry_run:
            _apply(conn, plan)
    return plan

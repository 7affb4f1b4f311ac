"""Undo commands: `runs` lists ingest runs, `remove` takes out what a run (or a source) added, or given papers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papersift.cli import app
from papersift.cli.output import err, fail, out, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services
    from papersift.catalog.removal import Removal


@app.command("runs")
def runs_cmd(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List ingest runs, newest first: id, format, paths, start/end, counts (for `remove --run`)."""
    from papersift.catalog.runs import list_runs

    runs = list_runs(ctx.obj.catalog)
    if json_out:
        print_json({"runs": [r.to_dict() for r in runs]})
        return
    table = Table("run", "format", "paths", "started (UTC)", "status", "new", "updated", "unchanged", "rejected")
    for r in runs:
        status = "removed" if r.removed else "finished" if r.finished else "unfinished (running or killed)"
        table.add_row(
            str(r.id),
            r.format,
            "\n".join(r.locations),
            r.started.isoformat(sep=" ", timespec="seconds"),
            status,
            f"{r.inserted:,}",
            f"{r.updated:,}",
            f"{r.unchanged:,}",
            f"{r.rejected:,}",
        )
    out.print(table)


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    paper_ids: Annotated[list[str] | None, typer.Argument(metavar="[ID...]", help="Papers to remove.")] = None,
    run: Annotated[list[int], typer.Option("--run", help="Remove what this ingest run added (repeatable).")] = [],  # noqa: B006
    source: Annotated[str | None, typer.Option("--source", help="Remove papers whose only source is NAME.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would be removed.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Remove papers: what ingest runs added (never papers other runs also brought), given ids, or a source's.

    Removed papers leave the indexes on the next `papersift index` (and leave search results at once)."""
    from papersift.catalog.removal import RemovalError, remove_papers, remove_runs, remove_source

    asked = [bool(paper_ids), bool(run), source is not None]
    if sum(asked) != 1:
        fail("say what to remove: paper IDs, --run ID or --source NAME (one of them)", code=2)
    catalog = ctx.obj.catalog
    try:
        if run:
            report = remove_runs(catalog, run, dry_run)
        elif source is not None:
            report = remove_source(catalog, source, dry_run)
        else:
            report = remove_papers(catalog, paper_ids or [], dry_run)
    except RemovalError as exc:
        fail(str(exc))
    if json_out:
        print_json(report.to_dict())
    _print_removal(report, source)


def _print_removal(r: Removal, source: str | None) -> None:
    verb = "would be removed" if r.dry_run else "removed"
    what = f"run {', '.join(map(str, r.runs))}" if r.runs else f"source {source}" if source else "the ids given"
    err.print(f"{len(r.removed):,} papers {verb} ({what})", highlight=False, soft_wrap=True)
    if r.kept_shared:
        by = "other runs" if r.runs else "other sources"
        err.print(f"{len(r.kept_shared):,} papers kept: {by} also brought them", highlight=False, soft_wrap=True)
    if r.changed_kept:
        err.print(
            f"{len(r.changed_kept):,} papers that were already in the catalog keep what this run merged into them "
            "(the state before the run is not stored); remove them by id if they should go",
            style="yellow",
            highlight=False,
            soft_wrap=True,
        )
    if r.not_found:
        err.print(f"not in the catalog (or already removed): {' '.join(r.not_found)}", style="yellow", markup=False)
    if r.removed and not r.dry_run:
        err.print("run `papersift index` to drop them from the search indexes", highlight=False, soft_wrap=True)

"""Catalog commands: ingest, stats, show, export."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papersift.cli import app
from papersift.cli.output import err, fail, out, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services
    from papersift.context import AppContext
    from papersift.ingest import IngestReport
    from papersift.paper import Paper


def _parse_options(values: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key:
            fail(f"--option expects KEY=VALUE, got {v!r}", code=2)
        options[key.strip()] = value.strip()
    return options


@app.command("init")
def init_cmd(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Create a papersift home (the data directory) with an empty catalog; safe to re-run."""
    app_ctx: AppContext = ctx.obj
    existed = app_ctx.settings.home.is_dir()
    catalog = app_ctx.catalog  # creates the directory and the database schema
    home = str(app_ctx.settings.home)
    if json_out:
        print_json({"home": home, "created": not existed, "papers": catalog.count()})
        return
    err.print(f"papersift home {'ready' if existed else 'created'} at {home}", highlight=False)


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="Source format (see `papersift formats`).")],
    locations: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL...", help="Files, folders or URLs.")],
    since: Annotated[str | None, typer.Option(help="Only papers updated on/after this date (YYYY-MM-DD).")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Exit 0 even if some records were rejected.")] = False,
    option: Annotated[list[str], typer.Option("--option", "-o", help="Source option KEY=VALUE (repeatable).")] = [],  # noqa: B006
    json_out: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
) -> None:
    """Ingest paper metadata into the catalog (idempotent, resumable)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from papersift.ingest import ingest
    from papersift.sources import REGISTRY, SourceContext, SourceError

    app_ctx: AppContext = ctx.obj
    if fmt not in REGISTRY:
        fail(f"unknown format {fmt!r}; known formats: {', '.join(sorted(REGISTRY))}", code=2)
    try:
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since expects YYYY-MM-DD, got {since!r}", code=2)
    missing = [loc for loc in locations if "://" not in loc and not Path(loc).expanduser().exists()]
    if missing:
        fail(
            f"{missing[0]}: no such file or directory"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            code=2,
        )
    source_ctx = SourceContext(since=since_date, options=_parse_options(option))
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=not err.is_terminal,
    ) as progress:
        task = progress.add_task(f"ingesting {fmt}", total=None)

        def on_progress(r: IngestReport) -> None:
            progress.update(
                task,
                description=f"ingesting {fmt}: {r.records:,} records, "
                f"{r.written.inserted:,} new, {r.rejected:,} rejected",
            )

        try:
            report = ingest(
                app_ctx.catalog, fmt, locations, source_ctx, app_ctx.settings.ingest_batch_size, on_progress
            )
        except SourceError as exc:
            fail(str(exc), code=2)
    _print_report(report, json_out)
    if not report.ok and not (skip_bad and not report.failed_locations):
        raise typer.Exit(1)


def _print_report(report: IngestReport, json_out: bool) -> None:
    if json_out:
        print_json(report.to_dict())
    w = report.written
    err.print(
        f"{report.records:,} records read: {w.inserted:,} new, {w.updated:,} updated, "
        f"{w.unchanged:,} unchanged, {report.rejected:,} rejected (run {report.run_id}; "
        f"undo with `papersift remove --run {report.run_id}`)",
        highlight=False,
        soft_wrap=True,
    )
    for message in report.errors:
        err.print(f"  rejected: {message}", style="yellow", highlight=False, markup=False, soft_wrap=True)
    if report.rejected > len(report.errors):
        err.print(f"  ... and {report.rejected - len(report.errors):,} more", style="yellow")


@app.command("formats")
def formats_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the ingestible source formats."""
    from papersift.sources import REGISTRY

    if json_out:
        print_json([{"format": name, "description": d} for name, (_, d) in sorted(REGISTRY.items())])
        return
    table = Table("format", "description")
    for name, (_, description) in sorted(REGISTRY.items()):
        table.add_row(name, description)
    out.print(table)


@app.command("stats")
def stats_cmd(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Counts of papers by source, primary category and year."""
    stats = ctx.obj.catalog.stats()
    if json_out:
        print_json(stats)
        return
    out.print(f"papers: {stats['papers']:,}", highlight=False)
    for title, key in (("source", "by_source"), ("primary category", "by_category"), ("year", "by_year")):
        table = Table(title, "papers")
        for name, n in list(stats[key].items())[:25]:
            table.add_row(str(name), f"{n:,}")
        out.print(table)


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(metavar="ID", help="arXiv id (with or without version), DOI or id.")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one paper."""
    paper = ctx.obj.catalog.get(paper_id)
    if paper is None:
        fail(f"no paper with id {paper_id!r}")
    if json_out:
        print_json(paper.to_dict())
        return
    _print_paper(paper)


def _print_paper(p: Paper) -> None:
    """The paper as text: empty fields are left out, its links (arXiv, PDF, code...) listed."""
    lines = [p.title]
    if p.authors:
        lines.append(", ".join(p.authors))
    facts = [f"id: {p.id}"]
    if p.categories:
        facts.append(f"categories: {' '.join(p.categories)}")
    facts += [f"{label}: {day}" for label, day in (("submitted", p.submitted), ("updated", p.updated)) if day]
    lines.append("   ".join(facts))
    if p.versions:
        lines.append("versions: " + ", ".join(f"v{v.version} ({v.date or '?'})" for v in p.versions))
    for label, value in (("doi", p.doi), ("journal", p.journal_ref), ("comments", p.comments)):
        if value:
            lines.append(f"{label}: {value}")
    names = {"abs": "arXiv", "pdf": "PDF"}
    lines += [f"{names.get(name, name)}: {url}" for name, url in p.links.items() if url]
    if p.abstract:
        lines += ["", p.abstract]
    out.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (lossless, re-ingestible) or bibtex.")] = "jsonl",
) -> None:
    """Write the whole catalog to stdout (jsonl is re-ingestible with `ingest jsonl`)."""
    import json

    if fmt not in ("jsonl", "bibtex"):
        fail(f"unsupported export format {fmt!r} (supported: jsonl, bibtex)", code=2)
    out = sys.stdout
    if fmt == "bibtex":
        from papersift.community.export import iter_bibtex

        for piece in iter_bibtex(ctx.obj.catalog.iter_all()):
            out.write(piece)
        return
    for paper in ctx.obj.catalog.iter_all():
        out.write(json.dumps(paper.to_dict(), ensure_ascii=False) + "\n")


@app.command("repair-uploads")
def repair_uploads_cmd(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would change.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Undo catalog writes of web library uploads made before uploads became private (docs/security.md)."""
    from papersift.discover.repair import repair_uploads

    report = repair_uploads(ctx.obj.catalog, dry_run=dry_run)
    if json_out:
        print_json(report.to_dict())
    verb = "would be" if dry_run else "were"
    err.print(
        f"{len(report.removed):,} upload-only records {verb} removed ({report.kept_private:,} collection items kept "
        f"as private entries); {len(report.reverted):,} shared records {verb} stripped of upload data",
        highlight=False,
    )
    if report.reverted and not dry_run:
        err.print(
            "re-ingest your sources (`papersift ingest ...`) to restore the text of: " + ", ".join(report.reverted),
            style="yellow",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

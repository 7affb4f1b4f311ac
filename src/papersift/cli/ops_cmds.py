"""Operations commands: move the catalog to a database server (`catalog copy`), back up and restore a home."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papersift.cli import app
from papersift.cli.output import err, fail, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services (issue 12)
    from papersift.context import AppContext

catalog_app = typer.Typer(help="Whole-database operations on the catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


def _safe(url: str) -> str:
    """The URL with any password masked, for messages."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparsable URL)"


@catalog_app.command("copy")
def copy_cmd(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", metavar="URL", help="Destination SQLAlchemy URL (an empty database).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the per-table row counts as JSON.")] = False,
) -> None:
    """Copy this home's whole database (papers, accounts, digests) to another, checking row counts."""
    import sqlalchemy as sa

    from papersift.catalog.copy import CopyError, copy_database

    app_ctx: AppContext = ctx.obj
    try:
        sa.engine.make_url(to)
    except sa.exc.ArgumentError:
        fail(f"--to is not a database URL: {to!r} (e.g. postgresql+psycopg://user@host/dbname)", code=2)
    if to == app_ctx.settings.resolved_database_url:
        fail("--to names this home's own database", code=2)
    try:
        report = copy_database(
            app_ctx.catalog.engine,
            to,
            on_table=lambda name, n: err.print(f"copied {name}: {n:,} rows", highlight=False),
        )
    except CopyError as exc:
        fail(str(exc))
    except (sa.exc.OperationalError, sa.exc.NoSuchModuleError) as exc:
        fail(f"cannot use {_safe(to)}: {str(exc).splitlines()[0]}", code=2)
    if json_out:
        print_json({"revision": report.revision, "rows": report.copied_rows, "verified": report.verified})
        return
    table = Table("table", "source rows", "copied rows")
    for name, n in report.source_rows.items():
        table.add_row(name, f"{n:,}", f"{report.copied_rows[name]:,}")
    err.print(table)
    err.print(
        f"copied to {_safe(to)}; row counts verified. Point the home at it with "
        f"database_url = {_safe(to)!r} in papersift.toml (or PAPERSIFT_DATABASE_URL).",
        highlight=False,
        soft_wrap=True,
    )


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="A new (or empty) directory for the backup.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the backup manifest as JSON.")] = False,
) -> None:
    """Consistent online snapshot of the home (catalog, index generations, secret key) while it runs."""
    from papersift.ops.backup import BackupError, backup, home_milvus_lite

    app_ctx: AppContext = ctx.obj
    s = app_ctx.settings
    lite = home_milvus_lite(s.index_dir, s.resolved_milvus_uri) if s.backend == "milvus" else None
    if s.backend == "milvus" and lite is None:
        err.print(
            "note: a Milvus server's collection is not in the backup (back it up with Milvus's own tools); "
            "`papersift index` rebuilds it after a restore"
        )
    try:
        manifest = backup(app_ctx.catalog, s.home, s.index_dir, dest, milvus_lite=lite)
    except BackupError as exc:
        fail(str(exc))
    if json_out:
        print_json(asdict(manifest))
        return
    err.print(
        f"backed up {manifest.papers:,} papers (change log at {manifest.max_seq:,}), vector generation "
        f"{manifest.vector_generation}, lexical index {'yes' if manifest.lexical else 'no'}, files "
        f"{', '.join(manifest.files) or '-'} to {dest}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(metavar="SRC", help="A directory made by `papersift backup`.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the restored backup's manifest as JSON.")] = False,
) -> None:
    """Restore a backup into an empty home (then run `papersift index` to catch the indexes up)."""
    from papersift.ops.backup import BackupError, restore

    app_ctx: AppContext = ctx.obj
    s = app_ctx.settings
    try:
        milvus_uri = s.resolved_milvus_uri if s.backend == "milvus" else None
        manifest = restore(src, s.home, s.index_dir, s.resolved_database_url, milvus_uri=milvus_uri)
    except BackupError as exc:
        fail(str(exc))
    if json_out:
        print_json(asdict(manifest))
        return
    err.print(
        f"restored {manifest.papers:,} papers (change log at {manifest.max_seq:,}) from {src} into {s.home}; "
        "run `papersift index` to bring the indexes up to date",
        highlight=False,
        soft_wrap=True,
    )


@app.command("doctor")
def doctor_cmd(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check the home (schema, indexes vs catalog, vectors, model, disk, permissions); exit 1 on a failure."""
    from papersift.catalog.store import create_engine_for
    from papersift.ops.doctor import run_checks

    s = ctx.obj.settings
    engine = create_engine_for(s.resolved_database_url)  # never migrates: doctor only looks
    try:
        checks = run_checks(engine, s.home, s.index_dir, embedded=s.backend == "embedded")
    finally:
        engine.dispose()
    if json_out:
        print_json([asdict(c) for c in checks])
    else:
        table = Table("check", "status", "found", "what to do")
        styles = {"ok": "green", "warn": "yellow", "fail": "bold red"}
        for c in checks:
            table.add_row(c.name, f"[{styles[c.status]}]{c.status}[/]", c.found, c.fix)
        err.print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)

"""Operations commands: move the catalog to a database server (`catalog copy`)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer
from rich.table import Table

from papersift.catalog.copy import CopyError, copy_database
from papersift.cli import app
from papersift.cli.output import err, fail, print_json
from papersift.context import AppContext

catalog_app = typer.Typer(help="Whole-database operations on the catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


def _safe(url: str) -> str:
    """The URL with any password masked, for messages."""
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

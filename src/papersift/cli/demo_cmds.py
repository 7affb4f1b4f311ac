"""`papersift demo load`: the bundled demo corpus, ready to search in seconds."""

from __future__ import annotations

import typer

from papersift.cli import app
from papersift.cli.output import err, fail
from papersift.cli.search_cmds import run_index

demo_app = typer.Typer(help="The bundled demo corpus.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@demo_app.command("load")
def demo_load(ctx: typer.Context) -> None:
    """Ingest the demo papers, load their precomputed vectors, and index (idempotent)."""
    from papersift.demo.load import load_demo, load_demo_vectors

    report = load_demo(ctx.obj)
    if not report.ok:
        fail(f"demo corpus could not be loaded: {report.errors[:3]}")
    used = load_demo_vectors(ctx.obj)
    err.print(
        f"demo corpus: {report.records:,} papers ({report.written.inserted:,} new); {used:,} precomputed vectors",
        highlight=False,
    )
    run_index(ctx.obj)

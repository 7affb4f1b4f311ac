"""The `papersift` command line: thin wrappers that delegate to services.

Global options select the data directory (`--home`) and config file; each command module
registers its commands on `app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from papersift.cli.output import fail
from papersift.config import ConfigError, load_settings
from papersift.context import AppContext

app = typer.Typer(
    name="papersift",
    help="Self-hosted research-paper discovery: ingest, index, search, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data directory (default $PAPERSIFT_HOME or ~/.papersift).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config TOML (default <home>/papersift.toml).")] = None,
) -> None:
    try:
        settings = load_settings(home, config)
    except ConfigError as exc:
        fail(str(exc), code=2)
    app_ctx = AppContext(settings)
    ctx.obj = app_ctx
    ctx.call_on_close(app_ctx.close)


def _register() -> None:
    from papersift.cli import (  # noqa: F401  (registers commands)
        catalog_cmds,
        demo_cmds,
        digest_cmds,
        search_cmds,
        web_cmds,
    )


_register()

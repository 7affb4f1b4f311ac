"""The `papersift` command line: thin wrappers that delegate to services.

Global options select the data directory (`--home`) and config file; each command module
registers its commands on `app`.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from papersift.cli.output import err, fail

if TYPE_CHECKING:
    from papersift.config import Settings
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
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log detail (-vv: debug).")] = 0,
) -> None:
    configure_logging(verbose)
    lazy = LazyContext(home, config, creates_home=ctx.invoked_subcommand in CREATE_HOME)
    ctx.obj = lazy
    ctx.call_on_close(lazy.close)


CREATE_HOME = {"init", "ingest", "demo", "eval", "model", "restore"}  # commands that may start a new home


class LazyContext:
    """The settings and the AppContext, loaded when a command first uses them. `papersift CMD
    --help` runs the group callback too, and importing pydantic settings and the services
    (SQLAlchemy, numpy, ...) there would make every help screen slow. Building the context is
    also where a missing home is caught: only commands that fill a home may create it; the
    others would silently answer from an empty one."""

    def __init__(self, home: Path | None, config: Path | None, creates_home: bool):
        self._home, self._config = home, config
        self._creates_home = creates_home
        self._ctx: AppContext | None = None

    @cached_property
    def settings(self) -> Settings:
        from papersift.config import ConfigError, load_settings

        try:
            return load_settings(self._home, self._config)
        except ConfigError as exc:
            fail(str(exc), code=2)

    def get(self) -> AppContext:
        if self._ctx is None:
            from papersift.context import AppContext

            home = self.settings.home
            if not self._creates_home and not home.is_dir() and self.settings.database_url is None:
                fail(f"no papersift home at {home}; create it with `papersift init` or pass --home", code=2)
            self._ctx = AppContext(self.settings)
        return self._ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()


def configure_logging(verbose: int) -> None:
    """Log records go to stderr (never stdout, which `--json` keeps for its one document):
    warnings by default, info with -v, debug with -vv."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="papersift: %(message)s", force=True)
    if verbose < 2:  # third-party chatter only at debug level
        for noisy in ("httpx", "pymilvus", "ray"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def run() -> None:
    """The console entry point: `app`, with backend errors raised deep inside a command (an
    unreachable Milvus, say) reported as one line and exit code 2 instead of a traceback."""
    try:
        app()
    except Exception as exc:
        # imported only on failure: these load tantivy, numpy and SQLAlchemy, too slow for `--help`
        import sqlalchemy as sa

        from papersift.index.milvus.store import MilvusBackendError  # no pymilvus import

        if isinstance(exc, MilvusBackendError):
            err.print(f"error: {exc}", style="bold red", highlight=False, markup=False, soft_wrap=True)
            raise SystemExit(2) from None
        # tantivy reports I/O errors as ValueError
        what = _out_of_space(exc) if isinstance(exc, (OSError, ValueError, sa.exc.OperationalError)) else None
        if what is None:
            raise
        err.print(
            f"error: {what} ({str(exc).splitlines()[0]}). Nothing half-written was kept (each batch and each "
            "index generation is all-or-nothing): free space and run the same command again.",
            style="bold red",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise SystemExit(1) from None


def _out_of_space(exc: BaseException) -> str | None:
    """What to call a storage failure anywhere in the exception chain, or None for other errors:
    ENOSPC/EDQUOT from Python, SQLite's "database or disk is full", or tantivy's killed index writer
    (its worker threads hide the io::Error; a full disk is by far the usual cause)."""
    import errno

    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen)
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return "the disk is full"
        if "database or disk is full" in text or "No space left on device" in text:
            return "the disk is full"
        if "index writer was killed" in text:
            return "the index writer stopped on an I/O error (most likely a full disk)"
        seen = seen.__cause__ or seen.__context__
    return None


def _register() -> None:
    from papersift.cli import (  # noqa: F401  (registers commands)
        catalog_cmds,
        comment_cmds,
        demo_cmds,
        digest_cmds,
        impact_cmds,
        mcp_cmds,
        ops_cmds,
        related_cmds,
        runs_cmds,
        search_cmds,
        web_cmds,
        webhook_cmds,
    )


_register()

"""`papersift mcp`: registers the command; the server (and the services it loads) is imported
only when the command runs, so `papersift --help` stays fast (issue 12)."""

from __future__ import annotations

import os

import typer

from papersift.cli import app


@app.command("mcp")
def mcp_cmd(ctx: typer.Context) -> None:
    """Serve the catalog to AI assistants over MCP (stdio); PAPERSIFT_TOKEN scopes per-user tools."""
    from papersift.cli.mcp_server import TOKEN_ENV, build_server

    build_server(ctx.obj, os.environ.get(TOKEN_ENV) or None).run("stdio")

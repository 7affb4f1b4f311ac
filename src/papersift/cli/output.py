"""Output conventions shared by all commands: results on stdout, progress and logs on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from typer._click.globals import get_current_context  # typer (pinned) vendors click; no public accessor

err = Console(stderr=True)
out = Console(soft_wrap=False)  # results and tables: stdout, so they can be piped and grepped


def print_json(data: Any) -> None:
    """One JSON document on stdout (the `--json` contract)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error to stderr and exit non-zero (no stack trace for user errors).

    Under `--json` the error is also the one JSON document on stdout, `{"error": ..., "exit_code":
    ...}`, so a script reading stdout never has to parse stderr to learn what went wrong."""
    click_ctx = get_current_context(silent=True)
    if click_ctx is not None and click_ctx.params.get("json_out"):
        print_json({"error": message, "exit_code": code})
    err.print(f"error: {message}", style="bold red", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code)

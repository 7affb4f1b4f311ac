"""`papersift users ...` and `papersift serve --help` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import papersift.cli.web_cmds  # noqa: F401  (registers the commands even before cli/__init__ imports it)
from papersift.cli import app
from papersift.community.accounts import Accounts
from papersift.config import load_settings
from papersift.context import AppContext

runner = CliRunner()


def test_users_create_list_disable(home: Path) -> None:
    r = runner.invoke(
        app,
        ["--home", str(home), "users", "create", "ada@example.org", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert r.exit_code == 0, r.output
    again = runner.invoke(
        app,
        ["--home", str(home), "users", "create", "ada@example.org", "--password-stdin"],
        input="another password\n",
    )
    assert again.exit_code == 2 and "already exists" in again.output
    weak = runner.invoke(
        app, ["--home", str(home), "users", "create", "b@example.org", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 2 and "at least 8" in weak.output
    listed = runner.invoke(app, ["--home", str(home), "users", "list", "--json"])
    assert [u["email"] for u in json.loads(listed.stdout)] == ["ada@example.org"]
    assert runner.invoke(app, ["--home", str(home), "users", "disable", "ada@example.org"]).exit_code == 0
    ctx = AppContext(load_settings(home))
    accounts = Accounts(ctx.catalog.engine)
    assert accounts.authenticate("ada@example.org", "correct horse battery", "cli") is None
    assert runner.invoke(app, ["--home", str(home), "users", "disable", "ada@example.org", "--enable"]).exit_code == 0
    enabled = accounts.authenticate("ada@example.org", "correct horse battery", "cli")
    assert enabled is not None and enabled.email == "ada@example.org" and not enabled.disabled
    ctx.close()
    missing = runner.invoke(app, ["--home", str(home), "users", "disable", "nobody@example.org"])
    assert missing.exit_code == 1 and "no user" in missing.output


def test_serve_help_lists_options() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--workers" in r.output and "--port" in r.output

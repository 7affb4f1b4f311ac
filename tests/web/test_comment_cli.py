"""`papersift comments reported|hide|ban` through the real Typer app, on a real home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papersift.cli import app
from papersift.community import Community, UserError
from tests.community.factories import make_context

runner = CliRunner()


def _cli(home: Path, *args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["--home", str(home), "comments", *args])
    return r.exit_code, r.stdout


def test_operator_lists_reports_hides_and_bans(home: Path) -> None:
    ctx = make_context(home)
    community = Community(ctx.catalog, home)
    d, accounts = community.discussion, community.accounts
    ada = accounts.create_user("ada@example.org", "password one")
    mallory = accounts.create_user("mallory@example.org", "password two")
    spam = d.post(mallory, "2405.00001", "cheap pills")
    d.report(ada, spam.id, "spam")
    ctx.close()

    code, out = _cli(home, "reported", "--json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["id"], row["author"], row["reports"], row["reasons"], row["hidden"]) == (
        spam.id,
        "mallory",
        1,
        ["spam"],
        False,
    )
    assert _cli(home, "hide", str(spam.id))[0] == 0
    assert d.get(spam.id) is None and d.threads("2405.00001") == []
    assert _cli(home, "reported") == (0, "no reported comments\n")
    assert json.loads(_cli(home, "reported", "--all", "--json")[1])[0]["hidden"] is True
    assert _cli(home, "hide", str(spam.id), "--undo")[0] == 0 and d.get(spam.id) is not None
    assert _cli(home, "hide", "999999")[0] == 2

    assert _cli(home, "ban", "Mallory@Example.org")[0] == 0
    with pytest.raises(UserError, match="no longer comment"):
        d.post(mallory, "2405.00001", "again")
    assert _cli(home, "ban", "mallory@example.org", "--undo")[0] == 0
    assert d.post(mallory, "2405.00001", "sorry").body == "sorry"
    assert _cli(home, "ban", "nobody@example.org")[0] == 2

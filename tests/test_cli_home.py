"""A command on a home that does not exist says so instead of answering from an empty one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli_catalog import cli


def test_a_missing_home_is_an_error_naming_init(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    for args in (["search", "graph"], ["stats"], ["show", "2401.00001"]):
        proc = cli(home, *args, check=False)
        assert proc.returncode == 2 and proc.stdout == ""
        assert f"no papersift home at {home}; create it with `papersift init` or pass --home" in " ".join(
            proc.stderr.split()
        )
    assert not home.exists()  # nothing was created behind the user's back
    assert cli(home, "search", "--help").returncode == 0  # help never needs a home


def test_init_creates_the_home_and_is_idempotent(tmp_path: Path) -> None:
    home = tmp_path / "new"
    assert json.loads(cli(home, "init", "--json").stdout) == {"home": str(home), "created": True, "papers": 0}
    assert json.loads(cli(home, "init", "--json").stdout)["created"] is False
    assert json.loads(cli(home, "stats", "--json").stdout)["papers"] == 0


def test_json_errors_are_one_json_document_on_stdout(tmp_path: Path) -> None:
    proc = cli(tmp_path / "nowhere", "stats", "--json", check=False)
    assert proc.returncode == 2
    body = json.loads(proc.stdout)
    assert body["exit_code"] == 2 and body["error"].startswith("no papersift home at")
    cli(tmp_path / "h", "init")
    proc = cli(tmp_path / "h", "search", "(unbalanced", "--json", check=False)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"].startswith("bad query")


def test_tables_go_to_stdout_and_formats_speaks_json(tmp_path: Path) -> None:
    assert "beir" in cli(tmp_path, "formats").stdout  # `papersift formats | grep beir` works
    formats = json.loads(cli(tmp_path, "formats", "--json").stdout)
    assert {f["format"] for f in formats} >= {"beir", "jsonl", "arxiv-kaggle"}
    assert "papers: 0" in cli(tmp_path, "stats").stdout

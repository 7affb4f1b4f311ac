"""Undo through the real command line on real arXiv daily listings: ingest runs get ids, `remove`
takes out exactly what was asked (never papers another run also brought), and after `index` neither
keyword nor meaning search shows a removed paper, on the embedded and the Milvus backend."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.test_cli_catalog import PAPERSIFT, cli

DAY = "2025-11-26.jsonl"  # arxiv-daily reads the listing day from the file name


def _listing(shared_data: Path, dest: Path, lines: slice) -> list[str]:
    """A copy of some real lines of one daily crawl; returns their arXiv ids in file order."""
    raw = (shared_data / "arxiv-daily-cs" / "raw" / DAY).read_text(encoding="utf-8").splitlines()[lines]
    dest.mkdir(parents=True)
    (dest / DAY).write_text("\n".join(raw) + "\n", encoding="utf-8")
    return list(dict.fromkeys(json.loads(line)["id"].split("v")[0] for line in raw))


def _cli(home: Path, backend: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERSIFT_BACKEND": backend}
    proc = subprocess.run(
        [*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def _found(home: Path, backend: str, query: str, mode: str) -> list[str]:
    out = _cli(home, backend, "search", query, "--mode", mode, "--limit", "50", "--json").stdout
    return [r["id"] for r in json.loads(out)["results"]]


@pytest.mark.parametrize("backend", ["embedded", "milvus"])
def test_remove_run_keeps_papers_other_runs_brought_and_indexes_follow(
    tmp_path: Path, shared_data: Path, backend: str
) -> None:
    if backend == "milvus" and importlib.util.find_spec("milvus_lite") is None:
        pytest.skip("Milvus backend: the milvus extra is not installed (pip install -e '.[test]')")
    a_ids = _listing(shared_data, tmp_path / "a", slice(0, 24))
    b_ids = _listing(shared_data, tmp_path / "b", slice(14, 36))  # lines 14..23 in both runs
    shared, a_only = [i for i in a_ids if i in b_ids], [i for i in a_ids if i not in b_ids]
    assert shared and a_only
    home = tmp_path / "home"
    run_a = json.loads(_cli(home, backend, "ingest", "arxiv-daily", str(tmp_path / "a"), "--json").stdout)
    run_b_proc = _cli(home, backend, "ingest", "arxiv-daily", str(tmp_path / "b"), "--json")
    run_b = json.loads(run_b_proc.stdout)
    assert f"run {run_b['run_id']}; undo with `papersift remove --run {run_b['run_id']}`" in run_b_proc.stderr
    assert run_a["inserted"] == len(a_ids) and run_b["inserted"] == len(b_ids) - len(shared)
    runs = json.loads(_cli(home, backend, "runs", "--json").stdout)["runs"]
    assert [r["id"] for r in runs] == [run_b["run_id"], run_a["run_id"]]
    assert runs[1]["format"] == "arxiv-daily" and runs[1]["locations"] == [str(tmp_path / "a")]
    assert runs[1]["inserted"] == len(a_ids) and runs[1]["finished"] and runs[1]["removed"] is None
    _cli(home, backend, "index")
    gone_title = json.loads(_cli(home, backend, "show", a_only[0], "--json").stdout)["title"]
    kept_title = json.loads(_cli(home, backend, "show", shared[0], "--json").stdout)["title"]
    assert a_only[0] in _found(home, backend, f'"{gone_title}"', "lexical")

    dry = json.loads(_cli(home, backend, "remove", "--run", str(run_a["run_id"]), "--dry-run", "--json").stdout)
    assert sorted(dry["removed"]) == sorted(a_only) and sorted(dry["kept_shared"]) == sorted(shared)
    assert json.loads(_cli(home, backend, "stats", "--json").stdout)["papers"] == len(set(a_ids + b_ids))

    done = _cli(home, backend, "remove", "--run", str(run_a["run_id"]), "--json")
    assert json.loads(done.stdout) == {**dry, "dry_run": False}
    assert f"{len(shared)} papers kept: other runs also brought them" in done.stderr
    assert json.loads(_cli(home, backend, "stats", "--json").stdout)["papers"] == len(b_ids)
    assert a_only[0] not in _found(home, backend, f'"{gone_title}"', "lexical")  # before re-indexing too
    indexed = _cli(home, backend, "index")
    assert f"{len(a_only)} removed" in " ".join(indexed.stderr.split())  # the report wraps at the console width
    for mode in ("lexical", "dense", "hybrid"):
        assert a_only[0] not in _found(home, backend, gone_title, mode), mode
        assert shared[0] in _found(home, backend, kept_title, mode), mode
    runs = json.loads(_cli(home, backend, "runs", "--json").stdout)["runs"]
    assert runs[1]["removed"] and runs[0]["removed"] is None
    again = _cli(home, backend, "remove", "--run", str(run_a["run_id"]), "--json", check=False)
    assert again.returncode == 1 and "already removed" in json.loads(again.stdout)["error"]


def test_remove_ids_and_source_and_reingest(tmp_path: Path, shared_data: Path) -> None:
    ids = _listing(shared_data, tmp_path / "a", slice(0, 12))
    home = tmp_path / "home"
    first = json.loads(cli(home, "ingest", "arxiv-daily", str(tmp_path / "a"), "--json").stdout)
    out = json.loads(cli(home, "remove", ids[0], f"arXiv:{ids[1]}v1", "9999.99999", "--json").stdout)
    assert out["removed"] == ids[:2] and out["not_found"] == ["9999.99999"] and not out["runs"]
    assert cli(home, "show", ids[0], check=False).returncode == 1
    # the removed papers come back with a new run, which counts them as its own additions
    back = json.loads(cli(home, "ingest", "arxiv-daily", str(tmp_path / "a"), "--json").stdout)
    assert back["inserted"] == 2 and back["unchanged"] == len(ids) - 2 and back["run_id"] != first["run_id"]
    undo = json.loads(cli(home, "remove", "--run", str(back["run_id"]), "--json").stdout)
    assert sorted(undo["removed"]) == sorted(ids[:2]) and undo["kept_shared"] == []
    none = json.loads(cli(home, "remove", "--source", "hf-daily", "--json").stdout)
    assert none["removed"] == [] and none["kept_shared"] == []
    src = json.loads(cli(home, "remove", "--source", "arxiv-daily", "--dry-run", "--json").stdout)
    assert sorted(src["removed"]) == sorted(ids[2:])
    assert json.loads(cli(home, "stats", "--json").stdout)["papers"] == len(ids) - 2
    cli(home, "remove", "--source", "arxiv-daily")
    assert json.loads(cli(home, "stats", "--json").stdout)["papers"] == 0
    usage = cli(home, "remove", "--run", "1", ids[3], check=False)
    assert usage.returncode == 2 and "one of them" in usage.stderr
    assert cli(home, "remove", "--run", "99", check=False).returncode == 1

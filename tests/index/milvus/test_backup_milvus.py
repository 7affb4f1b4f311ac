"""`papersift backup` / `restore` of a home on the Milvus backend (milvus-lite inside the home): the
collection's files are copied while another process holds milvus-lite open, the restored home
answers every search mode the same and keeps its index positions (nothing is re-embedded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.community.factories import make_context

PAPERSIFT = [sys.executable, "-m", "papersift"]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERSIFT_BACKEND": "milvus"}
    env.pop("PAPERSIFT_HOME", None)
    env.pop("PAPERSIFT_DATABASE_URL", None)
    cmd = [*PAPERSIFT, "--home", str(home), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def answers(home: Path) -> list[list[str]]:
    out = []
    for mode in ("lexical", "dense", "hybrid"):
        hits = json.loads(cli(home, "search", "experts attention", "--mode", mode, "--json").stdout)
        out.append([h["id"] for h in hits["results"]])
    return out


HOLD = (
    "import sys, time; from pymilvus import MilvusClient; c = MilvusClient(sys.argv[1]); "
    "print('held', flush=True); time.sleep(600)"
)


def test_milvus_lite_round_trip_while_another_process_holds_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_context(home).close()  # the demo papers in the catalog
    cli(home, "index")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home / "index" / "milvus.db")], stdout=subprocess.PIPE)
    try:  # another process keeps milvus-lite open (its LOCK held) during the backup, as `serve` would
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        manifest = json.loads(cli(home, "backup", str(tmp_path / "b"), "--json").stdout)
    finally:
        holder.kill()
        holder.wait()
    assert manifest["milvus_lite"] == "milvus.db" and manifest["papers"] == 6
    copied = tmp_path / "b" / "index" / "milvus.db"
    assert not (copied / "LOCK").exists() or (copied / "LOCK").stat().st_size == 0
    assert list(copied.glob("collections/*/partitions/*/data/*.parquet")), "no data files copied"

    restored = tmp_path / "restored"
    cli(restored, "restore", str(tmp_path / "b"))
    state = json.loads((restored / "index" / "milvus-state.json").read_text())
    assert state["uri"] == str(restored / "index" / "milvus.db")  # the new home's path: positions kept
    assert answers(restored) == answers(home) and any(answers(home))
    assert "indexed 0 papers (lexical), 0 (dense)" in cli(restored, "index").stderr  # nothing redone

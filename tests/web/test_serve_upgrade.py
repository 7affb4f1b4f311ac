"""`papersift serve --workers 2` on a home whose keyword index an older papersift wrote.

Each worker opens the indexes as it warms up; left to them, two workers would race to replace the
outdated index (or one would serve the other's half-built copy). `serve` rebuilds it once, in the
parent, before any worker starts, and says so: this runs the real command and searches through it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from papersift.catalog import Catalog
from tests.index.old_lexical import write_old_index
from tests.test_cli_catalog import cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_serve_the_rebuilt_index_not_the_outdated_one(tmp_path: Path, shared_data: Path) -> None:
    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    cli(tmp_path, "ingest", "arxiv-kaggle", str(kaggle))
    cli(tmp_path, "index", "--lexical-only")
    lexical = tmp_path / "index" / "lexical"
    shutil.rmtree(lexical)
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    papers = catalog.get_many(c.id for c in catalog.changes_since(0, 10_000))
    catalog.close()
    write_old_index(lexical, papers.values())
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    cmd = [sys.executable, "-m", "papersift", "--home", str(tmp_path), "serve", "--workers", "2"]
    server = subprocess.Popen(
        [*cmd, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        answer = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/search"
                answer = httpx.get(url, params={"q": "diphoton production", "mode": "lexical"}, timeout=10)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["results"][0]["paper"]["id"] == "0704.0001"
    finally:
        server.terminate()
        server.wait(timeout=30)
    stderr = server.stderr.read().decode() if server.stderr else ""
    assert stderr.count("built by an older papersift") == 1, stderr
    assert f"rebuilt the lexical index from the catalog ({len(papers):,} papers" in stderr

"""`papersift serve --workers 2` on a home whose keyword index an older papersift wrote.

Each worker opens the indexes as it warms up; left to them, two workers would race to replace the
outdated index (or one would serve the other's half-built copy). `serve` rebuilds it once, in the
parent, before any worker starts, and says so: this runs the real command and searches through it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from papersift.catalog import Catalog
from tests import harness
from tests.index.old_lexical import write_old_index
from tests.test_cli_catalog import cli


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
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    server = harness.start_serve(tmp_path, workers=2, env=env, stderr=subprocess.PIPE)
    try:
        answer = httpx.get(server.base + "/api/search", params={"q": "diphoton production", "mode": "lexical"})
        assert answer.status_code == 200
        assert answer.json()["results"][0]["paper"]["id"] == "0704.0001"
    finally:
        server.stop()
    stderr = server.proc.stderr.read().decode() if server.proc.stderr else ""
    assert stderr.count("built by an older papersift") == 1, stderr
    assert f"rebuilt the lexical index from the catalog ({len(papers):,} papers" in stderr

"""The command line with PAPERSIFT_BACKEND=milvus: index, search in every mode, similar, eval."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deliver.fixtures import free_port
from tests.index.milvus.helpers import scifact_subset
from tests.test_cli_catalog import PAPERSIFT

KAGGLE = "arxiv-kaggle-sample/arxiv-metadata-oai-snapshot.sample.json"


def cli(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERSIFT_BACKEND": "milvus"}
    env.pop("PAPERSIFT_HOME", None)
    proc = subprocess.run(
        [*PAPERSIFT, *(["--home", str(home)] if home else []), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr and "Method not implemented" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    h = tmp_path_factory.mktemp("cli-milvus")
    cli("ingest", "arxiv-kaggle", str(shared_data / KAGGLE), home=h)
    proc = cli("index", home=h)
    assert "indexed 168 papers (lexical), 168 (dense)" in proc.stderr
    return h


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_search_every_mode_with_filters(home: Path, mode: str) -> None:
    out = json.loads(
        cli(
            "search",
            "diphoton production at hadron colliders cat:hep-*",
            "--mode",
            mode,
            "--limit",
            "20",
            "--json",
            home=home,
        ).stdout
    )
    first = out["results"][0]
    assert first["id"] == "0704.0001" and first["snippet"] and out["total"] >= len(out["results"])
    assert all(any(c.startswith("hep-") for c in r["categories"]) for r in out["results"])


def test_similar_explains_with_a_cosine(home: Path) -> None:
    """Every paper has a vector here, so each neighbour's score is a cosine, labelled as one."""
    out = json.loads(cli("similar", "0704.0001", "--json", home=home).stdout)
    assert len(out["results"]) == 10 and "0704.0001" not in [r["id"] for r in out["results"]]
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    for r in out["results"]:
        assert r["measure"] == "cosine" and r["reason"].startswith(f"similarity {r['score']:.2f}")


def test_index_is_incremental_and_state_lives_in_home(home: Path) -> None:
    assert (home / "index" / "milvus.db").exists() and (home / "index" / "milvus-state.json").exists()
    assert not (home / "index" / "lexical").exists()  # nothing of the embedded backend
    assert "indexed 0 papers (lexical), 0 (dense)" in cli("index", home=home).stderr


def test_eval_runs_on_milvus(tmp_path: Path, shared_data: Path) -> None:
    beir = scifact_subset(shared_data, tmp_path / "scifact", extra_docs=40, max_queries=12)
    out = json.loads(cli("eval", str(beir), "--mode", "hybrid", "--json").stdout)
    assert out["backend"] == "milvus" and out["mode"] == "hybrid" and out["queries"] == 12
    assert 0.5 < out["ndcg@10"] <= 1 and 0 < out["recall@100"] <= 1 and out["latency_p50_ms"] > 0


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A real Milvus gRPC server on loopback (milvus-lite's `server` command); yields its http:// URI."""
    port = free_port()
    log = (tmp_path / "milvus-server.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("milvus-lite")),
            "server",
            "--data-dir",
            str(tmp_path / "milvus-data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"milvus-lite server did not start: {(tmp_path / 'milvus-server.log').read_text()}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_eval_against_a_server_uses_and_drops_its_own_collection(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch, milvus_server: str
) -> None:
    """With `milvus_uri` (http://) and `milvus_token` set, eval talks to the server and must not
    write into the served collection: its temporary collection is gone afterwards, and a
    collection already on the server is untouched."""
    from pymilvus import MilvusClient

    token = "root:Milvus"
    served = MilvusClient(uri=milvus_server, token=token)
    served.create_collection("papers_in_service", dimension=4)
    served.insert("papers_in_service", [{"id": 1, "vector": [0.1, 0.2, 0.3, 0.4]}])
    beir = scifact_subset(shared_data, tmp_path / "scifact", extra_docs=40, max_queries=12)
    monkeypatch.setenv("PAPERSIFT_MILVUS_URI", milvus_server)
    monkeypatch.setenv("PAPERSIFT_MILVUS_TOKEN", token)
    out = json.loads(cli("eval", str(beir), "--mode", "lexical", "--json").stdout)
    assert out["backend"] == "milvus" and out["ndcg@10"] > 0.5
    assert served.list_collections() == ["papers_in_service"]  # the temporary collection is gone
    assert served.query("papers_in_service", filter="id == 1", output_fields=["id"]) == [{"id": 1}]


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERSIFT_BACKEND": "milvus", "PAPERSIFT_MILVUS_URI": "http://127.0.0.1:1"}
    proc = subprocess.run(
        [*PAPERSIFT, "--home", str(tmp_path), "search", "graph"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2
    assert "cannot connect to Milvus at http://127.0.0.1:1" in proc.stderr and "Traceback" not in proc.stderr

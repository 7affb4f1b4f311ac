"""Search commands through the real CLI: index, search, similar, eval (end to end, real data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_catalog import cli


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    h = tmp_path_factory.mktemp("cli-search")
    cli(h, "ingest", "arxiv-abs", str(shared_data / "arxiv-abs" / "raw_abs_files.tar.gz"))
    cli(h, "index", "--lexical-only")
    return h


def test_search_json_contract(home: Path) -> None:
    out = json.loads(cli(home, "search", "black hole entropy", "--mode", "lexical", "--limit", "5", "--json").stdout)
    assert out["mode"] == "lexical" and 0 < len(out["results"]) <= 5 and out["total"] >= len(out["results"])
    first = out["results"][0]
    assert {"id", "title", "score", "authors", "categories", "snippet"} <= set(first)


def test_hybrid_without_vectors_falls_back_with_notice(home: Path) -> None:
    proc = cli(home, "search", "black hole entropy", "--json")
    assert json.loads(proc.stdout)["results"] and "semantic index not built" in proc.stderr


def test_bad_query_is_a_clear_error(home: Path) -> None:
    proc = cli(home, "search", "(unbalanced", check=False)
    assert proc.returncode == 2 and "parenthes" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(home, "search", "x", "--mode", "psychic", check=False)
    assert proc.returncode == 2 and "mode" in proc.stderr


def test_similar_falls_back_to_lexical_and_explains(home: Path) -> None:
    out = json.loads(cli(home, "similar", "hep-th/9901001", "--json").stdout)
    assert out["results"] and all("reason" in r for r in out["results"])
    assert cli(home, "similar", "0000.00000", check=False).returncode == 1


def test_eval_end_to_end_on_a_real_collection(tmp_path: Path, shared_data: Path) -> None:
    """The full harness in all its steps on CISI (1,460 docs), hybrid mode with real embeddings."""
    proc = cli(tmp_path, "eval", str(shared_data / "cisi"), "--mode", "hybrid", "--json")
    out = json.loads(proc.stdout)
    assert out["queries"] == 53 and out["mode"] == "hybrid"
    assert 0.25 < out["ndcg@10"] <= 1 and 0 < out["recall@100"] <= 1 and 0 < out["mrr@10"] <= 1
    assert out["latency_p50_ms"] > 0


def test_eval_rejects_a_bad_collection(tmp_path: Path) -> None:
    proc = cli(tmp_path, "eval", str(tmp_path / "missing"), check=False)
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_corrupt_index_is_rebuilt_with_a_message(tmp_path: Path, shared_data: Path) -> None:
    cli(
        tmp_path,
        "ingest",
        "arxiv-kaggle",
        str(shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"),
    )
    cli(tmp_path, "index", "--lexical-only")
    (tmp_path / "index" / "lexical" / "meta.json").write_text("{damaged")
    proc = cli(tmp_path, "search", "diphoton production", "--mode", "lexical", "--json")
    assert "rebuilt the lexical index" in proc.stderr
    assert json.loads(proc.stdout)["results"][0]["id"] == "0704.0001"

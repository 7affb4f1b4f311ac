"""Search commands through the real CLI: index, search, similar, eval (end to end, real data)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.test_cli_catalog import PAPERSIFT, cli


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


def test_similar_falls_back_to_lexical_and_labels_the_score_bm25(home: Path) -> None:
    """Without vectors the neighbours come from a keyword query: their score is BM25, and nothing
    may call it a (cosine) similarity."""
    out = json.loads(cli(home, "similar", "hep-th/9901001", "--json").stdout)
    assert len(out["results"]) == 10 and "hep-th/9901001" not in [r["id"] for r in out["results"]]
    for r in out["results"]:
        assert r["measure"] == "bm25" and "similarity" not in r["reason"]
        assert r["reason"].startswith(f"keyword score {r['score']:.1f} (BM25; no embedding yet)")
        assert r["reason"].endswith(f"shared terms: {', '.join(r['shared_terms'][:5])}") or not r["shared_terms"]
    text = cli(home, "similar", "hep-th/9901001").stdout
    assert "keyword score" in text and "similarity" not in text
    assert cli(home, "similar", "0000.00000", check=False).returncode == 1


def test_eval_end_to_end_on_a_real_collection(tmp_path: Path, shared_data: Path) -> None:
    """The full harness in all its steps on CISI (1,460 docs), hybrid mode with real embeddings:
    the dense half must add something, so hybrid beats lexical alone (0.38) on the same home."""
    cisi = str(shared_data / "cisi")
    hybrid = json.loads(cli(tmp_path, "eval", cisi, "--mode", "hybrid", "--json").stdout)
    assert hybrid["queries"] == 53 and hybrid["mode"] == "hybrid" and hybrid["latency_p50_ms"] > 0
    lexical = json.loads(cli(tmp_path, "eval", cisi, "--mode", "lexical", "--json").stdout)
    assert lexical["queries"] == 53 and 0.3 < lexical["ndcg@10"] < 0.5
    assert hybrid["ndcg@10"] > lexical["ndcg@10"] and hybrid["recall@100"] > lexical["recall@100"]

    # --queries/--qrels: files outside the collection with exactly computable scores. Query 1
    # with every document relevant: nDCG@10 = MRR@10 = 1 and Recall@100 = 100/1460; query 2
    # with only an absent document relevant scores 0 everywhere (mean of the two: halves).
    queries = tmp_path / "q.jsonl"
    [first, second] = (shared_data / "cisi" / "queries.jsonl").read_text().splitlines()[:2]
    queries.write_text(f"{first}\n{second}\n")
    q1, q2 = json.loads(first)["_id"], json.loads(second)["_id"]
    qrels = tmp_path / "qrels.tsv"
    rows = [f"{q1}\t{doc}\t1" for doc in range(1, 1461)] + [f"{q2}\t999999\t1"]
    qrels.write_text("query-id\tcorpus-id\tscore\n" + "\n".join(rows) + "\n")
    args = ("eval", cisi, "--mode", "lexical", "--queries", str(queries), "--qrels", str(qrels), "--json")
    custom = json.loads(cli(tmp_path, *args).stdout)
    assert custom["queries"] == 2
    assert (custom["ndcg@10"], custom["mrr@10"], custom["recall@100"]) == (0.5, 0.5, round(100 / 1460 / 2, 4))


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


def test_an_index_from_an_older_papersift_is_rebuilt_by_index(tmp_path: Path, shared_data: Path) -> None:
    """Upgrading: a home whose keyword index has the pre-D77 schema (texts stored) is rebuilt from
    the catalog by `papersift index`, said as an upgrade (not as damage), and finds the same papers."""
    import shutil

    from papersift.catalog import Catalog
    from tests.index.old_lexical import write_old_index

    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    cli(tmp_path, "ingest", "arxiv-kaggle", str(kaggle))
    cli(tmp_path, "index", "--lexical-only")
    queries = ["diphoton production", "graph", 'cat:math.* "prime numbers"', "author:Bal"]

    def found() -> list[list[str]]:
        args = ("--mode", "lexical", "--limit", "20", "--json")
        return [[r["id"] for r in json.loads(cli(tmp_path, "search", q, *args).stdout)["results"]] for q in queries]

    before = found()
    assert all(before[:2])
    lexical = tmp_path / "index" / "lexical"
    shutil.rmtree(lexical)
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    write_old_index(lexical, catalog.get_many(c.id for c in catalog.changes_since(0, 10_000)).values())
    catalog.close()
    proc = cli(tmp_path, "index", "--lexical-only")
    assert "built by an older papersift" in proc.stderr and "rebuilt the lexical index" in proc.stderr
    papers = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert f"indexed 0 papers (lexical) after rebuilding the keyword index ({papers.count():,} papers)" in proc.stderr
    papers.close()
    assert "corrupt" not in proc.stderr and "damaged" not in proc.stderr
    assert not [p.name for p in (tmp_path / "index").iterdir() if "outdated" in p.name or "corrupt" in p.name]
    assert found() == before
    again = cli(tmp_path, "index", "--lexical-only")
    assert "older papersift" not in again.stderr  # once


def test_search_sort_orders_by_date_and_rejects_unknown_sorts(home: Path) -> None:
    """`--sort date` re-orders the relevant results newest first (by the paper's work date, read
    back from the catalog), `--sort relevance` by descending score."""
    from papersift.catalog import Catalog

    args = ("search", "black hole entropy", "--mode", "lexical", "--limit", "20", "--json")
    by_score = json.loads(cli(home, *args, "--sort", "relevance").stdout)["results"]
    by_date = json.loads(cli(home, *args, "--sort", "date").stdout)["results"]
    scores = [r["score"] for r in by_score]
    assert len(by_score) == 20 and scores == sorted(scores, reverse=True)
    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    papers = catalog.get_many(r["id"] for r in by_date)
    days = [papers[r["id"]].work_date for r in by_date]
    assert len(days) == 20 and None not in days and days == sorted(days, reverse=True)  # type: ignore[type-var]
    assert [r["id"] for r in by_date] != [r["id"] for r in by_score]  # the order really changed
    bad = cli(home, *args, "--sort", "random", check=False)
    assert bad.returncode == 2 and "unknown sort 'random'" in bad.stderr


def test_eval_counts_and_skips_empty_documents(tmp_path: Path) -> None:
    """A standard collection is taken as it is: documents with neither title nor text (Cranfield
    has two) are counted, skipped and reported, and the evaluation succeeds."""
    beir = tmp_path / "tiny"
    (beir / "qrels").mkdir(parents=True)
    docs = [
        {"_id": "1", "title": "wing slipstream lift", "text": "lift increase of a wing in a propeller slipstream"},
        {"_id": "2", "title": "", "text": ""},
        {"_id": "3", "title": "boundary layer", "text": "laminar boundary layer on a flat plate"},
    ]
    (beir / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "propeller slipstream"}) + "\n")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t1\t1\n")
    proc = cli(tmp_path / "home", "eval", str(beir), "--mode", "lexical", "--json")
    out = json.loads(proc.stdout)
    assert out["empty_documents_skipped"] == 1 and out["queries"] == 1 and out["ndcg@10"] == 1.0
    proc = cli(tmp_path / "home2", "eval", str(beir), "--mode", "lexical")
    assert proc.returncode == 0 and "skipped 1 empty document" in proc.stderr


def test_eval_takes_cranfield_as_it_is(tmp_path: Path, shared_data: Path) -> None:
    out = json.loads(cli(tmp_path, "eval", str(shared_data / "cranfield"), "--mode", "lexical", "--json").stdout)
    assert out["empty_documents_skipped"] == 2 and out["queries"] > 100 and 0.2 < out["ndcg@10"] < 1


def test_every_command_runs_on_the_static_encoder_alone(tmp_path: Path, shared_data: Path) -> None:
    """PAPERSIFT_ENCODER=minilm-static: index, search and eval use it (no full model involved)."""
    env = {**os.environ, "PAPERSIFT_ENCODER": "minilm-static"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*PAPERSIFT, "--home", str(tmp_path), *args], capture_output=True, text=True, env=env, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        return proc

    run("ingest", "arxiv-abs", str(shared_data / "arxiv-abs" / "raw_abs_files.tar.gz"))
    assert "(dense)" in run("index").stderr
    state = json.loads((tmp_path / "index" / "state.json").read_text())
    assert state["encoder"] == "minilm-static" and state["dense_seq"] > 0
    dense = json.loads(run("search", "black hole entropy", "--mode", "dense", "--json").stdout)
    assert dense["results"] and dense["coverage"]["provisional"] == 0  # its own vectors are the real thing here
    hybrid = json.loads(run("eval", str(shared_data / "cisi"), "--mode", "hybrid", "--json").stdout)
    assert hybrid["queries"] == 53 and hybrid["ndcg@10"] > 0.3

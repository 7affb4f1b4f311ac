"""`papersift impact train` / `impact score` through the real command line, on real HF daily papers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.test_cli_catalog import cli


def _first_records(shared_data: Path, n: int) -> list[dict[str, object]]:
    with gzip.open(shared_data / "hf-daily-papers" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return sorted(rows, key=lambda r: (str(r["daily_date"]), str(r["_id"])))[:n]


def test_train_then_score_a_file_without_storing_it_or_reading_its_votes(tmp_path: Path, shared_data: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()  # a home that does not exist is a different error (issue 12)
    raw = shared_data / "hf-daily-papers" / "raw" / "2026-08-21.json"
    missing = cli(home, "impact", "score", "hf-daily", str(raw), "--json", check=False)
    assert missing.returncode == 1 and "impact train" in missing.stderr

    corpus = tmp_path / "hf" / "corpus.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps(r) + "\n" for r in _first_records(shared_data, 600)), encoding="utf-8")
    cli(home, "ingest", "beir", str(corpus))
    report = json.loads(cli(home, "impact", "train", "--json").stdout)
    assert report["trained_on"] == 600 and report["predictions_stored"] > 0
    evaluation = report["evaluation"]
    assert evaluation["days"] > 0 and -1 <= evaluation["within_day_spearman"] <= 1
    assert evaluation["train_papers"] + evaluation["test_papers"] == 600
    assert (home / "impact" / "model.pkl").is_file() and (home / "impact" / "predictions.json").is_file()

    scores = json.loads(cli(home, "impact", "score", "hf-daily", str(raw), "--json").stdout)["scores"]
    entries = json.loads(raw.read_text("utf-8"))
    assert [s["id"] for s in scores] == [e["paper"]["id"] for e in entries]
    assert all(isinstance(s["score"], float) and s["score"] >= 0 for s in scores)
    assert len({s["score"] for s in scores}) > 1
    assert json.loads(cli(home, "stats", "--json").stdout)["papers"] == 600  # nothing stored

    for e in entries:  # the same papers with very different votes and comments
        e["paper"]["upvotes"] = e["paper"]["upvotes"] * 50 + 7
        e["numComments"] = 1000
        e["paper"]["githubStars"] = 99999
    loud = tmp_path / "2026-08-21.json"
    loud.write_text(json.dumps(entries), encoding="utf-8")
    again = json.loads(cli(home, "impact", "score", "hf-daily", str(loud), "--json").stdout)["scores"]
    assert again == scores


def test_train_refuses_a_catalog_without_votes(tmp_path: Path, shared_data: Path) -> None:
    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    cli(tmp_path, "ingest", "arxiv-kaggle", str(kaggle))
    out = cli(tmp_path, "impact", "train", "--json", check=False)
    assert out.returncode == 1 and "upvotes" in out.stderr
    assert json.loads(out.stdout)["exit_code"] == 1  # under --json the error is stdout's one document

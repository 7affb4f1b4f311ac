"""Ingest does not quietly create junk (issue 12 §2): a record lacking what its format requires
is an error with file:line, and a file in the wrong format stops early, writing nothing, with a
"did you mean" naming the formats its first records do fit."""

from __future__ import annotations

import json
from pathlib import Path

from papersift.catalog import Catalog
from papersift.ingest import ingest
from papersift.sources import SourceContext
from tests.test_cli_catalog import cli


def _beir(path: Path, n: int = 30) -> Path:
    lines = [json.dumps({"_id": f"d{i}", "title": f"Paper {i} on cells", "text": f"Abstract {i}."}) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _kaggle_record(i: int) -> dict[str, object]:
    return {"id": f"2401.{i:05d}", "title": f"Title {i}", "abstract": "An abstract.", "categories": "cs.CL"}


def test_a_beir_file_as_arxiv_kaggle_writes_nothing_and_suggests_formats(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    report = ingest(catalog, "arxiv-kaggle", [str(_beir(tmp_path / "corpus.jsonl"))], SourceContext())
    assert not report.ok and report.failed_locations == [str(tmp_path / "corpus.jsonl")]
    message = report.errors[-1]
    assert "does not look like arxiv-kaggle" in message and "did you mean beir or jsonl?" in message
    assert "corpus.jsonl:1: no arXiv id" in message  # the first record's problem, with file:line
    assert catalog.count() == 0
    assert ingest(catalog, "beir", [str(tmp_path / "corpus.jsonl")], SourceContext()).written.inserted == 30


def test_a_record_without_an_arxiv_id_is_an_error_with_its_line(tmp_path: Path) -> None:
    records = [_kaggle_record(i) for i in range(1, 30)]
    del records[4]["id"]  # line 5
    path = tmp_path / "snapshot.json"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    report = ingest(catalog, "arxiv-kaggle", [str(path)], SourceContext())
    assert report.rejected == 1 and report.errors == [
        f"{path}:5: no arXiv id (field 'id'): not an arXiv metadata record"
    ]
    assert catalog.count() == 28 and not report.failed_locations


def test_a_short_file_in_the_right_format_is_written(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(_kaggle_record(1)) + "\n")
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert ingest(catalog, "arxiv-kaggle", [str(path)], SourceContext()).ok and catalog.count() == 1


def test_a_missing_path_is_one_clear_error(tmp_path: Path) -> None:
    proc = cli(tmp_path / "home", "ingest", "jsonl", str(tmp_path / "nope.jsonl"), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {tmp_path / 'nope.jsonl'}: no such file or directory"

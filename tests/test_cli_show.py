"""`show` leaves out empty fields and prints the paper's links (issue 12 §3)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli_catalog import cli


def test_show_omits_empty_fields_and_prints_links(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"id": "2401.00001", "title": "A bare paper", "abstract": "Text."}) + "\n")
    cli(tmp_path / "home", "ingest", "arxiv-kaggle", str(snapshot))
    shown = cli(tmp_path / "home", "show", "2401.00001").stdout
    assert shown.splitlines()[:2] == ["A bare paper", "id: 2401.00001"]  # no empty author line
    assert "None" not in shown and "categories" not in shown and "submitted" not in shown
    assert "arXiv: https://arxiv.org/abs/2401.00001" in shown and "PDF: https://arxiv.org/pdf/2401.00001" in shown
    assert shown.rstrip().endswith("Text.")


def test_export_bibtex_is_one_entry_per_paper_with_unique_keys(tmp_path: Path) -> None:
    import bibtexparser

    snapshot = tmp_path / "snapshot.json"
    records = [{"id": f"2401.{i:05d}", "title": "Same title", "abstract": "Text {odd"} for i in range(1, 4)]
    snapshot.write_text("".join(json.dumps(r) + "\n" for r in records))
    cli(tmp_path / "home", "ingest", "arxiv-kaggle", str(snapshot))
    library = bibtexparser.parse_string(cli(tmp_path / "home", "export", "--format", "bibtex").stdout)
    assert not library.failed_blocks
    assert len({e.key for e in library.entries}) == 3
    assert {e["eprint"] for e in library.entries} == {"2401.00001", "2401.00002", "2401.00003"}

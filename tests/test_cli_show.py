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

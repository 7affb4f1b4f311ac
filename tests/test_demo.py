"""The bundled demo corpus: loads fast and idempotently; its shipped vectors match the encoder."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from papersift.demo import PAPERS, VECTORS
from papersift.encoder.embed import load_encoder, paper_text
from tests.test_cli_catalog import cli


def test_shipped_vectors_match_the_encoder() -> None:
    with np.load(VECTORS, allow_pickle=False) as data:
        ids = [str(x) for x in data["ids"]]
        vectors = np.asarray(data["vectors"], dtype=np.float32)
        assert str(data["model"]) == "minilm-int8"
    papers = {}
    with gzip.open(PAPERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            papers[d["id"]] = d
    assert set(ids) == set(papers) and len(ids) > 3000
    sample = ids[:: len(ids) // 24][:24]
    encoder = load_encoder("minilm-int8")
    fresh = encoder.encode([paper_text(papers[i]["title"], papers[i]["abstract"]) for i in sample])
    shipped = vectors[[ids.index(i) for i in sample]]
    cosines = np.sum(fresh * shipped, axis=1) / np.linalg.norm(shipped, axis=1)
    assert cosines.min() > 0.99, cosines


def test_demo_load_is_idempotent_and_searchable(tmp_path: Path) -> None:
    cli(tmp_path, "demo", "load")
    stats = json.loads(cli(tmp_path, "stats", "--json").stdout)
    assert stats["papers"] > 3000
    proc = cli(tmp_path, "demo", "load")
    assert "(0 new)" in proc.stderr and "0 papers (lexical), 0 (dense)" in proc.stderr.replace("\n", " ")
    out = json.loads(cli(tmp_path, "search", "long video understanding", "--limit", "3", "--json").stdout)
    assert len(out["results"]) == 3 and "semantic index not built" not in proc.stderr
    assert any("video" in r["title"].lower() for r in out["results"])

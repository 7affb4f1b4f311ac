"""Kaggle arXiv snapshot on the real 168-line sample, and damaged variants of it."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from papersift.paper import Version, normalize_text
from tests.sources._util import run, truncated_gzip

SAMPLE = "arxiv-kaggle-sample/arxiv-metadata-oai-snapshot.sample.json"


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> Path:
    return shared_data / SAMPLE


def test_every_real_record_is_read(sample: Path) -> None:
    result = run("arxiv-kaggle", sample)
    assert len(result.papers) == 168 and result.errors == []
    assert len(result.by_id()) == 168


def test_fields_of_0704_0001(sample: Path) -> None:
    paper = run("arxiv-kaggle", sample).by_id()["0704.0001"]
    assert paper.title == ("Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.versions == [Version(1, date(2007, 4, 2)), Version(2, date(2007, 7, 24))]
    assert (paper.submitted, paper.updated) == (date(2007, 4, 2), date(2007, 7, 24))
    assert paper.doi == "10.1103/physrevd.76.013009" and paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.categories == ["hep-ph"] and paper.primary_category == "hep-ph"
    assert paper.sources == ["arxiv-kaggle"]
    assert paper.raw_abstract is not None and paper.raw_abstract.startswith("  A fully differential")
    assert paper.abstract.startswith("A fully differential calculation")


def test_matches_the_beir_form_derived_from_the_same_lines(sample: Path, shared_data: Path) -> None:
    papers = run("arxiv-kaggle", sample).by_id()
    with gzip.open(shared_data / "arxiv-kaggle-sample/corpus.jsonl.gz", "rt", encoding="utf-8") as corpus:
        expected = [json.loads(line) for line in corpus]
    assert len(expected) == 168
    for doc in expected:
        paper = papers[doc["_id"]]
        assert paper.title == normalize_text(doc["title"])
        assert paper.abstract == normalize_text(doc["text"])
        assert paper.authors == [normalize_text(a) for a in doc["authors"]]
        assert paper.submitted == date.fromisoformat(doc["date"])


def _lines(sample: Path, n: int) -> list[bytes]:
    return sample.read_bytes().splitlines(keepends=True)[:n]


def test_bad_lines_cost_only_themselves(sample: Path, tmp_path: Path) -> None:
    good = _lines(sample, 3)
    no_title = json.loads(good[2])
    no_title["title"] = "  "
    path = tmp_path / "mixed.json"
    path.write_bytes(
        good[0]
        + b'{"id": "0704.9999", "title": \n'
        + good[1]
        + "caf\xe9 not utf-8\n".encode("latin-1")
        + json.dumps(no_title).encode()
        + b"\n"
        + b'{"id": "0704.0003", "title": "T", "versions": [{"version": "vX"}]}\n'
        + b'{"id": "0704.0004", "title": "T","versions": [{"version": 1, "created": "no"}]}\n'
        + b"[1, 2]\n\n"
        + good[0]
    )
    result = run("arxiv-kaggle", path)
    assert [p.id for p in result.papers] == ["0704.0001", "0704.0002", "0704.0001"]
    assert [(e.where, e.message.split(" (")[0]) for e in result.errors] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:4", "not valid UTF-8"),
        (f"{path}:5", "missing title"),
        (f"{path}:6", "invalid version label 'vX'"),
        (f"{path}:7", "unrecognised date 'no'"),
        (f"{path}:8", "expected a JSON object, got list"),
    ]


def test_gzipped_and_truncated(sample: Path, tmp_path: Path) -> None:
    whole = tmp_path / "snapshot.json.gz"
    whole.write_bytes(gzip.compress(sample.read_bytes()))
    assert len(run("arxiv-kaggle", whole).papers) == 168
    cut = truncated_gzip(sample.read_bytes(), tmp_path / "cut.json.gz", keep=0.5)
    result = run("arxiv-kaggle", cut)
    assert 20 < len(result.papers) < 168
    in_order = [p.id for p in run("arxiv-kaggle", sample).papers]
    assert [p.id for p in result.papers] == in_order[: len(result.papers)]
    assert len(result.errors) == 1 and "truncated" in result.errors[0].message
    assert str(cut) in result.errors[0].where


def test_since_drops_papers_whose_latest_version_is_older(sample: Path) -> None:
    everything = run("arxiv-kaggle", sample).papers
    recent = run("arxiv-kaggle", sample, since=date(2008, 1, 1)).papers
    assert 0 < len(recent) < len(everything)
    assert all(p.updated and p.updated >= date(2008, 1, 1) for p in recent)

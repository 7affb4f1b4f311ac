"""Generic JSON lines and CSV: lossless export round trip, field mapping, damaged rows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from papersift.sources.base import SourceError
from tests.sources._util import run


def _real_papers(shared_data: Path) -> list:
    """Papers from several real sources, covering versions, popularity, links and raw text."""
    kaggle = shared_data / "arxiv-kaggle-sample/arxiv-metadata-oai-snapshot.sample.json"
    return (
        run("arxiv-kaggle", kaggle).papers
        + run("hf-daily", shared_data / "hf-daily-papers/raw/2025-07-09.json").papers
        + run("beir", shared_data / "nfcorpus-preprocessed/corpus.jsonl").papers[:50]
    )


def test_export_lines_round_trip_losslessly(shared_data: Path, tmp_path: Path) -> None:
    papers = _real_papers(shared_data)
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(p.to_dict()) + "\n" for p in papers).encode()))
    back = run("jsonl", path)
    assert back.errors == [] and back.papers == papers
    assert {s for p in back.papers for s in p.sources} == {"arxiv-kaggle", "hf-daily", "beir"}


def test_beir_style_lines_and_field_map(tmp_path: Path) -> None:
    path = tmp_path / "mine" / "papers.jsonl"
    path.parent.mkdir()
    path.write_text(
        json.dumps({"_id": "2101.00001v2", "title": "A", "text": "x", "authors": "Ann Lee and Bo Chen"})
        + "\n"
        + json.dumps(
            {
                "id": "p7",
                "Headline": "Mapped title",
                "Summary": "s",
                "categories": "cs.IR cs.DL",
                "doi": "https://doi.org/10.1000/XYZ",
            }
        )
        + "\n"
    )
    plain = run("jsonl", path).by_id()
    assert plain["2101.00001"].authors == ["Ann Lee", "Bo Chen"] and plain["2101.00001"].latest_version == 2
    mapped = run("jsonl", path, options={"map": "title:Headline,abstract:Summary"})
    paper = mapped.by_id()["mine:p7"]
    assert (paper.title, paper.abstract, paper.categories, paper.doi) == (
        "Mapped title",
        "s",
        ["cs.IR", "cs.DL"],
        "10.1000/xyz",
    )
    with pytest.raises(SourceError, match="bad map entry"):
        run("jsonl", path, options={"map": "headline:Headline"})


def test_csv_with_quoted_multiline_cells_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "list" / "list.csv"
    path.parent.mkdir()
    path.write_bytes(
        b"id,Title,abstract,authors,categories,date\n"
        b'0704.0001,"Diphoton, prompt","two\nlines",Bal\xc3\xa1zs C.; Berger E.,hep-ph,2007-04-02\n'
        b"x1,,no title here but text,,,\n"
        + "x2,Caf\xe9,latin-1 row,,,\n".encode("latin-1")
        + b"x3,Bad date,t,,,sometime\n"
        b"x4,Too many,t,,,2020,extra\n"
        b'x5,Last,t,"Doe, J.; Roe, R.",cs.DL,2020-05\n'
    )
    result = run("csv", path, options={"map": "title:Title"})
    papers = result.by_id()
    assert list(papers) == ["0704.0001", "list:x5"]  # x1 has no title: rejected, not guessed
    first = papers["0704.0001"]
    assert (first.title, first.abstract, first.authors) == ("Diphoton, prompt", "two lines", ["Balázs C.", "Berger E."])
    assert papers["list:x5"].authors == ["Doe, J.", "Roe, R."]
    assert [(e.where.rsplit("/", 1)[1], e.message.split(" (")[0]) for e in result.errors] == [
        ("list.csv:4", "missing title"),
        ("list.csv:5", "not valid UTF-8"),
        ("list.csv:6", "unrecognised date 'sometime'"),
        ("list.csv:7", "1 more cells than header columns"),
    ]


def test_tsv_delimiter_option(tmp_path: Path) -> None:
    path = tmp_path / "list.tsv"
    path.write_text("title\tabstract\nA, with comma\tB\n")
    assert [p.title for p in run("csv", path, options={"delimiter": "tab"}).papers] == ["A, with comma"]
    with pytest.raises(SourceError, match="delimiter"):
        run("csv", path, options={"delimiter": "::"})

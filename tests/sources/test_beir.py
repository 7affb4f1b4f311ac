"""BEIR corpora: the shared IR test collections and arXiv-derived corpora, ids mapped back for qrels."""

from __future__ import annotations

import csv
import functools
import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from papersift.paper import Popularity, Version
from papersift.sources.beir import beir_id
from tests.sources._util import Run, run


@functools.cache
def corpus(path: Path) -> Run:
    """Each shared corpus is read once per session, however many tests look at it."""
    return run("beir", path)


@pytest.mark.parametrize(
    ("collection", "papers", "errors"),
    [
        ("scifact/corpus.jsonl", 5183, 0),
        ("nfcorpus-preprocessed/corpus.jsonl", 3395, 0),
        ("cacm/corpus.jsonl", 3204, 0),
        ("cisi/corpus.jsonl", 1460, 0),
        ("cranfield/corpus.jsonl", 1398, 2),  # two documents are empty: no title, no text
        ("arxiv-abs/corpus.jsonl.gz", 918, 0),
        ("arxiv-kaggle-sample/corpus.jsonl.gz", 168, 0),
        ("hf-daily-papers/corpus.jsonl.gz", 7889, 0),
    ],
)
def test_counts_on_the_shared_corpora(shared_data: Path, collection: str, papers: int, errors: int) -> None:
    result = corpus(shared_data / collection)
    assert (len(result.papers), len(result.errors)) == (papers, errors)
    assert len(result.by_id()) == papers
    assert all(p.sources == ["beir"] for p in result.papers)


def test_every_qrels_document_maps_to_an_ingested_id(shared_data: Path) -> None:
    for collection in ("scifact", "cacm", "cisi", "nfcorpus-preprocessed"):
        ids = set(corpus(shared_data / collection / "corpus.jsonl").by_id())
        with (shared_data / collection / "qrels/test.tsv").open() as f:
            judged = {row["corpus-id"] for row in csv.DictReader(f, delimiter="\t")}
        assert judged and {beir_id(collection, doc) for doc in judged} <= ids, collection


def test_non_arxiv_ids_are_prefixed_and_untitled_documents_kept(shared_data: Path) -> None:
    scifact = corpus(shared_data / "scifact/corpus.jsonl").by_id()
    assert scifact["scifact:4983"].title.startswith("Microstructural development of human newborn")
    nf = corpus(shared_data / "nfcorpus-preprocessed/corpus.jsonl").by_id()
    med10 = nf["nfcorpus-preprocessed:MED-10"]
    assert med10.title == (
        "statin breast cancer survival nationwide cohort study finland abstract recent studies suggested …"
    )
    assert med10.raw_title == ""  # marks a title derived from the text
    named = run("beir", shared_data / "scifact/corpus.jsonl", options={"collection": "sf"})
    assert "sf:4983" in named.by_id() and len(named.papers) == 5183


def test_extra_fields_of_the_cacm_corpus(shared_data: Path) -> None:
    paper = corpus(shared_data / "cacm/corpus.jsonl").by_id()["cacm:1"]
    assert paper.title == "Preliminary Report-International Algebraic Language"
    assert paper.authors == ["Perlis, A. J.", "Samelson,K."]
    assert paper.submitted == date(1958, 12, 1) and paper.journal_ref == "CACM December, 1958"


def test_arxiv_corpora_keep_versions_and_popularity(shared_data: Path) -> None:
    abs_paper = corpus(shared_data / "arxiv-abs/corpus.jsonl.gz").by_id()["hep-th/9901001"]
    assert abs_paper.versions == [
        Version(1, date(1999, 1, 1)),
        Version(2, date(1999, 1, 5)),
        Version(3, date(1999, 5, 10)),
    ]
    assert (abs_paper.submitted, abs_paper.updated) == (date(1999, 1, 1), date(1999, 5, 10))
    hf = corpus(shared_data / "hf-daily-papers/corpus.jsonl.gz").by_id()["2405.15738"]
    assert (hf.submitted, hf.announced) == (date(2024, 5, 24), date(2024, 5, 27))
    assert hf.popularity == [Popularity("hf-daily", date(2024, 5, 27), upvotes=32, comments=3)]


def test_daily_listing_corpus_dates_are_announcements(shared_data: Path, tmp_path: Path) -> None:
    head = tmp_path / "arxiv-daily-cs" / "corpus.jsonl"
    head.parent.mkdir()
    with gzip.open(shared_data / "arxiv-daily-cs/corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(300)]
    head.write_text("".join(lines))
    papers = run("beir", head).by_id()
    first = json.loads(lines[0])
    paper = papers[first["_id"]]
    assert paper.announced == date.fromisoformat(first["date"]) and paper.submitted is None
    assert paper.primary_category == first["primary_category"] and len(papers) == 300


def test_cut_real_gzip_corpus_keeps_the_records_before_the_cut(shared_data: Path, tmp_path: Path) -> None:
    real = shared_data / "hf-daily-papers/corpus.jsonl.gz"
    cut = tmp_path / "hf" / "corpus.jsonl.gz"
    cut.parent.mkdir()
    cut.write_bytes(real.read_bytes()[: real.stat().st_size // 10])
    result = run("beir", cut)
    whole = [p.id for p in corpus(real).papers]
    assert 100 < len(result.papers) < len(whole)
    assert [p.id for p in result.papers] == whole[: len(result.papers)]
    assert len(result.errors) == 1 and "truncated" in result.errors[0].message
    assert result.errors[0].where == f"{cut}:{len(result.papers) + 1}"

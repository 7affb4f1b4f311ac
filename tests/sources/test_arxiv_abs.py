"""arXiv `.abs` files: the real tarball checked against the corpus derived from the same files."""

from __future__ import annotations

import gzip
import json
import tarfile
from datetime import date
from pathlib import Path

import pytest

from papersift.paper import Version, normalize_text, parse_arxiv_id
from papersift.sources.arxiv_abs import parse_abs
from tests.sources._util import Run, run

TARBALL = "arxiv-abs/raw_abs_files.tar.gz"
# corpus.jsonl.gz cut these abstracts at a bare `\\` line inside TeX; the parser keeps them whole
CORPUS_TRUNCATED_ABSTRACTS = {"2004.02153", "2103.11058"}


@pytest.fixture(scope="module")
def tarball(shared_data: Path) -> Path:
    return shared_data / TARBALL


@pytest.fixture(scope="module")
def from_tar(tarball: Path) -> Run:
    return run("arxiv-abs", tarball)


@pytest.fixture(scope="module")
def corpus(shared_data: Path) -> list[dict]:
    with gzip.open(shared_data / "arxiv-abs/corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_every_file_in_the_tarball_is_a_paper(from_tar: Run) -> None:
    assert len(from_tar.papers) == 918 and from_tar.errors == []
    assert len(from_tar.by_id()) == 918
    assert all(p.sources == ["arxiv-abs"] for p in from_tar.papers)


def test_agrees_with_the_derived_corpus(from_tar: Run, corpus: list[dict]) -> None:
    papers = from_tar.by_id()
    for doc in corpus:
        paper = papers[parse_arxiv_id(doc["_id"]).id]  # type: ignore[union-attr]
        assert paper.title == normalize_text(doc["title"])
        assert [(v.version, v.date) for v in paper.versions] == [
            (int(v["version"][1:]), date.fromisoformat(v["date"])) for v in doc["versions"]
        ]
        assert paper.submitted == date.fromisoformat(doc["date"])
        assert paper.updated == date.fromisoformat(doc["updated"])
        assert paper.categories == doc["categories"]
        assert paper.license == doc["license"]
        if doc["_id"] in CORPUS_TRUNCATED_ABSTRACTS:
            assert paper.abstract.startswith(normalize_text(doc["text"]))
            assert len(paper.abstract) > len(normalize_text(doc["text"]))
        else:
            assert paper.abstract == normalize_text(doc["text"])


def test_old_style_id_with_three_versions(from_tar: Run) -> None:
    paper = from_tar.by_id()["hep-th/9901001"]
    assert paper.title == "String Junctions and Their Duals in Heterotic String Theory"
    assert paper.authors == ["Yosuke Imamura"]
    assert paper.versions == [Version(1, date(1999, 1, 1)), Version(2, date(1999, 1, 5)), Version(3, date(1999, 5, 10))]
    assert paper.latest_version == 3
    assert paper.doi == "10.1143/ptp.101.1155"
    assert paper.journal_ref == "Prog.Theor.Phys.101:1155-1164,1999"
    assert paper.comments == "13 pages + 4 eps figures, PTPTeX, typographical errors corrected"


def test_authors_tex_accents_affiliations_and_suffixes(from_tar: Run) -> None:
    papers = from_tar.by_id()
    assert papers["0704.0001"].authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    # affiliations in parentheses, spread over continuation lines, are not authors
    assert papers["0704.0025"].authors == ["A. S. Mishchenko", "N. Nagaosa"]
    assert papers["0704.0802"].authors == ["Caleb K. Lo", "Robert W. Heath, Jr.", "Sriram Vishwanath"]
    assert papers["astro-ph/0301632"].authors == ["Chris Blake", "Karl Glazebrook"]


def test_latin1_legacy_file_and_continued_fields(from_tar: Run) -> None:
    paper = from_tar.by_id()["1607.08199"]
    assert paper.journal_ref == "Épijournal de Géométrie Algébrique, Volume 1 (September 1, 2017) epiga:3255"
    assert paper.license == "http://creativecommons.org/licenses/by-sa/4.0/"
    assert paper.latest_version == 5 and paper.updated == date(2017, 4, 5)
    assert paper.authors[1] == "Emanuele Macrì"


def test_directory_tree_and_single_file(tarball: Path, tmp_path: Path) -> None:
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("ftp/hep-th/")]
        tar.extractall(tmp_path, members=members, filter="data")
    tree = run("arxiv-abs", tmp_path)
    assert len(tree.papers) == len(members) == 3 and tree.errors == []
    one = tmp_path / "ftp/hep-th/papers/9901/9901001.abs"
    assert [p.id for p in run("arxiv-abs", one).papers] == ["hep-th/9901001"]


def test_truncated_tarball_keeps_complete_members(tarball: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tarball.read_bytes()[: tarball.stat().st_size // 3])
    result = run("arxiv-abs", cut)
    assert 100 < len(result.papers) < 918
    assert len(result.errors) == 1 and "truncated" in result.errors[0].message


def test_broken_files_are_record_errors(tmp_path: Path) -> None:
    (tmp_path / "no-separators.abs").write_text("Title: nothing else\n")
    (tmp_path / "no-id.abs").write_text("\\\\\nTitle: T\nAuthors: A\n\\\\\n  text\n\\\\\n")
    (tmp_path / "no-title.abs").write_text("\\\\\narXiv:0704.0001\nAuthors: A\n\\\\\n  text\n\\\\\n")
    (tmp_path / "bad-date.abs").write_text("\\\\\narXiv:0704.0001\nDate: someday\nTitle: T\n\\\\\nx\n\\\\\n")
    result = run("arxiv-abs", tmp_path)
    assert result.papers == []
    assert sorted((Path(e.where).name, e.message.split(":")[0]) for e in result.errors) == [
        ("bad-date.abs", "unrecognised date 'someday'"),
        ("no-id.abs", "no 'arXiv"),
        ("no-separators.abs", "not an .abs record"),
        ("no-title.abs", "missing title"),
    ]


def test_short_version_date_lines() -> None:
    paper = parse_abs(
        "\\\\\narXiv:0704.0001\nDate: Mon, 2 Apr 2007 19:18:42 GMT (1kb)\n"
        "Date (v2): Tue, 24 Jul 2007 20:10:27 GMT (2kb)\nTitle: T\n\\\\\nA\n\\\\\n"
    )
    assert paper.versions == [Version(1, date(2007, 4, 2)), Version(2, date(2007, 7, 24))]


def test_parse_abs_minimal_record() -> None:
    paper = parse_abs(
        "\\\\\nPaper: math/0202001\nDate (revised v2): Fri, 1 Feb 2002 00:00:00 GMT\n"
        "Title: A\n  B\nAuthors: X and Y\n\\\\\n  Abs \\\\ tract\n\\\\\n"
    )
    assert (paper.id, paper.title, paper.authors, paper.abstract) == (
        "math/0202001",
        "A B",
        ["X", "Y"],
        "Abs \\\\ tract",
    )
    assert paper.versions == [Version(2, date(2002, 2, 1))] and paper.updated == date(2002, 2, 1)

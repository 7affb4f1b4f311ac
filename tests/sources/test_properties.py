"""Property tests: parsers fed arbitrary input only ever produce a Paper or a RecordError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from papersift.paper import Paper, parse_arxiv_id
from papersift.sources._arxiv import split_authors
from papersift.sources._common import convert
from papersift.sources._files import iter_lines
from papersift.sources.arxiv_abs import parse_abs
from papersift.sources.arxiv_kaggle import to_paper as kaggle_paper
from papersift.sources.base import RecordError

_KEYS = [
    "arXiv",
    "Paper",
    "From",
    "Date",
    "Date (revised v2)",
    "Date (v3)",
    "Title",
    "Authors",
    "Categories",
    "Comments",
    "Journal-ref",
    "DOI",
    "License",
    "Report-no",
    "MSC-class",
]
_abs_line = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(_KEYS), st.text(max_size=40)),
    st.just("\\\\"),
    st.text(max_size=40).map(lambda t: "  " + t),
    st.sampled_from(
        [
            "arXiv:0704.0001",
            "Paper: hep-th/9901001",
            "Date: Mon, 2 Apr 2007 19:18:42 GMT (1kb)",
            "Title: A title",
            "Authors: A. One (Univ), B. Two and C. Three, Jr.",
        ]
    ),
    st.text(max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_abs_line, max_size=25).map("\n".join))
def test_abs_parser_only_yields_paper_or_record_error(text: str) -> None:
    result = convert("f.abs", parse_abs, text)
    assert isinstance(result, Paper | RecordError)
    if isinstance(result, Paper):
        assert result.title and result.sources == ["arxiv-abs"]
        assert [v.version for v in result.versions] == sorted(v.version for v in result.versions)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_abs_parser_on_arbitrary_text(text: str) -> None:
    assert isinstance(convert("f.abs", parse_abs, text), Paper | RecordError)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_kaggle_keys = st.sampled_from(
    [
        "id",
        "title",
        "abstract",
        "authors",
        "authors_parsed",
        "versions",
        "doi",
        "categories",
        "comments",
        "journal-ref",
        "license",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_kaggle_keys, _json, max_size=8))
def test_kaggle_record_of_any_shape_is_paper_or_record_error(record: dict) -> None:
    assert isinstance(convert("s.json:1", kaggle_paper, record), Paper | RecordError)


def _well_nested(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return True


@given(st.text(max_size=200))
def test_split_authors_returns_clean_names(raw: str) -> None:
    names = split_authors(raw)
    assert all(n and n == n.strip() for n in names)
    if _well_nested(raw):  # affiliations in well-nested parentheses never leak into names
        assert all("(" not in n and ")" not in n for n in names)


@given(st.from_regex(r"\A(0[7-9]|1[0-9]|2[0-6])(0[1-9]|1[0-2])\.\d{5}\Z"), st.integers(1, 30))
def test_new_style_ids_with_versions_from_kaggle(arxiv_id: str, version: int) -> None:
    paper = kaggle_paper(
        {
            "id": f"{arxiv_id}v{version}",
            "title": "T",
            "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
        }
    )
    assert paper.id == arxiv_id == parse_arxiv_id(paper.id).id  # type: ignore[union-attr]
    assert {1, version} == {v.version for v in paper.versions}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=30).filter(lambda b: b"\n" not in b and b"\r" not in b), max_size=10))
def test_iter_lines_reports_every_line_once(tmp_path_factory: pytest.TempPathFactory, chunks: list[bytes]) -> None:
    path: Path = tmp_path_factory.mktemp("lines") / "x.txt"
    path.write_bytes(b"".join(c + b"\n" for c in chunks))
    assume(not path.read_bytes().startswith(b"\x1f\x8b"))  # that is a (corrupt) gzip: tested elsewhere
    items = list(iter_lines(path))
    numbers = [i[0] if isinstance(i, tuple) else int(i.where.rsplit(":", 1)[1]) for i in items]
    assert numbers == list(range(1, len(chunks) + 1))

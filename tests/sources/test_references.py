"""RIS and CSL-JSON: Zotero-style files read correctly, and export -> import returns the same papers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.paper import Paper, make_paper
from papersift.search.references import parse_references
from papersift.sources import RecordError, SourceContext, get_source
from papersift.sources.references import to_csl_json, to_ris

END = "ER  - "  # RIS ends a record with a tag whose value is empty (the trailing space is part of it)
ZOTERO_RIS = f"""TY  - PREPRINT
TI  - Attention Is All You Need
AU  - Vaswani, Ashish
AU  - Shazeer, Noam
AB  - The dominant sequence transduction models are based on complex recurrent networks.
DA  - 2017/06/12/
PY  - 2017
DO  - 10.48550/arXiv.1706.03762
UR  - http://arxiv.org/abs/1706.03762
AN  - arXiv:1706.03762
KW  - Computer Science - Computation and Language
KW  - cs.CL
{END}

TY  - JOUR
TI  - Deep learning
AU  - LeCun, Yann
AU  - Bengio, Yoshua
T2  - Nature
PY  - 2015
DO  - 10.1038/nature14539
{END}
"""

ZOTERO_CSL = [
    {
        "id": "http://zotero.org/users/1/items/ABCD",
        "type": "article",
        "title": "Attention Is All You Need",
        "author": [{"family": "Vaswani", "given": "Ashish"}, {"literal": "Google Brain"}],
        "issued": {"date-parts": [["2017", 6, 12]]},
        "number": "arXiv:1706.03762",
        "URL": "http://arxiv.org/abs/1706.03762",
        "abstract": "The dominant sequence transduction models.",
    },
    {"type": "article-journal", "title": "Deep learning", "container-title": "Nature", "DOI": "10.1038/nature14539"},
    {"type": "article", "author": [{"family": "NoTitle"}]},
]


def _read(fmt: str, path: Path) -> list[Paper | RecordError]:
    return [i for i in get_source(fmt)(str(path), SourceContext()) if isinstance(i, Paper | RecordError)]


def test_a_zotero_ris_export(tmp_path: Path) -> None:
    path = tmp_path / "library.ris"
    path.write_text(ZOTERO_RIS)
    attention, nature = _read("ris", path)
    assert isinstance(attention, Paper) and isinstance(nature, Paper)
    assert attention.id == "1706.03762" and attention.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert attention.submitted == date(2017, 6, 12) and attention.abstract.startswith("The dominant")
    assert attention.categories == ["cs.CL"]  # Zotero's subject tags are not arXiv categories
    assert nature.id == "doi:10.1038/nature14539" and nature.journal_ref == "Nature" and nature.work_date.year == 2015  # type: ignore[union-attr]


def test_a_zotero_csl_json_export(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    path.write_text(json.dumps(ZOTERO_CSL))
    attention, nature, broken = _read("csl-json", path)
    assert isinstance(attention, Paper) and attention.id == "1706.03762"
    assert attention.authors == ["Ashish Vaswani", "Google Brain"] and attention.submitted == date(2017, 6, 12)
    assert isinstance(nature, Paper) and nature.id == "doi:10.1038/nature14539" and nature.journal_ref == "Nature"
    assert isinstance(broken, RecordError) and "item 3" in broken.where


def test_broken_files_are_record_errors(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[{not json")
    assert isinstance(_read("csl-json", tmp_path / "a.json")[0], RecordError)


_word = st.text("abcdefghijklmnopqrstuvwxyzéüßABCXYZ0123456789", min_size=1, max_size=10)
_words = st.lists(_word, min_size=1, max_size=8).map(" ".join)


@st.composite
def papers(draw: st.DrawFn) -> Paper:
    arxiv = draw(st.booleans())
    number = draw(st.integers(10000, 99999))
    return make_paper(
        source="test",
        arxiv_id=f"2401.{number}" if arxiv else None,
        doi=None if arxiv else f"10.1234/x{number}",
        title=draw(_words),
        abstract=draw(st.one_of(st.just(""), _words)),
        authors=draw(st.lists(st.lists(_word, min_size=1, max_size=3).map(" ".join), max_size=4)),
        categories=draw(st.lists(st.sampled_from(["cs.CL", "cs.LG", "stat.ML", "q-bio.BM"]), unique=True, max_size=3)),
        submitted=draw(st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 12, 31)))),
        journal_ref=draw(st.one_of(st.none(), _words)),
    )


def _essence(p: Paper) -> tuple[object, ...]:
    return (p.id, p.title, p.abstract, p.authors, p.categories, p.doi, p.work_date, p.journal_ref)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(papers(), min_size=1, max_size=5, unique_by=lambda p: p.id))
def test_ris_and_csl_json_round_trip(tmp_path: Path, batch: list[Paper]) -> None:
    for fmt, write, name in (("ris", to_ris, "x.ris"), ("csl-json", to_csl_json, "x.json")):
        path = tmp_path / name
        path.write_text(write(batch), "utf-8")
        back = _read(fmt, path)
        assert [_essence(p) for p in back if isinstance(p, Paper)] == [_essence(p) for p in batch], fmt
        assert [_essence(p) for p in parse_references(write(batch)).papers] == [_essence(p) for p in batch], fmt

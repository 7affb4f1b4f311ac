"""Merge rules as properties: `settle` (the fast path for new papers) is exactly a self-merge."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.catalog.merge import merge_papers, same_paper, settle
from papersift.paper import Paper, Popularity, Version

_dates = st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
_words = st.text(alphabet="ab ", max_size=4)
_papers = st.builds(
    Paper,
    id=st.sampled_from(["2401.00001", "doi:10.1/x", "h:abc"]),
    title=_words,
    abstract=_words,
    authors=st.lists(_words, max_size=3),
    categories=st.lists(st.sampled_from(["cs.AI", "cs.CL", ""]), max_size=3),
    primary_category=st.none() | st.just("cs.AI"),
    submitted=_dates,
    updated=_dates,
    announced=_dates,
    versions=st.lists(st.builds(Version, st.integers(1, 3), _dates), max_size=4),
    doi=st.none() | st.just("10.1/x"),
    links=st.dictionaries(st.sampled_from(["abs", "pdf", "code"]), st.sampled_from(["u", "v", ""]), max_size=3),
    sources=st.lists(st.sampled_from(["beir", "hf-daily", "arxiv-oai"]), max_size=4),
    popularity=st.lists(
        st.builds(Popularity, st.sampled_from(["hf-daily", "x"]), _dates, st.none() | st.integers(0, 5)), max_size=4
    ),
    raw_title=st.none() | _words,
    raw_abstract=st.none() | _words,
)


@settings(max_examples=200)
@given(_papers)
def test_settle_is_a_self_merge(paper: Paper) -> None:
    expected = merge_papers(paper, paper)
    got = settle(paper)
    assert same_paper(got, expected)
    assert got == expected


@given(_papers)
def test_settled_paper_is_a_merge_fixpoint(paper: Paper) -> None:
    settled = settle(paper)
    assert same_paper(merge_papers(settled, settled), settled)

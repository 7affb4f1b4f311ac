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


# Hand-worked examples: the expected records are written out from the rules in merge.py's
# docstring, not computed by merge code (the properties above only relate merge to itself).
D = date


def _old() -> Paper:
    return Paper(
        id="2401.00001",
        title="Old title",
        authors=["Ada Lovelace"],
        categories=["cs.AI"],
        submitted=D(2024, 1, 2),
        announced=D(2024, 1, 3),
        versions=[Version(1, D(2024, 1, 2))],
        links={"abs": "https://old", "code": "https://code"},
        sources=["arxiv-oai"],
        popularity=[Popularity("hf-daily", D(2024, 1, 5), 3)],
    )


def _new() -> Paper:
    return Paper(
        id="2401.00001",
        title="New title",
        abstract="An abstract.",
        categories=["cs.CL"],
        announced=D(2024, 1, 4),
        versions=[Version(1), Version(2, D(2024, 2, 1))],
        doi="10.1/x",
        links={"abs": "https://new"},
        sources=["hf-daily", "arxiv-oai"],
        popularity=[Popularity("hf-daily", D(2024, 1, 6), 1), Popularity("hf-daily", D(2024, 1, 5), 7)],
    )


MERGED = Paper(
    id="2401.00001",
    title="New title",  # v2 beats v1: its non-empty scalars win...
    abstract="An abstract.",
    authors=["Ada Lovelace"],  # ...and the older record fills its blanks
    categories=["cs.CL"],
    submitted=D(2024, 1, 2),  # earliest submission
    updated=D(2024, 2, 1),  # latest version date
    announced=D(2024, 1, 3),  # earliest announcement
    versions=[Version(1, D(2024, 1, 2)), Version(2, D(2024, 2, 1))],  # a dated v1 beats an undated one
    doi="10.1/x",
    links={"abs": "https://new", "code": "https://code"},
    sources=["arxiv-oai", "hf-daily"],
    popularity=[Popularity("hf-daily", D(2024, 1, 5), 7), Popularity("hf-daily", D(2024, 1, 6), 1)],
)


def test_merge_worked_example() -> None:
    assert merge_papers(_old(), _new()) == MERGED


def test_merge_the_newer_version_wins_in_either_order() -> None:
    swapped = merge_papers(_new(), _old())
    assert (swapped.title, swapped.abstract, swapped.authors, swapped.categories, swapped.doi) == (
        "New title",
        "An abstract.",
        ["Ada Lovelace"],
        ["cs.CL"],
        "10.1/x",
    )
    assert swapped.links == {"abs": "https://new", "code": "https://code"}
    assert swapped.sources == ["hf-daily", "arxiv-oai"]  # union, in order of first appearance
    assert swapped.popularity == [Popularity("hf-daily", D(2024, 1, 5), 3), Popularity("hf-daily", D(2024, 1, 6), 1)]


def test_settle_worked_example() -> None:
    raw = Paper(
        id="2401.00002",
        title="T",
        versions=[Version(2, D(2024, 3, 1)), Version(1), Version(1, D(2024, 2, 1))],
        sources=["beir", "beir"],
        popularity=[Popularity("x", D(2024, 3, 2), 1), Popularity("x", D(2024, 3, 2), 2)],
    )
    settled = settle(raw)
    assert settled.versions == [Version(1, D(2024, 2, 1)), Version(2, D(2024, 3, 1))]
    assert (settled.submitted, settled.updated) == (D(2024, 2, 1), D(2024, 3, 1))
    assert settled.sources == ["beir"] and settled.popularity == [Popularity("x", D(2024, 3, 2), 2)]

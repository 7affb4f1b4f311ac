"""Catalog store on real SQLite and PostgreSQL databases: idempotency, versions, merging, change log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from papersift.catalog import Catalog
from papersift.paper import Paper, Popularity, Version, make_paper


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:
    cat = Catalog.open(database_url)
    yield cat
    cat.close()


def arxiv(pid: str = "2401.00001", version: int = 1, title: str = "Attention please", **kw: object) -> Paper:
    return make_paper(
        source=kw.pop("source", "test"),
        title=title,
        abstract=kw.pop("abstract", "An abstract."),
        arxiv_id=f"{pid}v{version}",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=kw.pop("categories", ["cs.CL", "cs.AI"]),
        versions=[Version(v, date(2024, 1, v)) for v in range(1, version + 1)],
        **kw,
    )


def test_insert_then_reingest_is_noop(catalog: Catalog) -> None:
    r1 = catalog.upsert([arxiv(), arxiv("2401.00002")])
    assert (r1.inserted, r1.updated) == (2, 0)
    seq = catalog.max_seq()
    r2 = catalog.upsert([arxiv(), arxiv("2401.00002")])
    assert (r2.inserted, r2.updated, r2.unchanged) == (0, 0, 2)
    assert catalog.max_seq() == seq


def test_newer_version_updates_and_keeps_history(catalog: Catalog) -> None:
    catalog.upsert([arxiv(version=1, title="Old title")])
    catalog.upsert([arxiv(version=3, title="New title")])
    p = catalog.get("2401.00001v1")
    assert p is not None and p.title == "New title"
    assert [v.version for v in p.versions] == [1, 2, 3]
    assert p.submitted == date(2024, 1, 1) and p.updated == date(2024, 1, 3)
    # an older version arriving later does not win
    catalog.upsert([arxiv(version=1, title="Old title")])
    assert catalog.get("2401.00001").title == "New title"


def test_two_sources_merge_into_one_record(catalog: Catalog) -> None:
    catalog.upsert([arxiv(source="arxiv-oai")])
    hf = make_paper(
        source="hf-daily",
        title="Attention please",
        arxiv_id="2401.00001",
        links={"code": "https://github.com/x/y"},
        popularity=[Popularity("hf-daily", date(2024, 1, 5), upvotes=42, comments=3)],
    )
    catalog.upsert([hf])
    assert catalog.count() == 1
    p = catalog.get("arXiv:2401.00001")
    assert p.sources == ["arxiv-oai", "hf-daily"]
    assert p.links["code"] == "https://github.com/x/y"
    assert p.popularity[0].upvotes == 42
    assert p.authors == ["Ada Lovelace", "Alan Turing"]  # hf record had none: kept


def test_doi_only_record_merges_into_arxiv_record(catalog: Catalog) -> None:
    catalog.upsert([arxiv(doi="10.1000/ABC")])
    bib = make_paper(source="bibtex", title="Attention please", doi="10.1000/abc", journal_ref="J. Stuff 1")
    assert bib.id == "doi:10.1000/abc"
    catalog.upsert([bib])
    assert catalog.count() == 1
    assert catalog.get("2401.00001").journal_ref == "J. Stuff 1"


def test_arxiv_record_absorbs_earlier_doi_record(catalog: Catalog) -> None:
    catalog.upsert([make_paper(source="bibtex", title="Attention please", doi="10.1000/abc")])
    catalog.upsert([arxiv(doi="10.1000/abc")])
    assert catalog.count() == 1
    assert catalog.get("doi:10.1000/abc").id == "2401.00001"  # follows the merge


def test_change_log_is_monotonic_and_incremental(catalog: Catalog) -> None:
    catalog.upsert([arxiv("2401.00001"), arxiv("2401.00002")])
    mark = catalog.max_seq()
    catalog.upsert([arxiv("2401.00003"), arxiv("2401.00001", version=2)])
    changes = catalog.changes_since(mark)
    assert [c.id for c in changes] == ["2401.00003", "2401.00001"]
    assert all(a.seq < b.seq for a, b in zip(changes, changes[1:], strict=False))
    assert catalog.delete("2401.00002")
    assert catalog.changes_since(changes[-1].seq)[0].deleted
    assert catalog.get("2401.00002") is None


def test_checkpoint_commits_with_batch(catalog: Catalog) -> None:
    catalog.upsert([arxiv()], checkpoint=("oai:x", "token-1"))
    assert catalog.checkpoints() == {"oai:x": "token-1"}
    catalog.upsert([], checkpoint=("oai:x", "token-2"))
    assert catalog.checkpoints() == {"oai:x": "token-2"}


def test_duplicates_within_one_batch(catalog: Catalog) -> None:
    r = catalog.upsert([arxiv(version=1), arxiv(version=2, title="v2")])
    assert r.inserted == 1 and catalog.get("2401.00001").title == "v2"


def test_stats_and_iteration(catalog: Catalog) -> None:
    catalog.upsert([arxiv(f"2401.0000{i}") for i in range(1, 6)])
    s = catalog.stats()
    assert s["papers"] == 5 and s["by_category"] == {"cs.CL": 5} and s["by_year"] == {"2024": 5}
    assert [p.id for p in catalog.iter_all(batch=2)] == [f"2401.0000{i}" for i in range(1, 6)]


def test_roundtrip_through_database_is_lossless(catalog: Catalog) -> None:
    p = arxiv(
        title="T\n  with  spaces", doi="10.1/x", popularity=[Popularity("hf-daily", date(2024, 1, 2), 5, None, 7)]
    )
    q = arxiv("2401.00002", comments="c", journal_ref="J", license="x", links={"code": "https://github.com/a/b"})
    catalog.upsert([p, q])
    assert catalog.get(p.id) == replace(p)
    assert catalog.get_many([q.id, p.id, "missing"]) == {p.id: catalog.get(p.id), q.id: catalog.get(q.id)}


def test_long_category_and_doi_are_stored(catalog: Catalog) -> None:
    """Real arXiv listings carry MSC class strings among the categories; PostgreSQL enforced 32 characters."""
    msc = "68T45 (Primary) 68T10, 68T07 (Secondary)"
    doi = "10.1000/" + "x" * 300
    catalog.upsert([arxiv(categories=["cs.CV", msc], doi=doi)])
    stored = catalog.get("2401.00001")
    assert stored is not None and msc in stored.categories and stored.doi == doi


def test_dates_and_categories_give_the_filter_metadata_of_get_many(catalog: Catalog) -> None:
    """The vector index's filter columns read only dates and categories; they must agree with
    the full rows (payload.meta_of is the one definition both go through)."""
    from papersift.index.payload import meta_of

    papers = [
        arxiv("2401.00001", primary_category="cs.LG"),
        arxiv("2401.00002", version=2, categories=["math.ST"]),
        replace(arxiv("2401.00003"), submitted=None, announced=date(2024, 5, 1)),
    ]
    catalog.upsert(papers)
    catalog.delete("2401.00002")
    ids = ["2401.00001", "2401.00002", "2401.00003", "missing"]
    full, slim = catalog.get_many(ids), catalog.dates_and_categories(ids)
    assert set(slim) == set(full) == {"2401.00001", "2401.00003"}
    assert {pid: meta_of(p) for pid, p in slim.items()} == {pid: meta_of(p) for pid, p in full.items()}

"""Ingest runs and removal on both catalog databases (SQLite and a real PostgreSQL server): what a run
delivered is recorded per batch, removal follows the rules of catalog/removal.py, removed papers are
tombstones in the change log, and a removed paper can be ingested again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from papersift.catalog import Catalog, UpsertResult
from papersift.catalog.removal import RemovalError, remove_papers, remove_runs, remove_source
from papersift.catalog.runs import finish_run, list_runs, start_run
from tests.catalog.test_store import arxiv


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:
    cat = Catalog.open(database_url)
    yield cat
    cat.close()


def _run(catalog: Catalog, *batches: list[str], version: int = 1, source: str = "test") -> int:
    run_id = start_run(catalog, "jsonl", ["x.jsonl"])
    total = UpsertResult()
    for batch in batches:
        total.add(catalog.upsert([arxiv(p, version=version, source=source) for p in batch], run_id=run_id))
    finish_run(catalog, run_id, sum(map(len, batches)), total, 0)
    return run_id


def test_removing_a_run_keeps_what_other_runs_delivered_and_says_what_it_changed(catalog: Catalog) -> None:
    first = _run(catalog, ["2401.00001", "2401.00002"], ["2401.00001", "2401.00003"])  # .00001 twice: still added
    second = _run(catalog, ["2401.00002", "2401.00004"])
    third = _run(catalog, ["2401.00003"], version=2)  # a newer version: the run updates a stored paper
    runs = {r.id: r for r in list_runs(catalog)}
    assert (runs[first].inserted, runs[first].unchanged, runs[second].inserted, runs[third].updated) == (3, 1, 1, 1)
    seq = catalog.max_seq()

    dry = remove_runs(catalog, [first], dry_run=True)
    assert dry.removed == ["2401.00001"] and dry.kept_shared == ["2401.00002", "2401.00003"]
    assert catalog.max_seq() == seq and catalog.count() == 4

    plan = remove_runs(catalog, [third])
    assert plan.removed == [] and plan.changed_kept == ["2401.00003"]  # kept, with its v2 (said, not undone)
    # a removed run no longer counts as having delivered anything: .00003 now came from the first run only
    done = remove_runs(catalog, [first])
    assert done.removed == ["2401.00001", "2401.00003"] and done.kept_shared == ["2401.00002"]
    assert catalog.get("2401.00001") is None and catalog.count() == 2
    tombstones = [c for c in catalog.changes_since(seq) if c.deleted]
    assert [c.id for c in tombstones] == ["2401.00001", "2401.00003"]
    with pytest.raises(RemovalError, match="already removed"):
        remove_runs(catalog, [first])
    with pytest.raises(RemovalError, match="no ingest run 999"):
        remove_runs(catalog, [999])
    # the second run is now the only one that brought .00002: removing it takes it out
    assert remove_runs(catalog, [second]).removed == ["2401.00002", "2401.00004"]


def test_removed_paper_comes_back_as_the_new_runs_addition(catalog: Catalog) -> None:
    _run(catalog, ["2401.00001", "2401.00002"])
    assert remove_papers(catalog, ["arXiv:2401.00001v1", "2401.09999"]).to_dict() == {
        "dry_run": False,
        "runs": [],
        "removed": ["2401.00001"],
        "kept_shared": [],
        "changed_kept": [],
        "not_found": ["2401.09999"],
    }
    again = _run(catalog, ["2401.00001", "2401.00002"])
    assert list_runs(catalog, [again])[0].inserted == 1
    paper = catalog.get("2401.00001")
    assert paper is not None and paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert remove_runs(catalog, [again]).removed == ["2401.00001"]


def test_remove_source_takes_only_papers_no_other_source_brought(catalog: Catalog) -> None:
    _run(catalog, ["2401.00001", "2401.00002"], source="a")
    _run(catalog, ["2401.00002", "2401.00003"], source="b")
    plan = remove_source(catalog, "a")
    assert plan.removed == ["2401.00001"] and plan.kept_shared == ["2401.00002"]
    assert sorted(p.id for p in catalog.iter_all()) == ["2401.00002", "2401.00003"]

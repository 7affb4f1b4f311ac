"""Paper ids up to MAX_PAPER_ID_CHARS on both catalog databases. PostgreSQL used to hold 64
characters per paper-id column, so one BEIR `_id` or long DOI of 65+ characters made it refuse
the whole ingest batch (10,000 papers) while SQLite stored it; now every id up to the limit is
stored on both, and a longer one is one rejected record with its location."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.catalog import Catalog
from papersift.ingest import ingest
from papersift.paper import MAX_PAPER_ID_CHARS, canonical_id
from papersift.sources import SourceContext


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:
    cat = Catalog.open(database_url)
    yield cat
    cat.close()


def test_ids_up_to_the_limit_are_stored_and_a_longer_one_is_one_rejected_record(
    catalog: Catalog, tmp_path: Path
) -> None:
    prefix = "corpus:"  # the BEIR source names a non-arXiv document `<collection>:<_id>`
    longest = "d" * (MAX_PAPER_ID_CHARS - len(prefix))
    docs = [
        {"_id": "short", "title": "A short id"},
        {"_id": "m" * 100, "title": "An id of a hundred characters"},
        {"_id": longest, "title": "An id exactly at the limit"},
        {"_id": longest + "x", "title": "An id one character too long"},
        {"_id": "after", "title": "The record after the long one"},
    ]
    path = tmp_path / "corpus" / "corpus.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    report = ingest(catalog, "beir", [str(path)], SourceContext())
    assert (report.written.inserted, report.rejected) == (4, 1)
    assert report.errors == [f"{path}:4: paper id longer than 200 characters (corpus:{'d' * 33}...): skipped"]
    stored = catalog.get_many([f"{prefix}{d['_id']}" for d in docs])
    assert sorted(p.title for p in stored.values()) == sorted(
        d["title"] for d in docs if d["title"] != docs[3]["title"]
    )


def test_a_doi_too_long_for_an_id_falls_back_to_the_title_hash() -> None:
    doi = "10.1234/" + "x" * MAX_PAPER_ID_CHARS
    assert canonical_id(None, doi, "A title", ["Ada Lovelace"]).startswith("h:")
    assert canonical_id(None, "10.1234/short", "A title", []) == "doi:10.1234/short"

"""Two ingests at once, on SQLite and on PostgreSQL: no lost merge, no error, and a change log an
indexer can follow without ever skipping a paper (numbers are handed out in commit order)."""

from __future__ import annotations

import threading
import time
from datetime import date

from papersift.catalog import Catalog
from papersift.catalog.store import create_engine_for
from papersift.paper import Paper, Version, make_paper

BATCHES, PER_BATCH = 12, 40


def paper(pid: str, source: str) -> Paper:
    return make_paper(
        source=source,
        title=f"Paper {pid}",
        abstract="An abstract.",
        arxiv_id=f"{pid}v1",
        authors=["Ada Lovelace"],
        categories=["cs.CL"],
        versions=[Version(1, date(2024, 1, 1))],
    )


def writer(url: str, source: str, prefix: str, errors: list[BaseException]) -> None:
    """One ingest (its own engine, like a second process): its own papers plus ones both ingests share."""
    catalog = Catalog(create_engine_for(url))
    try:
        for b in range(BATCHES):
            own = [paper(f"24{prefix}.{b:02d}{i:03d}", source) for i in range(PER_BATCH)]
            shared = [paper(f"2403.{b:02d}{i:03d}", source) for i in range(PER_BATCH // 4)]
            catalog.upsert(own + shared)
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        catalog.close()


def test_two_ingests_at_once(database_url: str) -> None:
    Catalog.open(database_url).close()  # schema first, as `papersift ingest` would have done
    reader = Catalog(create_engine_for(database_url))
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=writer, args=(database_url, s, p, errors)) for s, p in (("a", "01"), ("b", "02"))
    ]
    seen: set[str] = set()
    mark = 0
    for t in threads:
        t.start()
    while True:  # an indexer following the change log while both write
        running = any(t.is_alive() for t in threads)
        for change in reader.changes_since(mark, limit=50):
            seen.add(change.id)
            mark = change.seq
        if not running:
            break
        time.sleep(0.01)  # an indexer polls; a spinning loop would starve the writer threads of the GIL
    for change in reader.changes_since(mark, limit=10**6):
        seen.add(change.id)
    assert errors == []
    own = 2 * BATCHES * PER_BATCH
    shared = BATCHES * (PER_BATCH // 4)
    assert reader.count() == own + shared
    both = reader.get("2403.00000")
    assert both is not None and sorted(both.sources) == ["a", "b"]  # neither ingest's merge was lost
    assert all(
        sorted(p.sources) == ["a", "b"] for p in reader.get_many(f"2403.{b:02d}000" for b in range(BATCHES)).values()
    )
    assert len(seen) == own + shared  # the follower missed nothing
    seqs = [c.seq for c in reader.changes_since(0, limit=10**6)]
    assert len(seqs) == len(set(seqs))
    reader.close()

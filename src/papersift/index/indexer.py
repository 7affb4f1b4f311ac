"""Catch the indexes up with the catalog's change log, incrementally and resumably.

Lexical first (fast: thousands of papers a second), then dense (the encoder is the
bottleneck), so search works on new papers as soon as the lexical pass commits and semantic
ranking fills in as vectors arrive. Each index records the change-log position it has
absorbed only after its own data is durable, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from papersift.catalog import Catalog
from papersift.encoder.embed import Encoder, paper_text
from papersift.index.payload import meta_of
from papersift.index.protocols import IndexStore

LEXICAL_BATCH = 2000
DENSE_BATCH = 256
DENSE_SAVE_EVERY_S = 60.0  # bound the work a crash can lose without rewriting vectors constantly
SAVE_COST_SHARE = 0.05  # ...but never spend more than ~5% of the time saving (a 1M-vector save is seconds)


@dataclass
class IndexReport:
    lexical_indexed: int = 0
    dense_indexed: int = 0
    deleted: int = 0
    dense_pending: int = 0
    seconds: float = 0.0


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def index_lexical(catalog: Catalog, store: IndexStore, progress: Progress | None = None) -> tuple[int, int]:
    """Apply all catalog changes after the lexical checkpoint; returns (indexed, deleted)."""
    total = catalog.count_changes_since(store.state.lexical_seq)
    done = deleted = 0
    while changes := catalog.changes_since(store.state.lexical_seq, LEXICAL_BATCH):
        gone = [c.id for c in changes if c.deleted]
        papers = catalog.get_many(c.id for c in changes if not c.deleted)
        store.lexical.delete(gone)
        store.lexical.upsert(papers.values())
        store.lexical.commit()
        store.state.lexical_seq = changes[-1].seq
        store.save_state()
        done += len(changes)
        deleted += len(gone)
        if progress:
            progress("lexical", done, total)
    return done - deleted, deleted


def index_dense(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder,
    progress: Progress | None = None,
    batch_size: int = DENSE_BATCH,
    limit: int | None = None,
) -> int:
    """Embed papers changed after the dense checkpoint (at most `limit`); returns how many."""
    total = catalog.count_changes_since(store.state.dense_seq)
    if limit is not None:
        total = min(total, limit)
    done = 0
    last_save = time.monotonic()
    interval = DENSE_SAVE_EVERY_S
    dirty = False
    while done < total and (changes := catalog.changes_since(store.state.dense_seq, batch_size)):
        store.vectors.delete(c.id for c in changes if c.deleted)
        papers = catalog.get_many(c.id for c in changes if not c.deleted)
        if papers:
            ids = list(papers)
            vectors = encoder.encode([paper_text(p.title, p.abstract) for p in papers.values()], batch_size=32)
            store.vectors.upsert(ids, vectors, meta=[meta_of(p) for p in papers.values()])
        store.state.dense_seq = changes[-1].seq
        dirty = True
        done += len(changes)
        if progress:
            progress("dense", done, total)
        if time.monotonic() - last_save > interval:
            started = time.monotonic()
            _save_dense(store)  # also publishes the new vectors to running servers
            last_save, dirty = time.monotonic(), False
            interval = max(DENSE_SAVE_EVERY_S, (last_save - started) / SAVE_COST_SHARE)
    if dirty:
        _save_dense(store)
    return done


def _save_dense(store: IndexStore) -> None:
    store.vectors.save()  # vectors first, then the position they reflect
    store.save_state()


def run_indexer(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder | None,
    progress: Progress | None = None,
    dense_limit: int | None = None,
) -> IndexReport:
    """Lexical pass, then dense pass (skipped when `encoder` is None, e.g. `--lexical-only`)."""
    start = time.monotonic()
    report = IndexReport()
    report.lexical_indexed, report.deleted = index_lexical(catalog, store, progress)
    if encoder is not None:
        report.dense_indexed = index_dense(catalog, store, encoder, progress, limit=dense_limit)
    report.dense_pending = catalog.count_changes_since(store.state.dense_seq)
    report.seconds = time.monotonic() - start
    return report

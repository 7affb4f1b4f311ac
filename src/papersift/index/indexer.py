"""Catch the indexes up with the catalog's change log, incrementally and resumably.

Lexical first (fast: thousands of papers a second), then dense (the encoder is the
bottleneck), so search works on new papers as soon as the lexical pass commits and semantic
ranking fills in as vectors arrive. A large dense backlog first gets provisional vectors from
the static encoder (`encoder.static`, thousands a second, same space), which the full
encoder then replaces oldest first (D46). Each index records the change-log position it has
absorbed only after its own data is durable, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from papersift.catalog import Catalog
from papersift.encoder.embed import Encoder, paper_text
from papersift.encoder.static import StaticMiniLMEncoder
from papersift.index.payload import meta_of
from papersift.index.protocols import IndexStore

LEXICAL_BATCH = 10_000  # papers read from the catalog and added at a time (D48)
# papers per lexical commit: each commit is a segment, and a query pays per segment (a first build of 1M
# papers left 9 segments with 10k-paper commits, 3 with 100k ones: keyword step -8% CPU, D94)
LEXICAL_COMMIT_EVERY = 100_000
DENSE_BATCH = 256
PROVISIONAL_BATCH = 4096  # the static encoder is cheap: bigger batches amortise catalog reads and inserts
DENSE_SAVE_EVERY_S = 60.0  # bound the work a crash can lose without rewriting vectors constantly
# Below this many papers awaiting vectors the full encoder finishes in about a minute: no stand-ins.
PROVISIONAL_MIN_BACKLOG = 2000
CALIBRATION_PAPERS = 1000  # embedded in full first; the static map is refitted on them (D45)
CALIBRATION_FILE = "static-calibration.npz"
SAVE_COST_SHARE = 0.05  # ...but never spend more than ~5% of the time saving (a 1M-vector save is seconds)


@dataclass
class IndexReport:
    lexical_indexed: int = 0
    dense_indexed: int = 0
    deleted: int = 0
    dense_pending: int = 0
    provisional_indexed: int = 0  # papers given a static-encoder stand-in this run
    upgraded: int = 0  # provisional vectors replaced by the full encoder's this run
    provisional_pending: int = 0  # provisional vectors still awaiting the full encoder
    seconds: float = 0.0


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def index_lexical(catalog: Catalog, store: IndexStore, progress: Progress | None = None) -> tuple[int, int]:
    """Apply all catalog changes after the lexical checkpoint; returns (indexed, deleted).

    The checkpoint moves only with a commit, so a crash loses at most the uncommitted papers' work
    (up to LEXICAL_COMMIT_EVERY), which the next run redoes."""
    total = catalog.count_changes_since(store.state.lexical_seq)
    done = deleted = uncommitted = 0
    seq = store.state.lexical_seq
    while changes := catalog.changes_since(seq, LEXICAL_BATCH):
        gone = [c.id for c in changes if c.deleted]
        papers = catalog.get_many(c.id for c in changes if not c.deleted)
        store.lexical.delete(gone)
        store.lexical.upsert(papers.values())
        seq = changes[-1].seq
        uncommitted += len(changes)
        done += len(changes)
        deleted += len(gone)
        if uncommitted >= LEXICAL_COMMIT_EVERY:
            _commit_lexical(store, seq)
            uncommitted = 0
        if progress:
            progress("lexical", done, total)
    if uncommitted:
        _commit_lexical(store, seq)
    return done - deleted, deleted


def _commit_lexical(store: IndexStore, seq: int) -> None:
    """Publish the keyword index's pending writes, then record how far they reach."""
    store.lexical.commit()
    store.state.lexical_seq = seq
    store.save_state()


def index_dense(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder,
    progress: Progress | None = None,
    batch_size: int = DENSE_BATCH,
    limit: int | None = None,
    *,
    provisional: bool = False,
) -> int:
    """Embed papers changed after the dense checkpoint (at most `limit`); returns how many.

    With `provisional`, the vectors are marked as stand-ins for `upgrade_provisional` to replace."""
    total = catalog.count_changes_since(store.state.dense_seq)
    if limit is not None:
        total = min(total, limit)
    done = 0
    saver = _Saver(store)
    phase = "provisional" if provisional else "dense"
    while done < total and (changes := catalog.changes_since(store.state.dense_seq, min(batch_size, total - done))):
        store.vectors.delete(c.id for c in changes if c.deleted)
        papers = catalog.get_many(c.id for c in changes if not c.deleted)
        if papers:
            ids = list(papers)
            vectors = encoder.encode([paper_text(p.title, p.abstract) for p in papers.values()], batch_size=32)
            meta = [meta_of(p) for p in papers.values()]
            store.vectors.upsert(ids, vectors, meta=meta, provisional=provisional)
        store.state.dense_seq = changes[-1].seq
        done += len(changes)
        if progress:
            progress(phase, done, total)
        saver.changed()
    saver.flush()
    return done


def upgrade_provisional(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder,
    progress: Progress | None = None,
    batch_size: int = DENSE_BATCH,
    limit: int | None = None,
) -> int:
    """Replace provisional vectors by the full encoder's, oldest first (at most `limit`).

    The marks themselves are the work list, saved with each vector generation, so a killed run
    resumes with whatever is still provisional; no extra checkpoint can drift from the vectors.
    """
    total = store.vectors.provisional_count()
    if limit is not None:
        total = min(total, limit)
    done = 0
    saver = _Saver(store)
    while done < total and (ids := store.vectors.provisional_ids(min(batch_size, total - done))):
        papers = catalog.get_many(ids)
        store.vectors.delete(pid for pid in ids if pid not in papers)  # gone from the catalog meanwhile
        if papers:
            vectors = encoder.encode([paper_text(p.title, p.abstract) for p in papers.values()], batch_size=32)
            store.vectors.upsert(list(papers), vectors, meta=[meta_of(p) for p in papers.values()])
        done += len(ids)
        if progress:
            progress("upgrade", done, total)
        saver.changed()
    saver.flush()
    return done


class _Saver:
    """Publish vectors every DENSE_SAVE_EVERY_S at most, stretched so saving stays ~5% of the time."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.last = time.monotonic()
        self.interval = DENSE_SAVE_EVERY_S
        self.dirty = False

    def changed(self) -> None:
        self.dirty = True
        if time.monotonic() - self.last > self.interval:
            started = time.monotonic()
            _save_dense(self.store)  # also publishes the new vectors to running servers
            self.last, self.dirty = time.monotonic(), False
            self.interval = max(DENSE_SAVE_EVERY_S, (self.last - started) / SAVE_COST_SHARE)

    def flush(self) -> None:
        if self.dirty:
            _save_dense(self.store)
            self.dirty = False


def _save_dense(store: IndexStore) -> None:
    store.vectors.save()  # vectors first, then the position they reflect
    store.save_state()


def calibrate(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder,
    provisional: StaticMiniLMEncoder,
    progress: Progress | None = None,
) -> int:
    """Fit the static encoder's map to this home: embed the backlog's first CALIBRATION_PAPERS in
    full (ordinary full vectors, so nothing is wasted), refit on them, and keep the map beside the
    index so a resumed run continues with the same one. Returns how many papers were embedded."""
    path = store.dir / CALIBRATION_FILE
    if provisional.load_calibration(path):
        return 0
    sample = [c.id for c in catalog.changes_since(store.state.dense_seq, CALIBRATION_PAPERS) if not c.deleted]
    done = index_dense(catalog, store, encoder, progress, limit=CALIBRATION_PAPERS)
    papers = catalog.get_many(sample)
    pairs = [(p, v) for pid, p in papers.items() if (v := store.vectors.get(pid)) is not None]
    if pairs:  # nothing to calibrate on: keep the demo-fitted map, and do not pin it for later runs
        provisional.calibrate([paper_text(p.title, p.abstract) for p, _ in pairs], np.stack([v for _, v in pairs]))
        provisional.save_calibration(path)
    return done


def wants_provisional(catalog: Catalog, store: IndexStore) -> bool:
    """Whether the dense backlog is worth provisional vectors first (and the backend can mark them)."""
    if not store.vectors.supports_provisional:
        return False
    return catalog.count_changes_since(store.state.dense_seq) >= PROVISIONAL_MIN_BACKLOG


def run_indexer(
    catalog: Catalog,
    store: IndexStore,
    encoder: Encoder | None,
    progress: Progress | None = None,
    dense_limit: int | None = None,
    provisional: StaticMiniLMEncoder | None = None,
    upgrade_batch: int = DENSE_BATCH,
) -> IndexReport:
    """Lexical pass, then dense pass (skipped when `encoder` is None, e.g. `--lexical-only`).

    With a `provisional` encoder (the static one, same space as `encoder`), the dense pass
    first gives the whole backlog provisional vectors, then upgrades them with `encoder`."""
    start = time.monotonic()
    report = IndexReport()
    report.lexical_indexed, report.deleted = index_lexical(catalog, store, progress)
    if encoder is not None:
        if provisional is not None:
            report.dense_indexed = calibrate(catalog, store, encoder, provisional, progress)
            report.provisional_indexed = index_dense(
                catalog, store, provisional, progress, PROVISIONAL_BATCH, provisional=True
            )
        report.dense_indexed += index_dense(catalog, store, encoder, progress, limit=dense_limit)
        left = None if dense_limit is None else max(0, dense_limit - report.dense_indexed)
        report.upgraded = upgrade_provisional(catalog, store, encoder, progress, upgrade_batch, limit=left)
    report.dense_pending = catalog.count_changes_since(store.state.dense_seq)
    report.provisional_pending = store.vectors.provisional_count()
    report.seconds = time.monotonic() - start
    return report

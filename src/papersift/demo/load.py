"""Load the demo corpus into a home: ingest the papers, index them, reuse shipped vectors."""

from __future__ import annotations

import numpy as np

from papersift.context import AppContext
from papersift.demo import PAPERS, VECTORS
from papersift.index.payload import meta_of
from papersift.ingest import IngestReport, ingest
from papersift.sources import SourceContext


def load_demo_vectors(app_ctx: AppContext) -> int:
    """Put shipped vectors into the vector index; returns how many were used.

    The dense checkpoint advances only when every pending change is a demo paper we have a
    vector for; anything else is left for the normal indexer to embed.
    """
    with np.load(VECTORS, allow_pickle=False) as data:
        ids = [str(x) for x in data["ids"]]
        vectors = np.asarray(data["vectors"], dtype=np.float32)
        model = str(data["model"])
    store = app_ctx.indexes
    if model != app_ctx.encoder_name:
        return 0
    catalog = app_ctx.catalog
    present = catalog.get_many(ids)
    keep = [i for i, pid in enumerate(ids) if pid in present]
    store.vectors.upsert([ids[i] for i in keep], vectors[keep], meta=[meta_of(present[ids[i]]) for i in keep])
    pending = catalog.changes_since(store.state.dense_seq, limit=len(ids) + 1)
    if pending and len(pending) <= len(ids) and all(c.id in present and not c.deleted for c in pending):
        store.state.dense_seq = pending[-1].seq
    store.vectors.save()
    store.save_state()
    return len(keep)


def load_demo(app_ctx: AppContext) -> IngestReport:
    """Idempotent: re-running on a loaded home changes nothing."""
    return ingest(app_ctx.catalog, "jsonl", [str(PAPERS)], SourceContext())

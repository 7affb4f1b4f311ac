"""Bulk (re)embedding of the catalog on Ray Data: the dense backlog, encoded by a pool of workers.

Why Ray Data: the encoder is the indexing bottleneck (~45 abstracts/s per core), and a
one-off re-embed of a large catalog is an embarrassingly parallel map. Ray Data gives a
stateful actor pool (one loaded ONNX session per worker, reused across batches), the same
code in local mode and on a cluster, and no JVM (see docs/DECISIONS.md and
docs/distributed.md).

The driver keeps every piece of bookkeeping the in-process indexer has: it reads the change
log after `store.state.dense_seq` in chunks, ships only the texts to the workers, writes the
returned vectors with `store.vectors.upsert`, saves the vectors and only then advances the
checkpoint. A killed run therefore redoes at most one chunk, and a second run finds nothing.

Same vectors as `index_dense`: the int8 encoder's vectors depend on which texts share an
encode call (dynamic quantisation takes one activation range per batch), so the driver
cuts the change log into exactly the windows `index_dense` uses (`batch_size` changes each)
and each window is encoded by one `encoder.encode` call on a worker. The index is therefore
the same whichever engine, and however many workers, built it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from papersift.catalog import Catalog
from papersift.catalog.store import Change
from papersift.encoder.embed import load_encoder, paper_text
from papersift.encoder.onnx_build import cache_dir
from papersift.index.indexer import DENSE_BATCH, IndexReport, Progress, run_indexer
from papersift.index.payload import Meta, meta_of
from papersift.index.protocols import IndexStore

WINDOWS_PER_WORKER = 8  # per chunk: few enough to checkpoint often, enough to keep every worker busy
INSTALL_HINT = "pip install 'papersift[distributed]'  (or: pip install 'ray[data]==2.60.0')"


class RayUnavailableError(RuntimeError):
    """Ray Data is not installed; the message says how to install it."""


def import_ray() -> ModuleType:
    """`ray` with Ray Data, or a `RayUnavailableError` naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401  (the Data library is a separate extra of ray)
    except ImportError as exc:
        raise RayUnavailableError(f"the Ray engine needs Ray Data, which is not installed: {INSTALL_HINT}") from exc
    return ray


@dataclass(frozen=True)
class RayOptions:
    """How to run the distributed pass.

    `workers` actors each hold one encoder with `threads` onnxruntime threads: on CPUs, one
    thread per worker and one worker per core beats fewer, wider workers (no intra-op
    synchronisation). `address` joins an existing cluster ("auto" or "ray://host:10001");
    None starts a private local Ray instance for the duration of the run.
    """

    workers: int = 2
    threads: int = 1
    address: str | None = None
    batch_size: int = DENSE_BATCH

    def __post_init__(self) -> None:
        if self.workers < 1 or self.threads < 1 or self.batch_size < 1:
            raise ValueError("workers, threads and batch_size must all be >= 1")

    @property
    def chunk_size(self) -> int:
        """Changes per checkpoint: a whole number of encode windows, several per worker."""
        return self.batch_size * WINDOWS_PER_WORKER * self.workers


class EmbedWindow:
    """Ray Data UDF: one encoder per worker actor; each input row is one encode window.

    Rows arrive one at a time (`batch_size=1`) and fan out into one output row per paper,
    so the window boundaries chosen by the driver are exactly the encoder's call boundaries.
    """

    def __init__(self, encoder_name: str, threads: int) -> None:
        self.encoder = load_encoder(encoder_name, threads=threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        for window_ids, texts in zip(batch["ids"], batch["texts"], strict=True):
            ids.extend(str(x) for x in window_ids)
            vectors.append(self.encoder.encode([str(t) for t in texts], batch_size=32))
        return {"id": np.array(ids, dtype=object), "vector": np.concatenate(vectors)}


def start_local_ray(ray: ModuleType, num_cpus: int, attempts: int = 3) -> None:
    """`ray.init` of a private local instance, retried: Ray waits a fixed 30 s for its raylet to
    register and, now and then, the raylet never comes up ("The current node timed out during
    startup", no raylet log written); a second start works."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(
                address="local",
                num_cpus=num_cpus,
                include_dashboard=False,
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
            return
        except Exception as exc:
            if "timed out during startup" not in str(exc) or attempt == attempts:
                raise
            logging.getLogger(__name__).warning("Ray did not start (%s); retrying", exc)
            ray.shutdown()


@contextmanager
def ray_session(options: RayOptions) -> Iterator[ModuleType]:
    """Use the running Ray (a test fixture, a notebook), else start or join one and stop it after.

    A local instance is given at least `workers * threads` CPUs so that an explicit request
    for more workers than cores still runs (oversubscribed) instead of waiting forever.
    """
    ray = import_ray()
    # Per-dataset plan chatter and the "progress bars disabled" notice: the caller draws progress.
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    if ray.is_initialized():
        yield ray
        return
    if options.address is None:  # "local": always a private instance, never a `ray start` cluster by accident
        cpus = max(os.cpu_count() or 1, options.workers * options.threads)
        start_local_ray(ray, num_cpus=cpus)
    else:
        ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def _windows(catalog: Catalog, changes: list[Change], size: int) -> tuple[list[dict[str, list[str]]], dict[str, Meta]]:
    """The chunk cut into `index_dense`'s windows (each with its live papers' ids and texts),
    plus every live paper's filter columns, which stay in the driver for the upsert.

    `get_many` per window, as `index_dense` does, so even the text order inside a window
    (which decides how the encoder groups texts by length) is the same.
    """
    rows: list[dict[str, list[str]]] = []
    meta: dict[str, Meta] = {}
    for start in range(0, len(changes), size):
        papers = catalog.get_many(c.id for c in changes[start : start + size] if not c.deleted)
        if papers:
            rows.append({"ids": list(papers), "texts": [paper_text(p.title, p.abstract) for p in papers.values()]})
            meta.update((pid, meta_of(p)) for pid, p in papers.items())
    return rows, meta


def index_dense_ray(
    catalog: Catalog,
    store: IndexStore,
    options: RayOptions,
    progress: Progress | None = None,
) -> int:
    """Embed every change after the dense checkpoint on a Ray worker pool; returns how many.

    Counts changes (embedded plus deleted) like `index_dense`. Each chunk is durable before
    the next starts: vectors saved, then the checkpoint.
    """
    total = catalog.count_changes_since(store.state.dense_seq)
    if not total:
        return 0
    # Fail here, once, on an unknown encoder or a missing model package rather than in every
    # actor; this also builds the model cache the local workers then just open.
    load_encoder(store.encoder_name, threads=1)
    done = 0
    with ray_session(options) as ray:
        ray.data.DataContext.get_current().enable_progress_bars = False  # the caller draws its own
        # Bounded by the backlog seen at the start, like `index_dense`, so a concurrent ingest
        # cannot keep the run going forever; its papers are picked up by the next run.
        while done < total and (changes := catalog.changes_since(store.state.dense_seq, options.chunk_size)):
            gone = [c.id for c in changes if c.deleted]
            windows, meta = _windows(catalog, changes, options.batch_size)
            done += len(gone)
            if windows:
                for ids, vectors in _embed(ray, windows, store.encoder_name, options):
                    store.vectors.upsert(ids, vectors, meta=[meta[pid] for pid in ids])
                    done += len(ids)
                    if progress:
                        progress("dense", done, total)
            store.vectors.delete(gone)
            store.state.dense_seq = changes[-1].seq
            store.vectors.save()  # vectors first, then the position they reflect
            store.save_state()
            if progress:
                progress("dense", done, total)
    return done


def _embed(
    ray: ModuleType,
    windows: list[dict[str, list[str]]],
    encoder_name: str,
    options: RayOptions,
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, vectors) blocks as the workers finish them, in no particular order."""
    dataset = ray.data.from_items(windows, override_num_blocks=len(windows)).map_batches(
        EmbedWindow,
        fn_constructor_kwargs={"encoder_name": encoder_name, "threads": options.threads},
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=min(options.workers, len(windows))),
        num_cpus=options.threads,
        # Workers load the graph the driver's settings point at; on a cluster that path
        # must hold the built model on every node (docs/distributed.md).
        runtime_env={"env_vars": {"PAPERSIFT_MODEL_DIR": str(cache_dir())}},
    )
    for block in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        yield [str(x) for x in block["id"]], np.asarray(block["vector"], dtype=np.float32)


def run_indexer_ray(
    catalog: Catalog,
    store: IndexStore,
    options: RayOptions,
    progress: Progress | None = None,
) -> IndexReport:
    """`run_indexer` with the dense pass on Ray: lexical in this process (it is fast), then dense."""
    start = time.monotonic()
    report = run_indexer(catalog, store, None, progress)
    report.dense_indexed = index_dense_ray(catalog, store, options, progress)
    report.dense_pending = catalog.count_changes_since(store.state.dense_seq)
    report.seconds = time.monotonic() - start
    return report

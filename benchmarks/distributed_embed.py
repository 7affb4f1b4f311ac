#!/usr/bin/env python3
"""Papers/s of the dense indexing pass: in-process encoder vs Ray Data with 1, 2, ... workers.

    .venv/bin/python benchmarks/distributed_embed.py --papers 2000 --workers 1 2 [--threads 2] [--json]

Loads the first N papers of the bundled demo corpus into a temporary catalog, then embeds the
whole backlog into a fresh index once per engine: `index_dense` in this process with
`--threads` onnxruntime threads, and `index_dense_ray` with each worker count (one thread per
worker). Ray itself is started once before timing (its start-up is printed separately); each
timed Ray run includes starting its worker actors and loading one model per worker, as a real
`papersift index --workers N` does. The speed-up is relative to Ray with the first worker
count given. Every run's vectors are compared with the in-process ones (they must be equal).
Wall-clock numbers need an otherwise idle machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from papersift.catalog import Catalog
from papersift.demo import PAPERS
from papersift.encoder.embed import load_encoder
from papersift.index.distributed import RayOptions, import_ray, index_dense_ray
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.indexer import index_dense
from papersift.ingest import ingest
from papersift.sources import SourceContext


def load_catalog(directory: Path, n: int) -> Catalog:
    """A catalog of the first `n` demo papers."""
    corpus = directory / "papers.jsonl"
    with gzip.open(PAPERS, "rt", encoding="utf-8") as src:
        lines = list(itertools.islice(src, n))
    if len(lines) < n:
        sys.exit(f"--papers {n}: the demo corpus has only {len(lines)} papers")
    corpus.write_text("".join(lines), encoding="utf-8")
    catalog = Catalog.open(f"sqlite:///{directory / 'catalog.db'}")
    if not ingest(catalog, "jsonl", [str(corpus)], SourceContext()).ok:
        sys.exit("the demo corpus did not ingest cleanly")
    return catalog


def vectors_of(store: EmbeddedStore, ids: list[str]) -> np.ndarray:
    return np.stack([store.vectors.get(pid) for pid in ids])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=2000, help="papers to embed (demo corpus: up to 3,417)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray worker counts to time")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads of the in-process run")
    ap.add_argument("--encoder", default="minilm-int8", help="encoder name (as in settings)")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = ap.parse_args()

    ray = import_ray()
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as tmp:
        root = Path(tmp)
        catalog = load_catalog(root, args.papers)
        ids = sorted(catalog.get_many(c.id for c in catalog.changes_since(0, args.papers + 1)))

        local = EmbeddedStore(root / "local", args.encoder, 384)
        encoder = load_encoder(args.encoder, threads=args.threads)  # loaded before timing, like a warm process
        start = time.perf_counter()
        index_dense(catalog, local, encoder)
        seconds = time.perf_counter() - start
        runs.append(
            {
                "engine": "in-process",
                "workers": 1,
                "threads": args.threads,
                "seconds": round(seconds, 2),
                "papers_per_s": round(args.papers / seconds, 1),
            }
        )
        reference = vectors_of(local, ids)

        start = time.perf_counter()
        ray.init(
            address="local",
            num_cpus=max(os.cpu_count() or 1, *args.workers),
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
        ray_init_s = time.perf_counter() - start
        for workers in args.workers:
            store = EmbeddedStore(root / f"ray-{workers}", args.encoder, 384)
            start = time.perf_counter()
            index_dense_ray(catalog, store, RayOptions(workers=workers, threads=1))
            seconds = time.perf_counter() - start
            runs.append(
                {
                    "engine": "ray",
                    "workers": workers,
                    "threads": 1,
                    "seconds": round(seconds, 2),
                    "papers_per_s": round(args.papers / seconds, 1),
                    "max_abs_diff_vs_in_process": float(np.abs(vectors_of(store, ids) - reference).max()),
                }
            )
        ray.shutdown()
        catalog.close()

    base = next(r for r in runs if r["engine"] == "ray")
    for r in runs:
        r["speedup_vs_ray_first"] = round(float(base["seconds"]) / float(r["seconds"]), 2)
    result = {
        "papers": args.papers,
        "encoder": args.encoder,
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "ray_init_s": round(ray_init_s, 2),
        "runs": runs,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{args.papers:,} papers, {args.encoder}, {os.cpu_count()} CPUs, load {result['load_avg_1m']}, "
        f"Ray start-up {result['ray_init_s']} s (not in the runs)"
    )
    print(f"{'engine':<11} {'workers':>7} {'threads':>7} {'seconds':>8} {'papers/s':>9} {'speed-up':>9}  max|diff|")
    for r in runs:
        diff = r.get("max_abs_diff_vs_in_process", "")
        print(
            f"{r['engine']:<11} {r['workers']:>7} {r['threads']:>7} {r['seconds']:>8} {r['papers_per_s']:>9} "
            f"{r['speedup_vs_ray_first']:>8}x  {diff}"
        )


if __name__ == "__main__":
    main()

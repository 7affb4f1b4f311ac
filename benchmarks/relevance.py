#!/usr/bin/env python3
"""Relevance report: nDCG@10 / Recall@100 / MRR@10 of every ranking mode on every BEIR-layout
collection in ../shared/data, plus the fusion variants the hybrid default was chosen from.

    .venv/bin/python benchmarks/relevance.py [--shared ../shared/data] [--collections scifact,cacm]
        [--homes ~/.cache/papersift/bench-homes] [--out benchmarks/results/relevance.md]

Each collection is ingested and indexed once into its own home under --homes (embedding is
the slow part: ~45 docs/s), and later runs reuse it. Queries are the shared test queries
only; the held-out 30% is not here, so these figures are what we tuned on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import evaluate, load_collection
from papersift.index.indexer import run_indexer
from papersift.ingest import ingest
from papersift.query.syntax import plain_query
from papersift.sources import SourceContext

COLLECTIONS = ["scifact", "nfcorpus-preprocessed", "cacm", "cisi", "cranfield"]
VARIANTS = [  # (label, mode, fusion, alpha)
    ("lexical", "lexical", None, None),
    ("dense", "dense", None, None),
    ("hybrid (default)", "hybrid", None, None),
    ("hybrid rrf k=60", "hybrid", "rrf", None),
    ("hybrid convex a=0.3", "hybrid", "convex", 0.3),
    ("hybrid convex a=0.5", "hybrid", "convex", 0.5),
    ("hybrid convex a=0.7", "hybrid", "convex", 0.7),
]


def prepare(root: Path, home: Path) -> tuple[AppContext, object]:
    collection = load_collection(root)
    ctx = AppContext(load_settings(home))
    if ctx.catalog.count() == 0:
        ingest(ctx.catalog, "beir", [str(collection.corpus)], SourceContext(options={"collection": collection.name}))
    t0 = time.perf_counter()
    report = run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
    if report.dense_indexed:
        print(
            f"{collection.name}: embedded {report.dense_indexed} docs in {time.perf_counter() - t0:.0f}s",
            file=sys.stderr,
        )
    return ctx, collection


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--collections", default=",".join(COLLECTIONS))
    ap.add_argument("--homes", type=Path, default=Path("~/.cache/papersift/bench-homes").expanduser())
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [
        "| collection | queries | variant | nDCG@10 | Recall@100 | MRR@10 | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in args.collections.split(","):
        root = args.shared / name
        if not root.is_dir():
            print(f"skip {name}: {root} missing", file=sys.stderr)
            continue
        ctx, collection = prepare(root, args.homes / name)
        service = ctx.search
        default_fusion, default_alpha = service.fusion, service.alpha
        prefix = f"{collection.name}:"
        for label, mode, fusion, alpha in VARIANTS:
            service.fusion = fusion or default_fusion
            service.alpha = alpha if alpha is not None else default_alpha
            result = evaluate(
                collection,
                lambda t, m=mode, s=service: s.ranked(plain_query(t), m, depth=100),
                lambda pid, p=prefix: pid[len(p) :] if pid.startswith(p) else pid,
                mode,
                time.perf_counter,
            )
            d = result.to_dict()
            rows.append(
                f"| {name} | {result.queries} | {label} | {d['ndcg@10']:.4f} | {d['recall@100']:.4f} | "
                f"{d['mrr@10']:.4f} | {d['latency_p50_ms']} | {d['latency_p99_ms']} |"
            )
            print(rows[-1], file=sys.stderr)
        ctx.close()
    table = "\n".join(rows)
    print(table)
    if args.out:
        args.out.write_text(
            "# Relevance report\n\nCommand: `.venv/bin/python benchmarks/relevance.py "
            "--out benchmarks/results/relevance.md`\n\nMeasured on the shared test queries "
            "(the ones tuned on). Latency includes query embedding (cached per distinct "
            f"query text).\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

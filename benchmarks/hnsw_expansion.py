#!/usr/bin/env python3
"""Recall and cost of the served HNSW graph at several search expansions (docs/DECISIONS.md D92).

    PYTHONPATH=src .venv/bin/python benchmarks/hnsw_expansion.py HOME [--queries 200] [--expansions 64,128,256]

Opens HOME's vector index as `papersift serve` does, embeds title-phrase queries
(`scale.make_queries`, seed 21) with the home's encoder, and for k = 100 (a hybrid search's depth)
and k = 11 (similar papers) reports recall@k against usearch's exact scan of the same graph and
the CPU per graph search (one thread), each expansion in turn. The expansion is restored after.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import make_queries  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("home", type=Path)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--expansions", default="64,128,256")
    args = ap.parse_args()
    ctx = AppContext(load_settings(args.home))
    vectors = ctx.search.store.vectors
    graph = vectors._graph  # the benchmark reads the served graph itself, as no API needs to
    served = graph.expansion_search
    queries = [ctx.search.encoder.encode_query(q) for q in make_queries(args.shared, args.queries, seed=21)]
    print(f"{len(graph):,} vectors; served expansion {served}; {len(queries)} queries")
    for k in (100, 11):
        exact = [set(graph.search(q, k, exact=True, threads=1).keys.tolist()) for q in queries]
        for expansion in (int(e) for e in args.expansions.split(",")):
            graph.expansion_search = expansion
            cpu0 = time.process_time()
            found = [graph.search(q, k, threads=1) for q in queries]
            cpu_us = (time.process_time() - cpu0) / len(queries) * 1e6
            recall = np.mean([len(set(f.keys.tolist()) & e) / k for f, e in zip(found, exact, strict=True)])
            print(f"k={k:3d} expansion={expansion:4d}: recall@{k} {recall:.3f}, {cpu_us:,.0f} us CPU a search")
    graph.expansion_search = served
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Exact filtered scoring and `get_many` through the usearch block (D75) vs a pre-D75 slot matrix.

    PYTHONPATH=src .venv/bin/python benchmarks/vector_layout_latency.py --after DIR --before DIR [--rounds 10]

Both directories hold the same vectors (a copy of a home's `index/vectors`, one republished with
`benchmarks/vector_memory.py --vectors DIR --rewrite`). Runs interleave the two (A B, B A, ...)
so a busy machine slows both alike; each round is 200 stored papers' vectors x three filters
through `search_filtered` (the exact path when a filter allows few papers) and 20 `get_many` of
the 200 ids. Prints seconds per round for each and whether both gave identical results.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from papersift.index.embedded.vectors import HnswIndex
from papersift.query.syntax import parse

FILTERS = ("date:2021-03", "year:2019 cat:cs.CL", "cat:cs.CV year:2020")


def open_index(directory: Path) -> HnswIndex:
    manifest = json.loads((directory / "manifest.json").read_text())
    return HnswIndex.open(directory, int(manifest["dim"]), str(manifest["model"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--after", type=Path, required=True)
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    indexes = {"after": open_index(args.after), "before": open_index(args.before)}
    probe = np.random.default_rng(1).standard_normal(indexes["before"].dim).astype(np.float32)
    seeds = [pid for pid, _ in indexes["before"].search(probe / np.linalg.norm(probe), 200)]
    queries = [v for pid in seeds if (v := indexes["before"].get(pid)) is not None]
    filters = [parse(text).filters for text in FILTERS]
    seconds: dict[str, list[float]] = {"after": [], "before": []}
    answers: dict[str, object] = {}
    for rnd in range(args.rounds):
        for name in ("after", "before") if rnd % 2 == 0 else ("before", "after"):
            index = indexes[name]
            t0 = time.perf_counter()
            hits = [index.search_filtered(q, 20, f) for q in queries for f in filters]
            vectors = [index.get_many(seeds) for _ in range(20)]
            seconds[name].append(time.perf_counter() - t0)
            answers[name] = (hits, {pid: v.tobytes() for pid, v in vectors[0].items()})
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "median": medians,
                "ratio_after_before": medians["after"] / medians["before"],
                "identical": answers["after"] == answers["before"],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Private heap of one serving process, stage by stage (what each `serve` worker holds on its own).

    PYTHONPATH=src .venv/bin/python benchmarks/heap.py --home /work/scale-15/1000000/home [--queries 300]

Opens the home as a worker does (context, indexes, query encoder), then runs hybrid searches,
and prints the process's anonymous resident memory (`/proc/self/smaps_rollup`) after each stage
in MiB. Memory-mapped index pages are file-backed and shared between workers, so they are not in
these figures; with N workers the machine holds N times these figures plus the mapped pages once.
The queries are cut from the home's own titles, so no benchmark data is loaded into the heap.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext


def anonymous_mib() -> float:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no Anonymous line in /proc/self/smaps_rollup")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    figures = {"imports_mib": anonymous_mib()}
    ctx = AppContext(load_settings(args.home))
    ctx.indexes.lexical.doc_count()
    figures["indexes_mib"] = anonymous_mib()
    ctx.encoder.encode_query("warm up")
    figures["encoder_mib"] = anonymous_mib()
    ids = [pid for pid, _ in ctx.indexes.vectors.search(ctx.encoder.encode_query("a survey"), args.queries)]
    titles = [p.title for p in ctx.catalog.get_many(ids).values() if p.title]
    for title in titles:
        ctx.search.search(" ".join(title.split()[:5]), mode="hybrid", per_page=20)
    figures["after_searches_mib"] = anonymous_mib()
    figures["searches"] = len(titles)
    ctx.close()
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Where the keyword top-k's time goes, by the path each query takes, and what other plans would cost (D82).

    PYTHONPATH=src .venv/bin/python benchmarks/lexical_paths.py --home /work/scale-15/1000000/home [--queries 300]

For each of scale.py's title-phrase queries with more than PRUNE_POSTINGS postings, the path
`search_top` takes: `phrase` (a phrase keeps the estimate from being given: counted walk),
`plain` (the cost model expects no gain from pruning: uncounted walk) or `pruned`. Timed per query
on this thread's CPU, best of 3, the plans run in turn within each repetition:
- `served`: `TantivyIndex.search_top(parsed, k)` (top k, total, stored ids);
- `top_k`: `pruning.top_k` alone (no count, no ids); `forced`: the same with pruning forced;
- `walk`: the plain OR without the count;
- `phrases` (phrase path): counting each phrase clause alone, what an exact phrase frequency costs;
- `oracle` (plain path): the pruned pass given the true k-th score as theta, without theta's own
  pass: the most any theta strategy could save.
Record `uptime` with the figures: only ratios within one run mean anything under load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from papersift.evaluate.beir import percentile
from papersift.index.embedded import pruning
from papersift.index.embedded.lexical import PRUNE_POSTINGS, TantivyIndex
from papersift.index.embedded.lexical_schema import TITLE_BOOST
from papersift.query.syntax import parse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import make_queries  # noqa: E402


def _best_cpu(plans: dict[str, Callable[[], object]], repeats: int = 3) -> dict[str, float]:
    best = dict.fromkeys(plans, float("inf"))
    for _ in range(repeats):
        for name, fn in plans.items():
            c0 = time.thread_time()
            fn()
            best[name] = min(best[name], (time.thread_time() - c0) * 1000)
    return best


def run(index: TantivyIndex, queries: list[str], k: int) -> dict[str, dict[str, float]]:
    searcher = index._index.searcher()
    times: dict[str, list[dict[str, float]]] = defaultdict(list)
    for text in queries:
        parsed = parse(text)
        words = index.compiler.or_words(searcher, parsed, TITLE_BOOST)
        clauses = [c for word in words or [] for c in word]
        if not words or sum(c.doc_freq for c in clauses) <= PRUNE_POSTINGS:
            continue
        plain = index.compiler.query(parsed, TITLE_BOOST)
        plans: dict[str, Callable[[], object]] = {
            "served": lambda: index.search_top(parsed, k),  # noqa: B023
            "top_k": lambda: pruning.top_k(searcher, clauses, plain, k),  # noqa: B023
            "forced": lambda: pruning.top_k(searcher, clauses, plain, k, force=True),  # noqa: B023
            "walk": lambda: searcher.search(plain, k, count=False),  # noqa: B023
        }
        if pruning.estimated_matches(words, searcher.num_docs) is None:
            path = "phrase"
            phrases = [c.query for c in clauses if len(c.tokens) > 1]
            plans["phrases"] = lambda: [searcher.search(q, 1, count=True) for q in phrases]  # noqa: B023
        else:
            path = "pruned" if pruning.top_k(searcher, clauses, plain, k)[1].pruned else "plain"
            hits = searcher.search(plain, k, count=False).hits
            live = [c for c in clauses if c.doc_freq > 0]
            essential, skipped = pruning.split(live, float(hits[-1][0]) if len(hits) >= k else 0.0)
            if path == "plain" and essential and skipped:
                oracle = pruning.restricted(essential, skipped)
                plans["oracle"] = lambda: searcher.search(oracle, k, count=False)  # noqa: B023
        times[path].append(_best_cpu(plans))
    summary: dict[str, dict[str, float]] = {}
    for path, rows in sorted(times.items()):
        names = sorted({name for row in rows for name in row})
        summary[path] = {"queries": len(rows)}
        for name in names:
            values = [row[name] for row in rows if name in row]
            summary[path] |= {
                f"{name}_n": len(values),
                f"{name}_sum_ms": sum(values),
                f"{name}_p50_ms": percentile(values, 0.5),
                f"{name}_max_ms": max(values),
            }
        if path == "plain":  # the oracle against the walk on the same queries
            both = [row for row in rows if "oracle" in row]
            summary[path]["oracle_vs_walk_sum_ms"] = sum(row["walk"] for row in both)
            summary[path]["oracle_faster_by_20pct"] = sum(row["oracle"] < 0.8 * row["walk"] for row in both)
    summary["load"] = {"load_1min": os.getloadavg()[0]}
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100)
    args = ap.parse_args()
    index = TantivyIndex.open(args.home / "index" / "lexical", create=False)
    print(json.dumps(run(index, make_queries(args.shared, args.queries), args.depth), indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The keyword top-k step alone, plain walk vs MaxScore pruning (D71), A/B interleaved per query.

    PYTHONPATH=src .venv/bin/python benchmarks/lexical_pruning.py --home /work/scale-15/1000000/home \
        [--queries 300] [--depth 100] [--shared ../shared/data] [--json] [--hybrid]

Opens the home's lexical index read-only and, for each of scale.py's title-phrase queries (the
same seed, so the same queries as the scale table), runs A = the plain query with the exact count
(what a results page ran before D71: `searcher.search(query, k, count=True)`) and B = the pruned
top-k (`pruning.top_k`, its clause bounds and document-frequency reads included), alternating
which goes first, twice (ABAB or BABA), keeping each side's run with less CPU. Timed per query:
wall and this thread's CPU. Checked per query: B's top k
equal A's (ids, scores within 1e-4; a swap of papers tied at the k-th score is reported apart).
Also: the postings each walks (A: the sum of every clause's document frequency; B: of the
essential ones), and the estimated total against A's exact count. Timings are only comparable
within one run: record `uptime` with them. With `--hybrid`, the whole `SearchService.search`
(hybrid, page of 20) instead, pruning off and on, A/B the same way (see `hybrid`). Both only read
the home (`--hybrid` opens it as `papersift serve` would: SQLite may add its -wal/-shm files).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import percentile
from papersift.index.embedded import lexical, pruning
from papersift.index.embedded.lexical import PRUNE_POSTINGS, TantivyIndex
from papersift.index.embedded.lexical_schema import TITLE_BOOST
from papersift.query.syntax import parse
from papersift.search.types import SearchPage

T = TypeVar("T")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import make_queries  # noqa: E402


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    out = fn()
    return out, (time.perf_counter() - w0) * 1000, (time.thread_time() - c0) * 1000


def compare(index: TantivyIndex, text: str, depth: int, b_first: bool) -> dict[str, object]:
    """One query: A (exact count, full walk) and B (pruned, estimated total), timed in turn."""
    parsed = parse(text)
    timed: dict[str, tuple[object, float, float]] = {}
    order = (("b", index.search_top), ("a", index.search_counted)) if b_first else None
    for name, fn in 2 * (order or (("a", index.search_counted), ("b", index.search_top))):
        run = _timed(lambda fn=fn: fn(parsed, depth))  # type: ignore[misc]
        timed[name] = min(timed.get(name, run), run, key=lambda r: r[2])  # the less disturbed of two runs
    (a_hits, exact), a_ms, a_cpu = timed["a"]  # type: ignore[misc]
    (b_hits, about), b_ms, b_cpu = timed["b"]  # type: ignore[misc]
    searcher = index._index.searcher()  # what B walked, recomputed untimed
    words = index.compiler.or_words(searcher, parsed, TITLE_BOOST) or []
    clauses = [c for word in words for c in word]
    postings = sum(c.doc_freq for c in clauses)
    plan = None
    if postings > PRUNE_POSTINGS:
        plan = pruning.top_k(searcher, clauses, index.compiler.query(parsed, TITLE_BOOST), depth)[1]
    a_ids, b_ids = [pid for pid, _ in a_hits], [pid for pid, _ in b_hits]
    a_scores = dict(a_hits)
    return {
        "query": text,
        "a_ms": a_ms,
        "b_ms": b_ms,
        "a_cpu_ms": a_cpu,
        "b_cpu_ms": b_cpu,
        "same_ids": a_ids == b_ids,
        "same_set": set(a_ids) == set(b_ids),
        # largest score gap between the two lists, rank by rank and paper by paper
        "max_score_diff": max(
            [abs(x - y) for (_, x), (_, y) in zip(a_hits, b_hits, strict=True)]
            + [abs(a_scores[pid] - s) for pid, s in b_hits if pid in a_scores],
            default=0.0,
        ),
        "matches": exact,
        "reported": about.total,
        "estimated": not about.exact,
        "postings_all": postings,
        # exact: counted as before (phrases, +words, filters, few postings); pruned; walk: the plain
        # walk without the count (the cost model expected no gain from pruning)
        "path": "exact" if about.exact else "pruned" if plan and plan.pruned else "walk",
        "pruned": bool(plan and plan.pruned),
        "postings_walked": plan.walked if plan else postings,
        "passes": plan.passes if plan else 1,
        "theta": plan.theta if plan else 0.0,
    }


def run(home: Path, queries: list[str], depth: int) -> dict[str, object]:
    index = TantivyIndex.open(home / "index" / "lexical", create=False)
    rows = [compare(index, text, depth, b_first=i % 2 == 1) for i, text in enumerate(queries)]
    return {"rows": rows, "summary": summarise(rows)}


def ab_times(rows: list[dict]) -> dict[str, float]:
    """Wall p50/p99 and CPU mean/p50 of the old (a) and pruned (b) runs, query by query."""
    col = lambda key: [float(r[key]) for r in rows]  # noqa: E731
    times = {}
    for side in ("a", "b"):
        times |= {
            f"{side}_p50_ms": percentile(col(f"{side}_ms"), 0.5),
            f"{side}_p99_ms": percentile(col(f"{side}_ms"), 0.99),
            f"{side}_cpu_mean_ms": sum(col(f"{side}_cpu_ms")) / len(rows),
            f"{side}_cpu_p50_ms": percentile(col(f"{side}_cpu_ms"), 0.5),
        }
    return times


def hybrid(home: Path, queries: list[str]) -> dict[str, object]:
    """The whole hybrid search (page of 20: ranking, snippets, rows, facets, query embedding with
    the cache emptied) with pruning off (A: PRUNE_POSTINGS out of reach, i.e. the exact count and
    the full walk; it still reads the words' document frequencies, ~0.1 ms) and on (B), A/B
    interleaved per query as in `run`, keeping each side's less disturbed of two runs."""
    service = AppContext(load_settings(home)).search
    for text in queries[:10]:  # warm-up: open indexes, load the encoder, touch the hot pages
        service.search(text, mode="hybrid")
    on = lexical.PRUNE_POSTINGS
    rows = []
    for i, text in enumerate(queries):
        timed: dict[str, tuple[SearchPage, float, float]] = {}
        for name in 2 * (("a", "b") if i % 2 == 0 else ("b", "a")):
            lexical.PRUNE_POSTINGS = on if name == "b" else 10**12
            service._cache.clear()
            run = _timed(lambda: service.search(text, mode="hybrid", per_page=20))  # noqa: B023
            timed[name] = min(timed.get(name, run), run, key=lambda r: r[2])
        lexical.PRUNE_POSTINGS = on
        (a, a_ms, a_cpu), (b, b_ms, b_cpu) = timed["a"], timed["b"]
        rows.append(
            {
                "query": text,
                "a_ms": a_ms,
                "b_ms": b_ms,
                "a_cpu_ms": a_cpu,
                "b_cpu_ms": b_cpu,
                "same_page": [h.paper.id for h in a.hits] == [h.paper.id for h in b.hits],
                "a_total": a.total,
                "b_total": b.total,
                "b_estimated": not b.total_exact,
            }
        )
    col = lambda key: [float(r[key]) for r in rows]  # noqa: E731
    summary = {
        "queries": len(rows),
        **ab_times(rows),
        "a_cpu_p99_ms": percentile(col("a_cpu_ms"), 0.99),
        "b_cpu_p99_ms": percentile(col("b_cpu_ms"), 0.99),
        "same_page": sum(r["same_page"] for r in rows),
        "estimated_totals": sum(r["b_estimated"] for r in rows),
        "load_1min": os.getloadavg()[0],
    }
    return {"rows": rows, "summary": summary}


def summarise(rows: list[dict]) -> dict[str, float]:
    col = lambda key: [float(r[key]) for r in rows]  # noqa: E731
    est = [r for r in rows if r["estimated"]]
    errors = [abs(r["reported"] - r["matches"]) / max(r["matches"], 1) for r in est] or [0.0]
    return {
        "queries": len(rows),
        **ab_times(rows),
        "ratio_cpu_p50": percentile([r["b_cpu_ms"] / max(r["a_cpu_ms"], 1e-6) for r in rows], 0.5),
        "same_ids": sum(r["same_ids"] for r in rows),
        "same_set": sum(r["same_set"] for r in rows),
        "pruned": sum(r["pruned"] for r in rows),
        **{
            f"{path}_{side}_cpu_sum_ms": sum(r[f"{side}_cpu_ms"] for r in rows if r["path"] == path)
            for path in ("exact", "pruned", "walk")
            for side in ("a", "b")
        },
        **{f"{path}_queries": sum(r["path"] == path for r in rows) for path in ("exact", "pruned", "walk")},
        "estimated_totals": len(est),
        "max_score_diff": max(col("max_score_diff")),
        "postings_all_p50": percentile(col("postings_all"), 0.5),
        "postings_walked_p50": percentile(col("postings_walked"), 0.5),
        "matches_p50": percentile(col("matches"), 0.5),
        "estimate_error_p50": percentile(errors, 0.5),
        "estimate_error_p90": percentile(errors, 0.9),
        "estimate_error_max": max(errors),
        "estimate_signed_mean": sum((r["reported"] - r["matches"]) / max(r["matches"], 1) for r in est)
        / max(len(est), 1),
        "load_1min": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--json", action="store_true", help="print every query's row too")
    ap.add_argument("--hybrid", action="store_true", help="time the whole hybrid search instead (needs the full home)")
    args = ap.parse_args()
    queries = make_queries(args.shared, args.queries)
    result = hybrid(args.home, queries) if args.hybrid else run(args.home, queries, args.depth)
    print(json.dumps(result if args.json else result["summary"], indent=2))


if __name__ == "__main__":
    main()

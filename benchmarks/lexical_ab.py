#!/usr/bin/env python3
"""The keyword top-k step of two papersift versions, each on its own keyword index, interleaved per query.

    .venv/bin/python benchmarks/lexical_ab.py --a-src /tmp/head/src --a-index /tmp/old/lexical \
        --b-src src --b-index ~/home/index/lexical [--queries 300] [--depth 100] [--json]
    .venv/bin/python benchmarks/lexical_ab.py --a-src /tmp/head/src --b-src src --build 90000 [--rounds 2]

Why two processes: a schema change (D82: the `pairs` field) means the two sides are different source
trees on different indexes, which one interpreter cannot import together. Each side is a worker
process (`--worker`) that opens its index and answers one query at a time; the driver sends every
query to both, alternating which goes first, so both see the same load. Each worker times
`TantivyIndex.search_top(parsed, depth)` (the served keyword step: top k, the total, stored ids) on
its own thread CPU, best of `--repeats`, and reports its hits, its total and whether that total is an
estimate, with the exact count (`search_counted`, untimed). Checked per query: the same ids in the
same order with scores within 1e-4 (papers of equal score in another order, and a swap of papers
tied at the k-th score, are counted apart: see `_same`).
Reported: CPU mean/p50/p99 of each side, by the path B took (`exact`: counted; `about`: estimated),
and B's estimate error against the exact count (p50/p90/max). Record `uptime` with the figures.

`--build N`: the indexing cost instead. Each side's worker indexes the first N papers of the shared
arXiv collections (arxiv-daily-cs, then arxiv-quant-ph) into a scratch directory with
`TantivyIndex.upsert` + `commit` (the product's write path, one writer thread), in turns A, B, A, B
(B first on even rounds); reported per build: process CPU, wall, the index's bytes on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def worker(index_path: Path, depth: int, repeats: int) -> None:
    """Answer queries from stdin (one JSON string a line) with one JSON line each."""
    from papersift.index.embedded.lexical import TantivyIndex
    from papersift.query.syntax import parse

    index = TantivyIndex.open(index_path, create=False)
    for line in sys.stdin:
        parsed = parse(json.loads(line))
        best = float("inf")
        for _ in range(repeats):
            c0 = time.thread_time()
            hits, matches = index.search_top(parsed, depth)
            best = min(best, time.thread_time() - c0)
        exact = index.search_counted(parsed, 1)[1]
        out = {"cpu_ms": best * 1000, "hits": hits, "total": matches.total, "estimated": not matches.exact}
        print(json.dumps(out | {"count": exact}), flush=True)


def _papers(shared: Path, n: int) -> list:  # list[Paper]: the worker's papersift, imported late
    import gzip

    from papersift.paper import Paper

    papers = []
    for name in ("arxiv-daily-cs", "arxiv-quant-ph"):
        with gzip.open(shared / name / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                if len(papers) >= n:
                    return papers
                r = json.loads(line)
                papers.append(Paper(id=r["_id"], title=r["title"], abstract=r["text"], authors=r.get("authors") or []))
    return papers


def build_worker(shared: Path, n: int) -> None:
    """Index the first n papers into a scratch directory; print CPU, wall and size as one JSON line."""
    import shutil
    import tempfile

    from papersift.index.embedded.lexical import TantivyIndex

    papers = _papers(shared, n)
    path = Path(tempfile.mkdtemp(prefix="lexical-ab-"))
    try:
        c0, w0 = time.process_time(), time.perf_counter()
        index = TantivyIndex.open(path / "lexical")
        index.upsert(papers)
        index.commit()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        size = sum(f.stat().st_size for f in (path / "lexical").iterdir())
        print(json.dumps({"papers": len(papers), "cpu_s": cpu, "wall_s": wall, "bytes": size}), flush=True)
    finally:
        shutil.rmtree(path)


def builds(args: argparse.Namespace) -> dict[str, object]:
    runs: dict[str, list[dict]] = {"a": [], "b": []}
    for i in range(args.rounds):
        for name in ("b", "a") if i % 2 == 0 else ("a", "b"):
            src = args.a_src if name == "a" else args.b_src
            env = os.environ | {"PYTHONPATH": str(src.resolve())}
            cmd = [sys.executable, __file__, "--build-worker", str(args.build), "--shared", str(args.shared)]
            runs[name].append(
                json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
            )
    return {"runs": runs, "load_1min": os.getloadavg()[0]}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _same(a: list[list], b: list[list]) -> str:
    """How two top-k lists of [id, score] compare, their scores rank by rank within 1e-4 first:
    'same' (ids in the same order), 'order' (the same ids, papers of equal score in another order:
    two indexes built apart number their documents differently), 'tie' (they differ only among
    papers scored within 1e-4 of the k-th), else 'differ'."""
    if len(a) != len(b) or any(abs(x[1] - y[1]) > 1e-4 for x, y in zip(a, b, strict=True)):
        return "differ"
    if [x[0] for x in a] == [y[0] for y in b]:
        return "same"
    scores = {x[0]: x[1] for x in a}
    if set(scores) == {y[0] for y in b}:
        return "order" if all(abs(scores[y[0]] - y[1]) <= 1e-4 for y in b) else "differ"
    kth = a[-1][1]
    loose = {x[0] for x in a + b if abs(x[1] - kth) <= 1e-4}
    return "tie" if {x[0] for x in a} ^ {y[0] for y in b} <= loose else "differ"


def drive(args: argparse.Namespace) -> dict[str, object]:
    from scale import make_queries

    def start(src: Path, index: Path) -> subprocess.Popen[str]:
        env = os.environ | {"PYTHONPATH": str(src.resolve())}
        cmd = [sys.executable, __file__, "--worker", str(index), "--depth", str(args.depth)]
        cmd += ["--repeats", str(args.repeats)]
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    sides = {"a": start(args.a_src, args.a_index), "b": start(args.b_src, args.b_index)}
    rows = []
    for i, text in enumerate(make_queries(args.shared, args.queries)):
        got = {}
        for name in ("a", "b") if i % 2 == 0 else ("b", "a"):
            proc = sides[name]
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(text) + "\n")
            proc.stdin.flush()
            got[name] = json.loads(proc.stdout.readline())
        a, b = got["a"], got["b"]
        rows.append(
            {
                "query": text,
                "a_cpu_ms": a["cpu_ms"],
                "b_cpu_ms": b["cpu_ms"],
                "same": _same(a["hits"], b["hits"]),
                "count": a["count"],
                "b_count": b["count"],
                "a_estimated": a["estimated"],
                "b_estimated": b["estimated"],
                "b_total": b["total"],
            }
        )
    for proc in sides.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    return {"rows": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict[str, object]:
    def times(subset: list[dict]) -> dict[str, float]:
        out: dict[str, float] = {"queries": len(subset)}
        for side in ("a", "b"):
            cpu = [r[f"{side}_cpu_ms"] for r in subset]
            out |= {
                f"{side}_cpu_mean_ms": sum(cpu) / max(len(cpu), 1),
                f"{side}_cpu_p50_ms": _percentile(cpu, 0.5),
                f"{side}_cpu_p99_ms": _percentile(cpu, 0.99),
            }
        return out

    est = [r for r in rows if r["b_estimated"]]
    errors = [abs(r["b_total"] - r["count"]) / max(r["count"], 1) for r in est] or [0.0]
    return {
        "all": times(rows),
        "a_counted_b_estimated": times([r for r in rows if r["b_estimated"] and not r["a_estimated"]]),
        "both_estimated": times([r for r in rows if r["b_estimated"] and r["a_estimated"]]),
        "b_counted": times([r for r in rows if not r["b_estimated"]]),
        "same": sum(r["same"] == "same" for r in rows),
        "order": sum(r["same"] == "order" for r in rows),
        "tie": sum(r["same"] == "tie" for r in rows),
        "differ": [r["query"] for r in rows if r["same"] == "differ"],
        "same_counts": sum(r["count"] == r["b_count"] for r in rows),
        "a_estimated": sum(r["a_estimated"] for r in rows),
        "b_estimated": len(est),
        "b_estimate_error_p50": _percentile(errors, 0.5),
        "b_estimate_error_p90": _percentile(errors, 0.9),
        "b_estimate_error_max": max(errors),
        "load_1min": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--a-src", type=Path)
    ap.add_argument("--a-index", type=Path)
    ap.add_argument("--b-src", type=Path)
    ap.add_argument("--b-index", type=Path)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print every query's row too")
    ap.add_argument("--build", type=int, help="time indexing this many papers instead")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--build-worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.depth, args.repeats)
        return
    if args.build_worker:
        build_worker(args.shared, args.build_worker)
        return
    if args.build:
        print(json.dumps(builds(args), indent=2))
        return
    result = drive(args)
    print(json.dumps(result if args.json else result["summary"], indent=2))


if __name__ == "__main__":
    main()

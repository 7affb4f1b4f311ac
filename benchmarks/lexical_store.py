"""What storing only ids in the keyword index saves (D77): doc-store size, per-hit id reads, resident pages.

    PYTHONPATH=src .venv/bin/python benchmarks/lexical_store.py --old OLD/index/lexical \\
        --new NEW/index/lexical [--queries 300] [--depth 100] [--shared ../shared/data] [--out FILE.json]

OLD is a keyword index written before D77 (title, abstract and authors stored), NEW the same
papers indexed by this papersift (id stored only): e.g. copy a home, keep one copy's index and let
`papersift index` rebuild the other's. Both are opened read-only in this one process. For each of
scale.py's title-phrase queries (same seed as the scale table), A = OLD and B = NEW, alternating
which goes first, twice (ABAB or BABA), keeping each side's run with less CPU:

* `ids`: reading the id of each of the top `depth` hits from the doc store (what search_top,
  filter_among and filter_ids do per hit): wall and thread CPU, per hit.
* `top`: the whole keyword step of a results page, `TantivyIndex.search_top(query, depth)`
  (walk or MaxScore pruning, then the stored ids), thread CPU per query.

Checked: both sides rank the same papers with the same scores (but for which papers tied at the
k-th score make the cut).
Also reported: bytes of `.store` files and of the whole directory, and after the run the resident
bytes of each side's `.store` mappings (/proc/self/smaps): what a server that ran these queries
keeps in memory for the doc store. Timings are comparable only within one run: record `uptime`.
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

import tantivy

from papersift.evaluate.beir import percentile
from papersift.index.analysis import NAME
from papersift.index.embedded.lexical import TantivyIndex
from papersift.index.embedded.lexical_schema import NAME_TOKENIZER
from papersift.query.syntax import parse

T = TypeVar("T")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import make_queries  # noqa: E402


def open_any(path: Path) -> TantivyIndex:
    """A TantivyIndex over `path` whatever its stored fields (`open` refuses an older schema; the
    indexed fields, which queries address by position, are the same in both)."""
    index = tantivy.Index.open(str(path))
    index.register_tokenizer(NAME_TOKENIZER, NAME)
    return TantivyIndex(index, path, 64_000_000, 1)


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    out = fn()
    return out, (time.perf_counter() - w0) * 1e6, (time.thread_time() - c0) * 1e6


def read_ids(index: TantivyIndex, addresses: list[tantivy.DocAddress]) -> list[str]:
    searcher = index._index.searcher()
    return [str(searcher.doc(a).get_first("id")) for a in addresses]


def compare(sides: dict[str, TantivyIndex], text: str, depth: int, b_first: bool) -> dict[str, object]:
    parsed = parse(text)
    hits = {}
    for name, index in sides.items():  # the addresses to read, untimed (each index numbers its own docs)
        query = index.compiler.query(parsed)
        hits[name] = [addr for _, addr in index._index.searcher().search(query, depth, count=False).hits]
    order = ("b", "a") if b_first else ("a", "b")
    ids: dict[str, tuple[list[str], float, float]] = {}
    top: dict[str, tuple[object, float, float]] = {}
    for name in 2 * order:
        index = sides[name]
        run = _timed(lambda index=index, name=name: read_ids(index, hits[name]))  # type: ignore[misc]
        ids[name] = min(ids.get(name, run), run, key=lambda r: r[2])
        t = _timed(lambda index=index: index.search_top(parsed, depth))  # type: ignore[misc]
        top[name] = min(top.get(name, t), t, key=lambda r: r[2])
    n = len(hits["a"])
    (a_top, _), (b_top, _) = top["a"][0], top["b"][0]  # type: ignore[misc]
    return {
        "query": text,
        "hits": n,
        "same_papers": _same_ranking(a_top, b_top),
        "a_id_us": ids["a"][1] / max(n, 1),
        "b_id_us": ids["b"][1] / max(n, 1),
        "a_id_cpu_us": ids["a"][2] / max(n, 1),
        "b_id_cpu_us": ids["b"][2] / max(n, 1),
        "a_top_cpu_us": top["a"][2],
        "b_top_cpu_us": top["b"][2],
    }


def _same_ranking(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Same papers with the same scores, except which of the papers tied at the k-th score made the
    cut (each index numbers its documents its own way, and ties go by that number)."""
    sa, sb = ({pid: round(score, 4) for pid, score in hits} for hits in (a, b))
    if len(sa) != len(sb) or not sa:
        return len(sa) == len(sb)
    kth = min(sa.values())
    if min(sb.values()) != kth:
        return False
    return {p: s for p, s in sa.items() if s > kth} == {p: s for p, s in sb.items() if s > kth}


def store_bytes(path: Path) -> dict[str, int]:
    files = [f for f in path.iterdir() if f.is_file()]
    return {
        "store": sum(f.stat().st_size for f in files if f.suffix == ".store"),
        "all": sum(f.stat().st_size for f in files),
    }


def resident_store_bytes(path: Path) -> int:
    """Resident bytes of this process's mappings of `.store` files under `path` (/proc/self/smaps)."""
    total, counting = 0, False
    prefix = str(path.resolve())
    with open("/proc/self/smaps", encoding="utf-8") as fh:
        for line in fh:
            head = line.split(maxsplit=5)
            if len(head) >= 5 and "-" in head[0] and ":" in head[3]:  # a mapping's header line
                counting = len(head) == 6 and head[5].strip().startswith(prefix) and head[5].strip().endswith(".store")
            elif counting and line.startswith("Rss:"):
                total += int(line.split()[1]) * 1024
    return total


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    def col(key: str) -> list[float]:
        return [float(r[key]) for r in rows]  # type: ignore[arg-type]

    out: dict[str, object] = {"queries": len(rows), "same_papers": sum(1 for r in rows if r["same_papers"])}
    for key in ("id_us", "id_cpu_us", "top_cpu_us"):
        a, b = col("a_" + key), col("b_" + key)
        out[key] = {
            "a_p50": percentile(a, 0.5),
            "b_p50": percentile(b, 0.5),
            "a_mean": sum(a) / len(a),
            "b_mean": sum(b) / len(b),
            "b_over_a_of_means": sum(b) / max(sum(a), 1e-9),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", type=Path, required=True, help="a keyword index written before D77 (texts stored)")
    ap.add_argument("--new", type=Path, required=True, help="the same papers indexed with ids stored only")
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--out", type=Path, help="also write the summary and every query's row here (JSON)")
    args = ap.parse_args()
    sides = {"a": open_any(args.old), "b": open_any(args.new)}
    docs = {k: ix.doc_count() for k, ix in sides.items()}
    if docs["a"] != docs["b"]:
        raise SystemExit(f"the two indexes hold different numbers of papers: {docs}")
    queries = make_queries(args.shared, args.queries)
    rows = [compare(sides, text, args.depth, b_first=i % 2 == 1) for i, text in enumerate(queries)]
    result = {
        "command": " ".join(["benchmarks/lexical_store.py", *sys.argv[1:]]),
        "load": os.getloadavg(),
        "papers": docs["a"],
        "bytes": {"a": store_bytes(args.old), "b": store_bytes(args.new)},
        "resident_store_bytes": {"a": resident_store_bytes(args.old), "b": resident_store_bytes(args.new)},
        "summary": summarise(rows),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps({**result, "rows": rows}, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()

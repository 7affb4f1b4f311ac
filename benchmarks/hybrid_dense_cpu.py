#!/usr/bin/env python3
"""CPU of hybrid search's dense half (after the query embedding, outside the keyword index), per stage,
and optionally against an older commit in the same process.

    PYTHONPATH=src PAPERSIFT_ENCODER_THREADS=1 .venv/bin/python benchmarks/hybrid_dense_cpu.py HOME \
        [--queries 300] [--rounds 3] [--baseline COMMIT]

HOME is a built papersift home (e.g. a `benchmarks/scale.py` home at 1M papers). The queries are
`scale.make_queries` phrases; the first 20 only warm up, and every query is searched once before
timing so its embedding is cached: the encoder is not measured. CPU is `time.process_time` around
each `SearchService.search(q, mode="hybrid")`; the stages are timed by wrapping the service's and the
vector index's own methods on this one object (the graph searches, the two fusions with their
smoothing, the candidate facets, the word check of meaning-only candidates). Stage times include
the wrappers' own ~1 us.

--baseline COMMIT also opens the home with that commit's `src/papersift` (extracted with `git
archive` and imported as a renamed package), checks that every query's page is identical, and
interleaves the two per query (A B, B A, ...) so that a busy machine slows both alike: a ratio of
the whole search's CPU, not only of the stages.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scale import make_queries  # noqa: E402

from papersift.config import load_settings  # noqa: E402
from papersift.context import AppContext  # noqa: E402

SHARED = Path("/work/shared/data")
STAGES = {  # stage name -> (object attribute path, method)
    "graph searches": ("vectors", "search"),
    "smoothing (vectors read)": ("service", "_smoothed"),
    "fusions": ("service", "_fuse"),
    "candidate facets": ("service", "_candidate_facets"),
    "word check": ("service", "_keyword_members"),
}


def timed(spent: dict[str, float], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - t0

    return wrapper


def instrument(search: Any) -> dict[str, float]:
    """Wrap `search`'s stage methods (on this object only) with CPU timers; the per-stage totals."""
    spent: dict[str, float] = defaultdict(float)
    owners = {"service": search, "vectors": search.store.vectors}
    for stage, (owner, method) in STAGES.items():
        setattr(owners[owner], method, timed(spent, stage, getattr(owners[owner], method)))
    return spent


def page_of(search: Any, query: str) -> tuple[Any, ...]:
    page = search.search(query, mode="hybrid")
    hits = [(hit.paper.id, hit.score) for hit in page.hits]
    return hits, page.total, page.total_exact, page.facets, page.facets_among, page.keyword_matches


def baseline_search(home: Path, commit: str, workdir: Path) -> Any:
    """The search service of `commit`'s papersift, imported as `papersift_<commit>`."""
    name = "papersift_" + re.sub(r"\W", "_", commit)
    archive = workdir / "src.tar"
    repo = Path(__file__).resolve().parent.parent
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(repo), "archive", commit, "src/papersift"], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    package = workdir / "src" / "papersift"
    for path in package.rglob("*.py"):
        text = path.read_text("utf-8")
        text = re.sub(r"\bfrom papersift\b", f"from {name}", text)
        text = re.sub(r"\bimport papersift\b", f"import {name}", text)
        path.write_text(text, "utf-8")
    package.rename(package.with_name(name))
    sys.path.insert(0, str(workdir / "src"))
    context = importlib.import_module(f"{name}.context")
    config = importlib.import_module(f"{name}.config")
    return context.AppContext(config.load_settings(home)).search


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("home", type=Path)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="a commit to compare with, in the same process")
    args = ap.parse_args()
    ctx = AppContext(load_settings(args.home))
    search = ctx.search
    queries = make_queries(SHARED, args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_search(args.home, args.baseline, Path(tmp)) if args.baseline else None
        spent = {"current": instrument(search), **({"baseline": instrument(base)} if base is not None else {})}
        pages = [page_of(search, q) for q in queries]  # also warms up: pages mapped, embeddings cached
        differ = [q for q, page in zip(queries, pages, strict=True) if base is not None and page != page_of(base, q)]
        for stages in spent.values():
            stages.clear()
        total = {"current": 0.0, "baseline": 0.0}
        timed_queries = queries[20:]
        for rnd in range(args.rounds):
            for i, query in enumerate(timed_queries):
                sides = [("current", search), *([("baseline", base)] if base else [])]
                for name, service in sides if (i + rnd) % 2 == 0 else sides[::-1]:
                    t0 = time.process_time()
                    service.search(query, mode="hybrid")
                    total[name] += time.process_time() - t0
    n = args.rounds * len(timed_queries)
    result: dict[str, Any] = {
        "home": str(args.home),
        "searches": n,
        "cpu_ms_per_search": round(total["current"] / n * 1000, 3),
        "stages_us_per_search": {stage: round(spent["current"][stage] / n * 1e6, 1) for stage in STAGES},
    }
    if base is not None:
        result |= {
            "baseline": args.baseline,
            "baseline_cpu_ms_per_search": round(total["baseline"] / n * 1000, 3),
            "ratio": round(total["current"] / total["baseline"], 3),
            "baseline_stages_us_per_search": {stage: round(spent["baseline"][stage] / n * 1e6, 1) for stage in STAGES},
            "pages_differ": len(differ),
            "differing_queries": differ[:5],
        }
    print(json.dumps(result, indent=1))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())

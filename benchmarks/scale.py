#!/usr/bin/env python3
"""One corpus size end to end: generate, ingest, index, serve queries, measure.

    .venv/bin/python benchmarks/scale.py --papers 1000000 [--json] [--work ~/.cache/papersift/scale]
        [--queries 300] [--reuse] [--profile] [--http 1,2]

1. Generate N records + vectors (benchmarks/scale_corpus.py: real text resampled, real
   embeddings mixed; the method and its nearest-neighbour check are documented there).
2. Build, each step timed: catalog ingest (`beir` source, as `papersift ingest`), lexical index
   (the indexer's lexical pass), vector index (the pre-made vectors upserted into the HNSW
   index in 100k blocks, standing in for the encoder, which is measured separately by
   benchmarks/encoder.py: at ~45 papers/s it would take 6 h per million), and its save.
3. Serve, in a fresh process that only opens the home (as `papersift serve` does): query
   latency p50/p99 through `SearchService.search` (page of 20 with snippets, facets, total) per
   mode, without filters, with a broad category filter (cat:cs.CV) and with a selective date
   filter (one month); each query seen once per mode (query-embedding cache emptied between
   passes, so dense/hybrid include encoding the query); then hybrid queries/s with 1, 4 and 16
   client threads, resident memory, and optionally a pyinstrument profile of hybrid queries.
4. With `--http 1,2`: a real `papersift serve --workers N` per N, driven over HTTP on loopback
   (benchmarks/serve_http.py says exactly what is measured): hybrid API searches/s at 1, 4 and
   8 client threads, client and server-side latency, first search after start, and the memory
   of all server processes (RSS and PSS).
`--reuse` skips steps 1-2 when the work directory already holds that size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from papersift.cli.web_cmds import SERVING_ENCODER_THREADS
from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import percentile
from papersift.index.indexer import index_lexical
from papersift.index.payload import meta_of
from papersift.ingest import ingest
from papersift.sources import SourceContext

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_corpus import generate, load_pool  # noqa: E402
from serve_http import measure  # noqa: E402

FILTERS = {"none": "", "cat": " cat:cs.CV", "month": " date:2024-03"}
MODES = ("lexical", "dense", "hybrid")
VECTOR_BLOCK = 100_000


def rss_mib() -> dict[str, float]:
    """Resident memory of this process from /proc: total, peak, anonymous (heap) and file-backed
    (memory-mapped index pages, which the OS can drop and re-read under pressure)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kib = {
        name: int(fields[key].split()[0])
        for name, key in (("rss", "VmRSS"), ("peak", "VmHWM"), ("anon", "RssAnon"), ("file", "RssFile"))
    }
    return {name: value / 1024 for name, value in kib.items()}


class PhaseMemory:
    """Peak anonymous (heap) and file-backed resident memory of this process per build phase, sampled
    every `interval` s. VmHWM alone mixes the two: the build maps the corpus's input vectors and the
    saved vector block, file pages the OS drops under pressure, beside the heap it cannot drop."""

    def __init__(self, interval: float = 0.2) -> None:
        self.name = ""
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self._thread.start()

    def phase(self, name: str) -> None:
        self.name = name

    def _sample(self, interval: float) -> None:
        while not self._stop.wait(interval):
            if not self.name:
                continue
            now = rss_mib()
            for kind in ("anon", "file"):
                key = f"{self.name}_peak_{kind}_mib"
                self.peaks[key] = max(self.peaks.get(key, 0.0), now[kind])

    def close(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def du_mib(path: Path) -> float:
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files) / 2**20


def build(n: int, work: Path, shared: Path) -> dict[str, float]:
    corpus, home = work / "corpus", work / "home"
    figures: dict[str, float] = {}
    t0 = time.perf_counter()
    if (corpus / "check.json").exists():  # a corpus generated earlier (same size and seed): reuse it
        check = json.loads((corpus / "check.json").read_text())
    else:
        check = generate(n, corpus, shared)
        (corpus / "check.json").write_text(json.dumps(check))
        figures["generate_s"] = time.perf_counter() - t0
    figures |= {f"nn_{k}": v for k, v in check.items()}
    ctx = AppContext(load_settings(home))
    memory = PhaseMemory()
    memory.phase("catalog")
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = ingest(ctx.catalog, "beir", [str(corpus / "corpus.jsonl.gz")], SourceContext())
    figures["catalog_s"] = time.perf_counter() - t0
    figures["catalog_records_per_s"] = report.records / figures["catalog_s"]
    cpu0 = _phase_cpu(figures, "catalog", cpu0)
    memory.phase("lexical")
    t0 = time.perf_counter()
    index_lexical(ctx.catalog, ctx.indexes)
    figures["lexical_s"] = time.perf_counter() - t0
    cpu0 = _phase_cpu(figures, "lexical", cpu0)
    ids = (corpus / "ids.txt").read_text("utf-8").split()
    vectors = np.load(corpus / "vectors.npy", mmap_mode="r")
    store = ctx.indexes
    memory.phase("vectors")
    t0 = time.perf_counter()
    for start in range(0, len(ids), VECTOR_BLOCK):
        block = ids[start : start + VECTOR_BLOCK]
        papers = ctx.catalog.dates_and_categories(block)  # the filter columns need no text
        store.vectors.upsert(
            block, np.asarray(vectors[start : start + VECTOR_BLOCK]), meta=[meta_of(papers[pid]) for pid in block]
        )
    figures["vectors_s"] = time.perf_counter() - t0
    cpu0 = _phase_cpu(figures, "vectors", cpu0)
    memory.phase("vectors_save")
    t0 = time.perf_counter()
    store.vectors.save()
    store.state.dense_seq = ctx.catalog.max_seq()
    store.save_state()
    figures["vectors_save_s"] = time.perf_counter() - t0
    figures["build_s"] = sum(figures[k] for k in ("catalog_s", "lexical_s", "vectors_s", "vectors_save_s"))
    figures["build_peak_rss_mib"] = rss_mib()["peak"]  # anonymous and file-backed pages together
    figures |= memory.close()
    figures["catalog_mib"] = sum(du_mib(f) for f in home.glob("catalog.db*"))  # with the WAL not yet checkpointed
    figures["lexical_mib"] = du_mib(home / "index" / "lexical")
    figures["vectors_mib"] = du_mib(home / "index" / "vectors")
    ctx.close()
    (work / "build.json").write_text(json.dumps(figures, indent=2))
    return figures


def _phase_cpu(figures: dict[str, float], phase: str, cpu0: float) -> float:
    """Record a build phase's CPU seconds (all threads of this process: less sensitive to other
    people's load than wall time) and the 1-minute load average at its end; returns the new mark."""
    cpu = time.process_time()
    figures[f"{phase}_cpu_s"] = cpu - cpu0
    figures[f"{phase}_load"] = os.getloadavg()[0]
    return cpu


_UNQUOTE = str.maketrans("", "", '"()')


def make_queries(shared: Path, n: int, seed: int = 7) -> list[str]:
    """3-6 word phrases cut from real arXiv titles (the kind of thing people type)."""
    rng = random.Random(seed)
    titles = [r["title"] for r in load_pool(shared)]
    queries = []
    for title in rng.sample(titles, n):
        # no quote or parenthesis survives: a title's "(k,m)-threshold" made an unbalanced query (HTTP 400)
        words = [w.strip(":,.").translate(_UNQUOTE) for w in title.split() if len(w) > 2 and ":" not in w.strip(":")]
        size = rng.randint(3, 6)
        start = rng.randint(0, max(0, len(words) - size))
        queries.append(" ".join(words[start : start + size]) or title)
    return queries


def serve(home: Path, queries: list[str], profile: bool) -> dict[str, object]:
    """Open the home like a server would and measure queries (runs in its own process)."""
    os.environ.setdefault("PAPERSIFT_ENCODER_THREADS", str(SERVING_ENCODER_THREADS))  # as `serve` does
    ctx = AppContext(load_settings(home))
    service = ctx.search
    figures: dict[str, object] = {"papers": ctx.catalog.count()}
    for q in queries[:10]:  # warm-up: open indexes, load the encoder, touch the hot pages
        service.search(q, mode="hybrid")
    for mode in MODES:
        for name, suffix in FILTERS.items():
            service._cache.clear()
            times, hits = [], 0
            for q in queries:
                t0 = time.perf_counter()
                page = service.search(q + suffix, mode=mode, per_page=20)
                times.append((time.perf_counter() - t0) * 1000)
                hits += len(page.hits)
            key = mode if name == "none" else f"{mode}_{name}"
            figures[f"{key}_p50_ms"] = percentile(times, 0.5)
            figures[f"{key}_p99_ms"] = percentile(times, 0.99)
            figures[f"{key}_hits_per_query"] = hits / len(queries)
    encode_ms = []
    for q in queries[:100]:
        t0 = time.perf_counter()
        ctx.encoder.encode_query(q + " (timing)")
        encode_ms.append((time.perf_counter() - t0) * 1000)
    figures["query_encode_p50_ms"] = percentile(encode_ms, 0.5)
    for clients in (1, 4, 16):
        service._cache.clear()
        with ThreadPoolExecutor(clients) as pool:
            t0 = time.perf_counter()
            list(pool.map(lambda q: service.search(q, mode="hybrid", per_page=20), queries))
            figures[f"qps_{clients}"] = len(queries) / (time.perf_counter() - t0)
    figures["qps"] = max(figures[f"qps_{c}"] for c in (1, 4, 16))  # type: ignore[type-var]
    memory = rss_mib()
    figures["rss_mib"], figures["peak_rss_mib"] = memory["rss"], memory["peak"]
    figures["rss_anon_mib"], figures["rss_file_mib"] = memory["anon"], memory["file"]
    if profile:
        from pyinstrument import Profiler

        service._cache.clear()
        profiler = Profiler(interval=0.0005)
        with profiler:
            for q in queries:
                service.search(q, mode="hybrid", per_page=20)
        figures["profile"] = profiler.output_text(unicode=False, color=False, short_mode=True)
    ctx.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, required=True)
    ap.add_argument("--work", type=Path, default=Path("~/.cache/papersift/scale").expanduser())
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reuse", action="store_true", help="reuse a corpus/home already built for this size")
    ap.add_argument("--profile", action="store_true", help="add a pyinstrument profile of hybrid queries")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--http", default="", help="also serve over HTTP with these worker counts, e.g. 1,2")
    ap.add_argument("--no-inprocess", action="store_true", help="skip the in-process latency table")
    ap.add_argument("--serve-only", type=Path, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    queries = make_queries(args.shared, args.queries)
    if args.serve_only:
        print(json.dumps(serve(args.serve_only, queries, args.profile)))
        return 0
    work = args.work.expanduser() / str(args.papers)
    if args.reuse and (work / "build.json").exists():
        figures = json.loads((work / "build.json").read_text())
    else:
        if (work / "home").exists():  # a generated corpus is kept (generation is deterministic)
            subprocess.run(["rm", "-rf", str(work / "home")], check=True)
        figures = build(args.papers, work, args.shared)
    child = [
        sys.executable,
        __file__,
        "--papers",
        str(args.papers),
        "--shared",
        str(args.shared),
        "--queries",
        str(args.queries),
        "--serve-only",
        str(work / "home"),
    ]
    child += ["--profile"] if args.profile else []
    if not args.no_inprocess:
        figures["inprocess_load_before"] = os.getloadavg()[0]
        figures |= json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
        figures["inprocess_load_after"] = os.getloadavg()[0]
    clients = (1, 4, 8)
    # fresh queries per client-count row: a repeated one would be answered from the worker's query-embedding cache
    timed = set(queries)
    fresh = make_queries(args.shared, args.queries * (len(clients) + 1), seed=8)
    served = [q for q in dict.fromkeys(fresh) if q not in timed]
    served = served[: args.queries * len(clients)]
    for workers in [int(w) for w in args.http.split(",") if w]:
        for key, value in measure(work / "home", served, workers, clients).items():
            figures[f"http_w{workers}_{key}"] = value
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}, indent=2))
    else:
        profile = figures.pop("profile", None)
        for key, value in figures.items():
            print(f"{key:32s} {value:,.2f}" if isinstance(value, float) else f"{key:32s} {value}")
        if profile:
            print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

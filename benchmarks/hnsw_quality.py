#!/usr/bin/env python3
"""What the HNSW graph's approximation costs meaning search in quality, and at which expansion.

    PYTHONPATH=src .venv/bin/python benchmarks/hnsw_quality.py [--collections scifact,nfcorpus-preprocessed]
        [--distractors 200000] [--expansions 64,128,256,512] [--corpus /work/scale-15/1000000/corpus]

Why: every shared test collection is smaller than EXACT_BELOW (50,000 papers), where the vector
index scans exactly, so no relevance figure has ever seen the graph (docs/DECISIONS.md D92). This
puts a collection's documents among N distractors (judged non-relevant, as distractor studies
assume): real papers' vectors from another home (`--distractor-home`), or the scale corpus's
synthetic ones (benchmarks/scale_corpus.py: ~300 noisy copies of each of ~3,400 real abstracts'
vectors, clumps that make HNSW's job much harder than real data does), forces the graph
(`exact_below=0`), and scores dense-only nDCG@10 and Recall@100 for the judged queries at each
search expansion, against usearch's exact scan of the same vectors (the ceiling). The documents'
and queries' vectors come from the relevance benchmark's home (`benchmarks/relevance.py --homes`,
built there first if missing) and its encoder, so only the search differs between rows.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import Collection, evaluate, load_collection, score
from papersift.index.embedded.hnsw_graph import EXPANSION_SEARCH
from papersift.index.embedded.vectors import EXACT_BELOW, HnswIndex
from papersift.index.indexer import run_indexer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from relevance import prepare, query_of  # noqa: E402

BLOCK = 100_000  # distractor vectors upserted at a time


def searches(expansions: str) -> list[tuple[int, str]]:
    """(expansion, row label) per graph setting asked for, then the exact scan (expansion 0)."""
    return [(int(e), f"expansion {int(e)}") for e in expansions.split(",")] + [(0, "exact scan")]


def row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def header(cost: str) -> None:
    row("collection", "distractors", "search", "nDCG@10", "Recall@100", cost)
    row(*["---"] * 6)


def opened(args: argparse.Namespace, name: str) -> tuple[AppContext, Collection, list[str], np.ndarray]:
    """The relevance benchmark's home of a collection (built there if missing), the collection, and
    its papers' ids and vectors."""
    ctx, _ = prepare(args.shared / name, args.homes / name)
    ids, matrix = collection_vectors(ctx)
    return ctx, load_collection(args.shared / name), ids, matrix


def collection_vectors(ctx: AppContext) -> tuple[list[str], np.ndarray]:
    """Every paper id in the home's vector index and its vector (float32 rows)."""
    vectors = ctx.search.store.vectors
    ids = [paper.id for paper in ctx.catalog.iter_all() if paper.id in vectors]
    found = vectors.get_many(ids)
    return ids, np.stack([found[pid] for pid in ids]).astype(np.float32)


def hybrid(args: argparse.Namespace) -> int:
    """The product's hybrid search (`SearchService.ranked`, as benchmarks/relevance.py scores it) over
    a home holding the collection plus the distractor home's papers, text and vectors alike, so the
    keyword side sees the bigger corpus too; at each expansion and with an exact scan."""
    source = AppContext(load_settings(args.distractor_home))
    extra = list(itertools.islice(source.catalog.iter_all(), args.distractors))
    extra_vectors = source.search.store.vectors.get_many(p.id for p in extra)
    extra = [p for p in extra if p.id in extra_vectors]
    source.close()
    header("ms a query")
    for name in args.collections.split(","):
        bench, collection, ids, matrix = opened(args, name)
        papers = bench.catalog.get_many(ids)
        bench.close()
        prefix = f"{collection.name}:"
        with tempfile.TemporaryDirectory() as tmp:
            ctx = AppContext(load_settings(Path(tmp)))
            ctx.catalog.upsert([papers[pid] for pid in ids] + extra)
            run_indexer(ctx.catalog, ctx.indexes, None)  # the keyword index
            vectors = ctx.indexes.vectors
            vectors.upsert(ids, matrix)
            vectors.upsert([p.id for p in extra], np.stack([extra_vectors[p.id] for p in extra]).astype(np.float32))
            vectors.save()
            ctx.indexes.state.dense_seq = ctx.catalog.max_seq()
            ctx.indexes.save_state()
            service = ctx.search
            served = service.store.vectors
            if len(served) <= EXACT_BELOW:
                print(f"{name}: {len(served):,} papers, not above EXACT_BELOW: all rows scan exactly", file=sys.stderr)
            for expansion, label in searches(args.expansions):
                served.exact_below = EXACT_BELOW if expansion else 10**9  # type: ignore[attr-defined]
                served._graph.expansion_search = expansion or EXPANSION_SEARCH  # type: ignore[attr-defined]
                service._cache.clear()
                result = evaluate(
                    collection,
                    lambda text, s=service: s.ranked(query_of(text, False), "hybrid", depth=100),
                    lambda pid, p=prefix: pid.removeprefix(p),
                    "hybrid",
                    time.perf_counter,
                )
                d = result.to_dict()
                quality = f"{d['ndcg@10']:.4f}", f"{d['recall@100']:.4f}"
                row(name, f"{len(extra):,}", f"hybrid, {label}", *quality, d["latency_p50_ms"])
            ctx.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--collections", default="scifact,nfcorpus-preprocessed")
    ap.add_argument("--homes", type=Path, default=Path("~/.cache/papersift/bench-homes").expanduser())
    ap.add_argument("--corpus", type=Path, default=Path("/work/scale-15/1000000/corpus"), help="scale_corpus output")
    ap.add_argument("--distractor-home", type=Path, help="take the distractors from this home (real papers)")
    ap.add_argument("--hybrid", action="store_true", help="score the product's hybrid search (needs --distractor-home)")
    ap.add_argument("--distractors", type=int, default=200_000)
    ap.add_argument("--expansions", default="64,128,256,512")
    args = ap.parse_args()
    if args.hybrid:
        if not args.distractor_home:
            ap.error("--hybrid needs --distractor-home (the distractors' text goes into the keyword index)")
        return hybrid(args)
    if args.distractor_home:
        home = AppContext(load_settings(args.distractor_home))
        distractors = collection_vectors(home)[1][: args.distractors]
        home.close()
    else:
        distractors = np.load(args.corpus / "vectors.npy", mmap_mode="r")[: args.distractors]
    header("us CPU a query")
    for name in args.collections.split(","):
        ctx, collection, ids, matrix = opened(args, name)
        queries = {qid: ctx.search.encoder.encode_query(text) for qid, text in collection.queries.items()}
        prefix = f"{collection.name}:"
        with tempfile.TemporaryDirectory() as tmp:
            index = HnswIndex(Path(tmp), matrix.shape[1], "bench", exact_below=0)
            index.upsert(ids, matrix)
            for start in range(0, len(distractors), BLOCK):
                block = np.asarray(distractors[start : start + BLOCK], dtype=np.float32)
                index.upsert([f"distractor:{start + i}" for i in range(len(block))], block)
            graph = index._graph  # the benchmark sets the graph's expansion itself, as no API needs to
            for expansion, label in searches(args.expansions):
                run: dict[str, dict[str, float]] = {}
                cpu0 = time.process_time()
                for qid, vector in queries.items():
                    if expansion:
                        graph.expansion_search = expansion
                        hits = index.search(vector, 100)
                    else:  # the ceiling: usearch's exact scan of the same f16 vectors
                        found = graph.search(vector, 100, exact=True, threads=1)
                        hits = list(zip(index._ids.at_many(found.keys), (1.0 - found.distances).tolist(), strict=True))
                    # distractors stay in the run, unjudged, so non-relevant: they take ranks as they would
                    run[qid] = {pid.removeprefix(prefix): s for pid, s in hits}
                cpu_us = (time.process_time() - cpu0) / len(queries) * 1e6
                measured = score(collection.qrels, run)
                quality = f"{measured['ndcg@10']:.4f}", f"{measured['recall@100']:.4f}"
                row(name, f"{len(distractors):,}", label, *quality, f"{cpu_us:,.0f}")
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Search speed on the 60k-paper arxiv-daily-cs corpus: indexing throughput and query latency.

    .venv/bin/python benchmarks/search_latency.py [--shared ../shared/data] [--queries 300]
        [--home ~/.cache/papersift/bench-homes/arxiv-daily-cs] [--out benchmarks/results/search_latency.md]

1. Ingest the corpus into --home (once) and build the lexical index (timed).
2. Raw encoder throughput: `encoder.encode` on 1,000 real abstracts, nothing else.
3. Indexing throughput: the dense indexer pass (catalog read + encode + vector store + state)
   over the same 1,000 papers in a scratch home, right after step 2, so the ratio compares like
   with like. The corpus home itself is embedded once (~25 min on 2 idle cores) and reused.
4. Query latency p50/p99 per mode, with and without a category filter, over --queries
   realistic queries (3-6 word phrases cut from real titles), each query seen once (no
   query-embedding cache hits).

--stand-in-vectors skips steps 2-3 and fills the home's vector index with hashed bag-of-words
vectors (each word a fixed random direction, a paper the normalised sum) instead of MiniLM ones:
seconds instead of ~25 min of embedding, for comparing the *latency* of two code versions on a
box too loaded to embed 60k papers. Queries are still embedded by MiniLM, so every step costs
what it costs in production; only the ranking quality of the dense side is meaningless.

--smoothing-ab adds a table of hybrid latency with score smoothing (D57) off and on, timed back
to back per query so both see the same load.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from papersift.catalog import Catalog
from papersift.config import load_settings
from papersift.context import AppContext
from papersift.encoder.embed import paper_text
from papersift.evaluate.beir import percentile
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.indexer import index_dense, index_lexical
from papersift.ingest import ingest
from papersift.search.service import SearchService
from papersift.sources import SourceContext


def make_queries(ctx: AppContext, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    titles = [p.title for p in ctx.catalog.iter_all()]
    queries = []
    for title in rng.sample(titles, n):
        words = [w.strip(":,.()") for w in title.split() if len(w) > 2]
        size = rng.randint(3, 6)
        start = rng.randint(0, max(0, len(words) - size))
        queries.append(" ".join(words[start : start + size]) or title)
    return queries


class HashedWords:
    """Stand-in document vectors for latency runs (see the module docstring); never for ranking."""

    dim = 384

    def __init__(self, name: str):
        self.name = name
        self._words: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vec = self._words.get(word)
        if vec is None:
            vec = np.random.default_rng(zlib.crc32(word.encode())).standard_normal(self.dim).astype(np.float32)
            self._words[word] = vec
        return vec

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        rows = [
            sum((self._word(w) for w in re.findall(r"\w+", t.lower())), np.zeros(self.dim, np.float32)) for t in texts
        ]
        m = np.array(rows, dtype=np.float32)
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def throughput(ctx: AppContext, figures: dict[str, object]) -> None:
    """Steps 2 and 3: raw encoder and indexer throughput on the same 1,000 papers."""
    papers = ctx.catalog.get_many(c.id for c in ctx.catalog.changes_since(0, 1000))
    texts = [paper_text(p.title, p.abstract) for p in papers.values()]
    encoder = ctx.encoder
    encoder.encode(texts[:32])  # warm-up
    t0 = time.perf_counter()
    encoder.encode(texts)
    figures["raw_encoder_papers_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    with tempfile.TemporaryDirectory() as tmp:  # the indexer on the same 1,000 papers, same conditions
        sample_catalog = Catalog.open(f"sqlite:///{tmp}/c.db")
        sample_catalog.upsert(papers.values())
        store = EmbeddedStore(Path(tmp) / "index", encoder.name, encoder.dim)
        t0 = time.perf_counter()
        embedded = index_dense(sample_catalog, store, encoder)
        figures["indexer_dense_papers_per_s"] = round(embedded / (time.perf_counter() - t0), 1)
        figures["indexer_vs_raw_encoder"] = round(
            figures["indexer_dense_papers_per_s"] / figures["raw_encoder_papers_per_s"], 3
        )
        sample_catalog.close()


def smoothing_ab(service: SearchService, queries: list[str]) -> list[str]:
    """Hybrid p50/p99 with score smoothing off (A) and on (B), A and B timed back to back for each
    query (the same load for both) with the query embedding already cached, so the difference is
    the smoothing's own cost."""
    rows = [
        "| hybrid, filter | smoothing off p50 ms | on p50 ms | on/off | off p99 | on p99 |",
        "|---|---|---|---|---|---|",
    ]
    weight = service.smooth_weight
    for flt in ("", " cat:cs.CV", " cat:cs.RO"):
        lat: dict[float, list[float]] = {0.0: [], weight: []}
        for q in queries:
            service.search(q + flt, mode="hybrid")  # embeds the query once, untimed
            for w in (0.0, weight):
                service.smooth_weight = w
                t0 = time.perf_counter()
                service.search(q + flt, mode="hybrid")
                lat[w].append((time.perf_counter() - t0) * 1000)
        service.smooth_weight = weight
        a, b = percentile(lat[0.0], 0.5), percentile(lat[weight], 0.5)
        rows.append(
            f"| {flt.strip() or '-'} | {a:.1f} | {b:.1f} | {b / a:.2f} | {percentile(lat[0.0], 0.99):.1f} | "
            f"{percentile(lat[weight], 0.99):.1f} |"
        )
        print(rows[-1], file=sys.stderr)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--home", type=Path, default=Path("~/.cache/papersift/bench-homes/arxiv-daily-cs").expanduser())
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--stand-in-vectors", action="store_true", help="hashed word vectors instead of MiniLM's")
    ap.add_argument(
        "--smoothing-ab",
        action="store_true",
        help="also time hybrid with score smoothing (D57) off and on, interleaved query by query",
    )
    args = ap.parse_args()
    ctx = AppContext(load_settings(args.home))
    figures: dict[str, object] = {}
    if ctx.catalog.count() == 0:
        t0 = time.perf_counter()
        report = ingest(ctx.catalog, "beir", [str(args.shared / "arxiv-daily-cs" / "corpus.jsonl.gz")], SourceContext())
        figures["ingest_records_per_s"] = round(report.records / (time.perf_counter() - t0))
    t0 = time.perf_counter()
    done, _ = index_lexical(ctx.catalog, ctx.indexes)
    if done:
        figures["lexical_index_papers_per_s"] = round(done / (time.perf_counter() - t0))
    if args.stand_in_vectors:
        figures["vectors"] = "stand-in (hashed words, not MiniLM): latency only, dense ranking meaningless"
        index_dense(ctx.catalog, ctx.indexes, HashedWords(ctx.encoder_name))
    else:
        throughput(ctx, figures)
        index_dense(ctx.catalog, ctx.indexes, ctx.encoder)  # embed whatever the corpus home still lacks
    figures["papers"] = ctx.catalog.count()
    queries = make_queries(ctx, args.queries)
    rows = ["| mode | filter | queries | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    service = ctx.search
    for mode in ("lexical", "dense", "hybrid"):
        for flt in ("", " cat:cs.CV", " cat:cs.RO"):
            service._cache.clear()
            lat = []
            for q in queries:
                t0 = time.perf_counter()
                service.search(q + flt, mode=mode)  # type: ignore[arg-type]
                lat.append((time.perf_counter() - t0) * 1000)
            rows.append(
                f"| {mode} | {flt.strip() or '-'} | {len(queries)} | {percentile(lat, 0.5):.1f} | "
                f"{percentile(lat, 0.99):.1f} |"
            )
            print(rows[-1], file=sys.stderr)
    if args.smoothing_ab:
        rows += ["", *smoothing_ab(service, queries)]
    text = "\n".join(f"- {k}: {v}" for k, v in figures.items()) + "\n\n" + "\n".join(rows)
    print(text)
    if args.out:
        flag = (" --stand-in-vectors" if args.stand_in_vectors else "") + (
            " --smoothing-ab" if args.smoothing_ab else ""
        )
        args.out.write_text(
            "# Search latency on arxiv-daily-cs\n\nCommand: `.venv/bin/python "
            f"benchmarks/search_latency.py{flag} --out {args.out}`\n\n"
            "Latency is the whole `SearchService.search` call (parse, retrieval, fusion, "
            f"catalog fetch, snippets, facets) for page 1 of 20.\n\n{text}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

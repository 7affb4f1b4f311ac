#!/usr/bin/env python3
"""The provisional (static) encoder: papers/s, and what its vectors do to ranking quality.

    .venv/bin/python benchmarks/provisional.py --homes-from /tmp/bench-homes-14 \\
        [--shared ../shared/data] [--collections scifact,cacm] [--out benchmarks/results/provisional.md]
        [--speed-only]

Speed: "title. abstract" texts of the five collections' corpora (~15k real documents), encoded
by `minilm-static` in one process: a cold pass (every word new to the word cache) and three warm
passes; then the indexer's whole provisional pass (catalog reads, encoding, HNSW inserts, saving)
on the first collection. Wall-clock papers/s depends on the machine's load (printed); papers per CPU-second of
this process is the steadier figure when other work shares the cores.

Quality, per collection, from a *copy* of a relevance-benchmark home that holds full MiniLM
vectors (benchmarks/relevance.py; the originals are never modified), nDCG@10 on the shared test
queries, queries always embedded by the full model (as in a mixed home):
  - lexical: BM25 alone;
  - provisional hybrid: every document's vector replaced by the static encoder's, its map
    calibrated as `papersift index` does, on the first 20% of the collection (at most 1,000) with
    their full vectors (the product keeps those full; here they too are provisional);
  - mixed hybrid: every other document (by change-log order) provisional, the rest full;
  - full hybrid: the home as built.
Plus "static alone": `PAPERSIFT_ENCODER=minilm-static` (the demo-fitted map, uncalibrated, queries
embedded statically too), hybrid and dense.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.encoder.embed import load_encoder, paper_text
from papersift.encoder.static import StaticMiniLMEncoder
from papersift.evaluate.beir import evaluate, load_collection
from papersift.index.indexer import CALIBRATION_PAPERS, PROVISIONAL_BATCH, index_dense, index_lexical
from papersift.query.syntax import plain_query
from papersift.search.service import SearchService

COLLECTIONS = ["scifact", "nfcorpus-preprocessed", "cacm", "cisi", "cranfield"]
CALIBRATION_SHARE = 0.2


def static_encoder() -> StaticMiniLMEncoder:
    encoder = load_encoder("minilm-static")
    assert isinstance(encoder, StaticMiniLMEncoder)
    return encoder


def corpus_texts(shared: Path, names: list[str]) -> list[str]:
    texts = []
    for name in names:
        with open(load_collection(shared / name).corpus, encoding="utf-8") as fh:
            texts += [paper_text(r.get("title"), r.get("text")) for r in map(json.loads, fh)]
    return texts


def speed(texts: list[str]) -> list[str]:
    encoder = static_encoder()
    rows = ["| pass | papers | wall s | papers/s | CPU s | papers per CPU-second |", "|---|---|---|---|---|---|"]
    for label in ("cold (empty word cache)", "warm 1", "warm 2", "warm 3"):
        wall, cpu = time.perf_counter(), time.process_time()
        encoder.encode(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rate, per_cpu = len(texts) / wall, len(texts) / cpu
        rows.append(f"| {label} | {len(texts):,} | {wall:.2f} | {rate:,.0f} | {cpu:.2f} | {per_cpu:,.0f} |")
        print(rows[-1], file=sys.stderr)
    return rows


def indexer_pass(original: Path, work: Path) -> list[str]:
    """The whole provisional pass of `papersift index` (catalog reads, encoding, HNSW inserts,
    saving) on a copy of a home's catalog with no vectors yet."""
    home = work / "indexer-pass"
    home.mkdir()
    shutil.copy(original / "catalog.db", home / "catalog.db")
    ctx = AppContext(load_settings(home))
    index_lexical(ctx.catalog, ctx.indexes)
    encoder = static_encoder()
    wall, cpu = time.perf_counter(), time.process_time()
    done = index_dense(ctx.catalog, ctx.indexes, encoder, batch_size=PROVISIONAL_BATCH, provisional=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert ctx.indexes.vectors.provisional_count() == done
    ctx.close()
    return [
        f"Whole provisional pass of the indexer ({original.name}, {done:,} papers, into an empty vector index): "
        f"{wall:.2f} s wall ({done / wall:,.0f} papers/s), {cpu:.2f} s CPU ({done / cpu:,.0f} papers per CPU-second)."
    ]


def ndcg(ctx: AppContext, service: SearchService, root: Path, mode: str) -> float:
    collection = load_collection(root)
    prefix = f"{collection.name}:"
    result = evaluate(
        collection,
        lambda t: service.ranked(plain_query(t), mode, depth=100),  # type: ignore[arg-type]
        lambda pid: pid[len(prefix) :] if pid.startswith(prefix) else pid,
        mode,
        time.perf_counter,
    )
    return float(result.to_dict()["ndcg@10"])


def quality(shared: Path, name: str, original: Path, work: Path) -> tuple[str, dict[str, float]]:
    home = work / name
    shutil.copytree(original, home)
    ctx = AppContext(load_settings(home))
    catalog, vectors = ctx.catalog, ctx.indexes.vectors
    order = [c.id for c in catalog.changes_since(0, 10**9) if not c.deleted]
    papers = catalog.get_many(order)
    ids = [pid for pid in order if pid in papers and pid in vectors]
    texts = [paper_text(papers[p].title, papers[p].abstract) for p in ids]
    full = np.stack([v for pid in ids if (v := vectors.get(pid)) is not None])
    root = shared / name
    scores = {"lexical": ndcg(ctx, ctx.search, root, "lexical"), "full hybrid": ndcg(ctx, ctx.search, root, "hybrid")}
    scores["full dense"] = ndcg(ctx, ctx.search, root, "dense")

    generic = static_encoder()
    alone = SearchService(catalog, ctx.indexes, lambda: generic)
    vectors.upsert(ids, generic.encode(texts), provisional=True)
    scores["static alone hybrid"] = ndcg(ctx, alone, root, "hybrid")
    scores["static alone dense"] = ndcg(ctx, alone, root, "dense")

    calibrated = static_encoder()
    k = min(CALIBRATION_PAPERS, int(CALIBRATION_SHARE * len(ids)))
    calibrated.calibrate(texts[:k], full[:k])
    provisional = calibrated.encode(texts)
    vectors.upsert(ids, provisional, provisional=True)
    scores["provisional hybrid"] = ndcg(ctx, ctx.search, root, "hybrid")
    scores["provisional dense"] = ndcg(ctx, ctx.search, root, "dense")
    half = slice(0, None, 2)
    vectors.upsert(ids[half], full[half])
    assert vectors.provisional_count() == len(ids) - len(ids[half])
    scores["mixed hybrid"] = ndcg(ctx, ctx.search, root, "hybrid")
    cosine = float((provisional * full).sum(axis=1)[k:].mean())
    ctx.close()
    line = f"{name}: {len(ids):,} docs, calibrated on {k:,}, mean cosine to full on the rest {cosine:.3f}"
    print(line, scores, file=sys.stderr)
    return line, scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--collections", default=",".join(COLLECTIONS))
    ap.add_argument("--homes-from", type=Path, required=True, help="relevance-benchmark homes with full vectors")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--speed-only", action="store_true", help="only the speed passes (seconds; for a quiet window)")
    args = ap.parse_args()
    names = args.collections.split(",")
    load = f"load average before: {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f}"
    speed_rows = speed(corpus_texts(args.shared, names))
    with tempfile.TemporaryDirectory(prefix="provisional-pass-") as work:
        speed_rows += ["", *indexer_pass(args.homes_from / names[0], Path(work))]
    print(speed_rows[-1], file=sys.stderr)
    load += f"; after the speed passes: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs"
    if args.speed_only:
        print("\n".join([*speed_rows, "", load]))
        return 0
    columns = ["lexical", "static alone dense", "static alone hybrid", "provisional dense", "provisional hybrid"]
    columns += ["mixed hybrid", "full dense", "full hybrid"]
    rows = ["| collection | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    notes, table = [], []
    with tempfile.TemporaryDirectory(prefix="provisional-bench-") as work:
        for name in names:
            line, scores = quality(args.shared, name, args.homes_from / name, Path(work))
            notes.append(f"- {line}")
            table.append(scores)
            rows.append(f"| {name} | " + " | ".join(f"{scores[c]:.4f}" for c in columns) + " |")
    rows.append("| **mean** | " + " | ".join(f"**{np.mean([s[c] for s in table]):.4f}**" for c in columns) + " |")
    report = "\n".join(
        [
            "Speed (`minilm-static`, one process, real abstracts of the collections below):",
            "",
            *speed_rows,
            "",
            load,
            "",
            "nDCG@10 on the shared test queries:",
            "",
            *rows,
            "",
            *notes,
        ]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

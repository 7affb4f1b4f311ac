#!/usr/bin/env python3
"""Throughput, latency and quality of the bundled MiniLM encoder (int8 vs fp32).

    .venv/bin/python benchmarks/encoder.py [--n 500] [--full] [--out benchmarks/results/encoder.md]

Measures: build time and file size of both ONNX graphs (fresh build in a temp dir);
abstracts/s on real arXiv abstracts ("title. abstract" from
shared/data/arxiv-daily-cs/corpus.jsonl.gz) around a baseline of int8, max_length 256,
batch 32, 2 threads, length-sorted, varying one factor at a time (--full: the whole grid
of variant x max_length x batch x threads x sorting, ~15 min); single short query latency
p50/p99; cosine of int8 to fp32 vectors (and of 128 to 256 tokens, and unsorted to sorted).
Wall-clock numbers need an otherwise idle machine (the load average is printed); the
per-CPU-second column is steadier when other work shares the cores.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from papersift.encoder.embed import MiniLMEncoder, paper_text
from papersift.encoder.onnx_build import ensure_model

REPO = Path(__file__).resolve().parents[1]
QUERIES = [
    "graph neural networks",
    "diffusion models",
    "protein folding",
    "LLM agents tool use",
    "federated learning privacy",
    "image segmentation",
    "speech recognition low resource",
    "reinforcement learning robotics",
    "quantum error correction",
    "retrieval augmented generation",
    "code generation benchmarks",
    "vision transformers",
    "causal inference",
    "time series forecasting",
    "neural radiance fields",
    "contrastive learning",
    "knowledge distillation",
    "mixture of experts",
    "adversarial robustness",
    "sparse attention long documents",
]


def load_abstracts(shared: Path, n: int) -> list[str]:
    texts: list[str] = []
    with gzip.open(shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("text"):
                texts.append(paper_text(rec.get("title"), rec["text"]))
            if len(texts) >= n:
                break
    return texts


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def throughput(enc: MiniLMEncoder, texts: list[str], batch_size: int) -> tuple[float, float, np.ndarray]:
    """(abstracts per wall second, per CPU second of this process, vectors)."""
    enc.encode(texts[:8], batch_size=8)  # warm-up: first run allocates
    t, c = time.perf_counter(), time.process_time()
    vecs = enc.encode(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - t), len(texts) / (time.process_time() - c), vecs


def latency(enc: MiniLMEncoder, reps: int = 5) -> tuple[float, float]:
    for q in QUERIES[:3]:
        enc.encode_query(q)
    times = []
    for _ in range(reps):
        for q in QUERIES:
            t = time.perf_counter()
            enc.encode_query(q)
            times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def cos_stats(a: np.ndarray, b: np.ndarray) -> str:
    c = (a * b).sum(axis=1)
    return f"mean {c.mean():.4f}, min {c.min():.4f}, 1st pct {np.percentile(c, 1):.4f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=500, help="abstracts to encode per configuration")
    ap.add_argument("--full", action="store_true", help="the whole grid instead of one factor at a time")
    ap.add_argument("--out", type=Path, help="also write the report (markdown) here")
    args = ap.parse_args()

    lines: list[str] = []

    def emit(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    texts = load_abstracts(args.shared, args.n)
    emit("# Encoder benchmark (benchmarks/encoder.py)")
    emit()
    emit(
        f"- machine: {cpu_name()}, {os.cpu_count()} cores; load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    emit(f'- corpus: first {len(texts)} abstracts of arxiv-daily-cs as "title. abstract"')
    emit()

    with tempfile.TemporaryDirectory() as tmp:
        sizes, builds = {}, {}
        for variant in ("fp32", "int8"):
            t = time.perf_counter()
            path = ensure_model(variant, Path(tmp))
            builds[variant] = time.perf_counter() - t
            sizes[variant] = path.stat().st_size / 2**20
    emit("| model | build time (s) | file size (MiB) |")
    emit("|---|---:|---:|")
    for v in ("fp32", "int8"):
        emit(f"| {v} | {builds[v]:.1f} | {sizes[v]:.1f} |")
    emit()

    base = {"variant": "int8", "max_length": 256, "batch": 32, "threads": 2, "sorted": True}
    if args.full:
        grid = [
            dict(zip(base, c, strict=True))
            for c in itertools.product(("int8", "fp32"), (256, 128), (16, 32, 64), (1, 2), (True, False))
        ]
    else:
        grid = [base]
        one_at_a_time = (("batch", (16, 64)), ("threads", (1,)), ("sorted", (False,)), ("max_length", (128,)))
        for key, values in one_at_a_time:
            grid += [{**base, key: v} for v in values]
        fp = {**base, "variant": "fp32"}
        grid += [fp, {**fp, "threads": 1}, {**fp, "sorted": False}, {**fp, "max_length": 128}]

    encoders: dict[tuple, MiniLMEncoder] = {}
    vectors: dict[tuple, np.ndarray] = {}
    emit("| variant | max_length | batch | threads | length-sorted | abstracts/s | abstracts/CPU-s |")
    emit("|---|---:|---:|---:|---|---:|---:|")
    for cfg in grid:
        key = (cfg["variant"], cfg["max_length"], cfg["threads"], cfg["sorted"])
        if key not in encoders:
            encoders[key] = MiniLMEncoder(
                cfg["variant"], max_length=cfg["max_length"], threads=cfg["threads"], sort_by_length=cfg["sorted"]
            )
        rate, cpu_rate, vecs = throughput(encoders[key], texts, cfg["batch"])
        vectors.setdefault(key, vecs)
        emit(
            f"| {cfg['variant']} | {cfg['max_length']} | {cfg['batch']} | {cfg['threads']} | "
            f"{'yes' if cfg['sorted'] else 'no'} | {rate:.1f} | {cpu_rate:.1f} |"
        )
    emit()

    emit("| single short query (20 queries x 5) | p50 (ms) | p99 (ms) |")
    emit("|---|---:|---:|")
    for variant, threads in (("int8", 2), ("int8", 1), ("fp32", 2)):
        enc = encoders.get((variant, 256, threads, True)) or MiniLMEncoder(variant, threads=threads)
        p50, p99 = latency(enc)
        emit(f"| {variant}, {threads} thread{'s' if threads > 1 else ''} | {p50:.1f} | {p99:.1f} |")
    emit()

    emit("Cosine similarity between vectors of the same abstracts:")
    emit()
    v = vectors
    for label, a, b in (
        ("int8 vs fp32 (256 tokens, sorted)", ("int8", 256, 2, True), ("fp32", 256, 2, True)),
        ("int8 unsorted vs sorted batches", ("int8", 256, 2, False), ("int8", 256, 2, True)),
        ("fp32 128 vs 256 tokens", ("fp32", 128, 2, True), ("fp32", 256, 2, True)),
        ("int8@128 vs fp32@256", ("int8", 128, 2, True), ("fp32", 256, 2, True)),
    ):
        if a in v and b in v:
            emit(f"- {label}: {cos_stats(v[a], v[b])}")
    n_tok = [len(x) for x in MiniLMEncoder("int8", max_length=512).tokenize(texts)]
    emit(
        f"- abstracts over 256 tokens (truncated at 256): {sum(n > 256 for n in n_tok)} of {len(texts)}; "
        f"over 128: {sum(n > 128 for n in n_tok)}; median length {int(np.median(n_tok))} tokens"
    )
    emit(f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

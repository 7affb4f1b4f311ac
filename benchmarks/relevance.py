#!/usr/bin/env python3
"""Relevance report: nDCG@10 / Recall@100 / MRR@10 of every ranking mode on every BEIR-layout
collection in ../shared/data, plus the fusion variants the hybrid default was chosen from.

    .venv/bin/python benchmarks/relevance.py [--shared ../shared/data] [--collections scifact,cacm]
        [--homes ~/.cache/papersift/bench-homes] [--out benchmarks/results/relevance.md]

Each collection is ingested and indexed once into its own home under --homes (embedding is
the slow part: ~45 docs/s), and later runs reuse it. Queries are the shared test queries
only; the held-out 30% is not here, so these figures are what we tuned on.

Besides the three modes, an ablation: each row turns one adopted lever off (or swaps the fusion)
with everything else at its default, so "hybrid (default)" minus a row is what that lever buys:
  - BM25F field (D25): bare words scored by one title x2 + abstract field; off = the per-field
    BM25 sum of title, abstract and authors (the same index, other query);
  - query as typed (D26): the dense side embeds the query text as written; off = the word list;
  - dense feedback (D27): Rocchio from the top 3 fused papers; off = one dense pass;
  - author weight (D41): the authors field counts 0.5 in a bare word's BM25 sum; off = 1.0;
  - score smoothing (D57): fused scores mixed with their 2 nearest candidates' (weight 0.15);
    off = the fused scores as they are.
Multi-vector passages (issue 14 lever 3) are measured by benchmarks/relevance_passages.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import evaluate, load_collection
from papersift.index.embedded.lexical_schema import TEXT_FIELDS
from papersift.index.indexer import run_indexer
from papersift.ingest import ingest
from papersift.query.syntax import ParsedQuery, plain_query
from papersift.sources import SourceContext

COLLECTIONS = ["scifact", "nfcorpus-preprocessed", "cacm", "cisi", "cranfield"]
# (label, mode, changes from the defaults)
VARIANTS: list[tuple[str, str, dict[str, object]]] = [
    ("lexical", "lexical", {}),
    ("dense", "dense", {}),
    ("hybrid (default)", "hybrid", {}),
    ("lexical, BM25F field off (per-field sum)", "lexical", {"per_field": True}),
    ("hybrid, BM25F field off (per-field sum)", "hybrid", {"per_field": True}),
    ("hybrid, query as typed off (word list embedded)", "hybrid", {"word_list": True}),
    ("hybrid, dense feedback off", "hybrid", {"feedback_docs": 0}),
    ("lexical, author weight 1 (off)", "lexical", {"author_weight": 1.0}),
    ("hybrid, author weight 1 (off)", "hybrid", {"author_weight": 1.0}),
    ("hybrid, score smoothing off", "hybrid", {"smooth_weight": 0.0}),
    (
        "hybrid, all five off (the pre-issue-14 ranking)",
        "hybrid",
        {"per_field": True, "word_list": True, "feedback_docs": 0, "author_weight": 1.0, "smooth_weight": 0.0},
    ),
    ("hybrid rrf k=60", "hybrid", {"fusion": "rrf"}),
    ("hybrid convex a=0.3", "hybrid", {"alpha": 0.3}),
    ("hybrid convex a=0.7", "hybrid", {"alpha": 0.7}),
]


def query_of(text: str, word_list: bool) -> ParsedQuery:
    parsed = plain_query(text)
    return dataclasses.replace(parsed, prose=None) if word_list else parsed


def prepare(root: Path, home: Path) -> tuple[AppContext, object]:
    collection = load_collection(root)
    ctx = AppContext(load_settings(home))
    if ctx.catalog.count() == 0:
        ingest(ctx.catalog, "beir", [str(collection.corpus)], SourceContext(options={"collection": collection.name}))
    t0 = time.perf_counter()
    report = run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
    if report.dense_indexed:
        print(
            f"{collection.name}: embedded {report.dense_indexed} docs in {time.perf_counter() - t0:.0f}s",
            file=sys.stderr,
        )
    return ctx, collection


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--collections", default=",".join(COLLECTIONS))
    ap.add_argument("--homes", type=Path, default=Path("~/.cache/papersift/bench-homes").expanduser())
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [
        "| collection | queries | variant | nDCG@10 | Recall@100 | MRR@10 | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in args.collections.split(","):
        root = args.shared / name
        if not root.is_dir():
            print(f"skip {name}: {root} missing", file=sys.stderr)
            continue
        ctx, collection = prepare(root, args.homes / name)
        service = ctx.search
        lexical = ctx.indexes.lexical
        defaults = (
            service.fusion,
            service.alpha,
            service.feedback_docs,
            lexical.compiler.ranked_fields,  # type: ignore[attr-defined]
            lexical.compiler.author_weight,  # type: ignore[attr-defined]
            service.smooth_weight,
        )
        prefix = f"{collection.name}:"
        for label, mode, changes in VARIANTS:
            service.fusion = str(changes.get("fusion", defaults[0]))
            service.alpha = float(changes.get("alpha", defaults[1]))  # type: ignore[arg-type]
            service.feedback_docs = int(changes.get("feedback_docs", defaults[2]))  # type: ignore[call-overload]
            lexical.compiler.ranked_fields = TEXT_FIELDS if changes.get("per_field") else defaults[3]  # type: ignore[attr-defined]
            lexical.compiler.author_weight = float(changes.get("author_weight", defaults[4]))  # type: ignore[attr-defined,arg-type]
            service.smooth_weight = float(changes.get("smooth_weight", defaults[5]))  # type: ignore[arg-type]
            words = bool(changes.get("word_list"))
            result = evaluate(
                collection,
                lambda t, m=mode, s=service, w=words: s.ranked(query_of(t, w), m, depth=100),
                lambda pid, p=prefix: pid[len(p) :] if pid.startswith(p) else pid,
                mode,
                time.perf_counter,
            )
            d = result.to_dict()
            rows.append(
                f"| {name} | {result.queries} | {label} | {d['ndcg@10']:.4f} | {d['recall@100']:.4f} | "
                f"{d['mrr@10']:.4f} | {d['latency_p50_ms']} | {d['latency_p99_ms']} |"
            )
            print(rows[-1], file=sys.stderr)
        ctx.close()
    table = "\n".join(rows)
    print(table)
    if args.out:
        args.out.write_text(
            "# Relevance report\n\nCommand: `.venv/bin/python benchmarks/relevance.py "
            "--out benchmarks/results/relevance.md`\n\nMeasured on the shared test queries "
            "(the ones tuned on). Latency includes query embedding (cached per distinct "
            "query text); it is not a latency benchmark (see search_latency.md). Rows after the "
            "first three are the ablation described in the script's docstring and in "
            f"docs/DECISIONS.md D25-D27, D41 and D57.\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

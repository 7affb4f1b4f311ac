#!/usr/bin/env python3
"""Per-query adaptive fusion weights (issue 14, lever 4): replayed exactly like
relevance_passages.py's "whole" rows (the product's lexical index, query embedding, convex fusion
and Rocchio feedback, whole-abstract vectors scored exactly), with alpha chosen per query:
  peak ratio: each list's "peak" = share of its top-100 score range spent within its top 10
              (a confident list drops fast); alpha = peak(dense) / (peak(dense) + peak(lexical));
  shrunk:     half way between that and 0.5;
  agreement:  more weight to dense when the two top 10s disagree.

    PYTHONPATH=src:benchmarks nice -n 10 .venv/bin/python benchmarks/relevance_adaptive.py \
        cacm,cisi,cranfield,scifact,nfcorpus-preprocessed [/tmp/bench-homes-14]
"""

import sys
from pathlib import Path

import numpy as np
from relevance_passages import DenseScorer

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import load_collection, score
from papersift.query.syntax import plain_query
from papersift.search.feedback import FEEDBACK_DOCS, rocchio
from papersift.search.fusion import convex


def peak(ranked, k=10):
    s = [x for _, x in ranked]
    if len(s) <= k or s[0] == s[-1]:
        return 0.5
    return (s[0] - s[k]) / (s[0] - s[-1])  # share of the list's score range spent in the top k


def overlap(a, b, k=10):
    return len({p for p, _ in a[:k]} & {p for p, _ in b[:k]}) / k


RULES = {
    "fixed 0.5": lambda lex, den: 0.5,
    "peak ratio": lambda lex, den: peak(den) / (peak(den) + peak(lex) + 1e-9),
    "peak ratio, shrunk to 0.5": lambda lex, den: 0.5 * 0.5 + 0.5 * peak(den) / (peak(den) + peak(lex) + 1e-9),
    "agreement: 0.5 + 0.2*(0.5-overlap)": lambda lex, den: 0.5 + 0.2 * (0.5 - overlap(lex, den)),
}
HOMES = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/bench-homes-14")
for name in sys.argv[1].split(","):
    coll = load_collection(Path("/work/shared/data") / name)
    ctx = AppContext(load_settings(HOMES / name))
    store = ctx.indexes
    ids = [p.id for p in ctx.catalog.iter_all() if p.id in store.vectors]
    whole = np.stack([store.vectors.get(pid) for pid in ids]).astype(np.float32)
    sc = DenseScorer(ids, whole, np.zeros((0, 384), np.float32), np.zeros(0, np.int64))
    row = {p: i for i, p in enumerate(ids)}
    strip = len(coll.name) + 1
    qs = {q: plain_query(t) for q, t in coll.queries.items()}
    lexs = {q: store.lexical.search(p, limit=100) for q, p in qs.items()}
    vecs = {q: ctx.search.embed_query(p.dense_text() or "") for q, p in qs.items()}
    for rule, f in RULES.items():
        run = {}
        for q in qs:
            lex, den = lexs[q], sc.top(vecs[q], "whole")
            a = f(lex, den) if lex else 0.5
            fused = convex(lex, den, a)
            top = [whole[row[p]] for p, _ in fused[:FEEDBACK_DOCS]]
            den2 = sc.top(rocchio(vecs[q], top), "whole")
            fused = convex(lex, den2, a)
            run[q] = {p[strip:]: s for p, s in fused[:100]}
        print(f"| {name} | {rule} | {score(coll.qrels, run)['ndcg@10']:.4f} |", flush=True)
    ctx.close()

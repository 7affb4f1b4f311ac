"""Blending the recommender's two models by library size (issue 14): does it close the
whole-library gap to arxiv-sanity-lite (0.656 vs 0.674 nDCG@10, results/recommend.md)?

    PYTHONPATH=src:benchmarks nice -n 10 .venv/bin/python benchmarks/recommend_blend.py

Same libraries, sizes, negatives and cached MiniLM vectors as benchmarks/recommend.py. For every
library the embedding logistic model (discover.model.fit) and the TF-IDF logistic model
(discover.lexical.lexical_scores) score all candidates once (cached in /tmp/recommend_blend.pkl);
then each blend ranks them:
  logodds w: (1 - w) * embedding + w * TF-IDF decision values (both class-balanced logistic
             regressions, so log-odds on one scale: log-linear pooling);
  z w:       the same on per-library z-scored decision values;
  w = n/(n+h): the TF-IDF weight grows with the library size n (one half at h papers).
Prints nDCG@10 (ranx) by library size; "emb", "lex" and "shipped" reproduced recommend.md before D68
(which made the TF-IDF model an SVM on 3,000 negatives; this script keeps 1,000).
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
from collections.abc import Callable

import numpy as np
from ranx import Qrels, Run, evaluate
from recommend import SIZES, _ages, _matrix, resized
from recommend_data import Record, load_records, make_tasks, vectors_for

from papersift.discover import lexical
from papersift.discover.model import fit

CACHE = "/tmp/recommend_blend.pkl"
Blend = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def z(a: np.ndarray) -> np.ndarray:
    return (a - a.mean()) / (a.std() + 1e-12)


def variants() -> dict[str, Blend]:
    out: dict[str, Blend] = {
        "emb": lambda e, lx, n: e,
        "lex": lambda e, lx, n: lx,
        "shipped": lambda e, lx, n: lx if n >= lexical.MIN_LIBRARY else e,
    }
    for w in (0.3, 0.5, 0.7):
        out[f"logodds w_lex={w}"] = lambda e, lx, n, w=w: (1 - w) * e + w * lx
        out[f"z w_lex={w}"] = lambda e, lx, n, w=w: (1 - w) * z(e) + w * z(lx)
    for h in (10, 20, 40):
        out[f"logodds w_lex=n/(n+{h})"] = lambda e, lx, n, h=h: (h * e + n * lx) / (n + h)
        out[f"z w_lex=n/(n+{h})"] = lambda e, lx, n, h=h: (h * z(e) + n * z(lx)) / (n + h)
    return out


def main() -> None:
    tasks = make_tasks(load_records())
    vecs = vectors_for([r for t in tasks for r in (*t.library, *t.candidates, *t.negatives)])
    raw = pickle.load(open(CACHE, "rb")) if os.path.exists(CACHE) else {}  # noqa: SIM115
    terms: dict[str, list[str]] = {}

    def docs(records: list[Record]) -> list[list[str]]:
        for r in records:
            terms.setdefault(r.id, lexical.terms(r.title, r.abstract, r.authors))
        return [terms[r.id] for r in records]

    for size in SIZES:
        for t in resized(tasks, size):
            if (size, t.name) not in raw:
                e = fit(_matrix(t.library, vecs), _ages(t), _matrix(t.negatives, vecs)).score(
                    _matrix(t.candidates, vecs)
                )
                lx = lexical.lexical_scores(docs(t.library), docs(t.negatives), docs(t.candidates))
                raw[(size, t.name)] = ([r.id for r in t.candidates], e, lx, len(t.library))
        with open(CACHE, "wb") as fh:
            pickle.dump(raw, fh)
    qrels = Qrels({t.name: {pid: 1 for pid in t.held_out} for t in tasks})
    print("| variant | 10 | 25 | 50 | whole |\n|---|---|---|---|---|")
    for name, blend in variants().items():
        cells = []
        for size in SIZES:
            run = {}
            for t in tasks:
                ids, e, lx, n = raw[(size, t.name)]
                s = blend(e, lx, n)
                top = np.argsort(-s, kind="stable")[:100]
                run[t.name] = {ids[i]: float(s[i]) for i in top}
            cells.append(f"{statistics.mean(evaluate(qrels, Run(run), 'ndcg@10', return_mean=False)):.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())

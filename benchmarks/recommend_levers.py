"""Levers for the recommender's per-user model (issue 14): which closes the gap to arxiv-sanity-lite
at whole-library size without losing it at 10 / 25 / 50 papers?

    PYTHONPATH=src:benchmarks nice -n 15 .venv/bin/python benchmarks/recommend_levers.py
    (environment: NEG=past,catalog,... SIZES=None,50,25,10 FEATS="tfidf;cat 1" LOSSES="svm C=1;..."
    pick the variants; LEVERS_CACHE=path the score cache)

Same libraries, sizes and cached MiniLM vectors as benchmarks/recommend.py. Variants:
  negatives  "past": 1,000 random papers of the library months (recommend.md's set-up before D68);
             "past3000": 3,000 of them (another draw);
             "catalog": 1,000 random papers of the whole catalog (library months and the test
             month), the library left out -- what Recommender.random_papers draws when it ranks
             the whole catalog: the month's papers are in the catalog, unlabelled;
             "trans": "past" plus every candidate as a negative (arxiv-sanity-lite's transductive
             training; here the TF-IDF vocabulary and idf count the candidates twice).
  features   "tfidf": discover.lexical's TF-IDF; "sk": arxiv-sanity-lite's (scikit-learn's);
             "cat a": TF-IDF rows next to a * the MiniLM vector.
  loss       "logistic C": discover.lexical.logistic; "svm C": scikit-learn LinearSVC (hinge,
             class-balanced), as arxiv-sanity-lite's serve.py.
Scores are cached in LEVERS_CACHE (default /tmp/recommend_levers.pkl; delete it after changing a model).
Prints nDCG@10 (ranx) by library size, mean and worst library.
"""

from __future__ import annotations

import os
import pickle
import random
import statistics
import sys
import time
from dataclasses import replace

import numpy as np
from ranx import Qrels, Run, evaluate
from recommend import SIZES, _ages, _matrix, resized, term_lists
from recommend_data import NEGATIVES, PERIODS, Record, Task, load_records, make_tasks, vectors_for
from scipy import sparse
from sklearn.svm import LinearSVC

from papersift.discover import lexical
from papersift.discover.model import fit

CACHE = os.environ.get("LEVERS_CACHE", "/tmp/recommend_levers.pkl")


def catalog_negatives(tasks: list[Task], past: dict[str, list[Record]], seed: int = 13) -> list[Task]:
    """The tasks with negatives drawn from the whole catalog of their period (library months and
    test month), as the product samples them; the library itself is left out."""
    out = []
    for t in tasks:
        month = t.name.split()[1]
        drawn = random.Random(f"{seed}:{month}").sample(past[month] + t.candidates, NEGATIVES)
        ids = {r.id for r in t.library}
        out.append(replace(t, negatives=[r for r in drawn if r.id not in ids]))
    return out


def sk_tfidf(t: Task) -> sparse.csr_matrix:
    """arxiv-sanity-lite's compute.py TF-IDF over library + negatives + candidates, in that order."""
    from recommend import arxiv_sanity_vectorizer

    docs = [" ".join([r.title, r.abstract, " ".join(r.authors)]) for r in (*t.library, *t.negatives, *t.candidates)]
    return sparse.csr_matrix(arxiv_sanity_vectorizer().fit_transform(docs))


def more_negatives(tasks: list[Task], past: dict[str, list[Record]], n: int, seed: int = 13) -> list[Task]:
    """The tasks with n random papers of the library months as negatives (the library left out)."""
    out = []
    for t in tasks:
        month = t.name.split()[1]
        drawn = random.Random(f"{seed}:{month}:{n}").sample(past[month], n)
        ids = {r.id for r in t.library}
        out.append(replace(t, negatives=[r for r in drawn if r.id not in ids]))
    return out


def main() -> None:
    records = load_records()
    tasks = make_tasks(records)
    past = {test: [r for r in records if r.day.isoformat()[:7] in months] for months, test in PERIODS.values()}
    variants_neg = {
        "past": tasks,
        "catalog": catalog_negatives(tasks, past),
        "past3000": more_negatives(tasks, past, 3000),
        "trans": [replace(t, negatives=t.negatives + [r for r in t.candidates]) for t in tasks],
    }
    variants_neg = {k: v for k, v in variants_neg.items() if k in os.environ.get("NEG", "past,catalog").split(",")}
    vecs = vectors_for(
        [r for ts in variants_neg.values() for t in ts for r in (*t.library, *t.candidates, *t.negatives)]
    )
    docs = term_lists()

    raw: dict[tuple[str, str, int | None, str], tuple[np.ndarray, float]] = (
        pickle.load(open(CACHE, "rb")) if os.path.exists(CACHE) else {}  # noqa: SIM115
    )
    feats = os.environ.get("FEATS", "tfidf;cat 1").split(";")
    losses = os.environ.get("LOSSES", "logistic C=10;svm C=0.1;svm C=1").split(";")
    for neg_name, neg_tasks in variants_neg.items():
        for size in [s for s in SIZES if str(s) in os.environ.get("SIZES", "None,50,25,10").split(",")]:
            for t in resized(neg_tasks, size):
                emb_key = (neg_name, t.name, size, "emb logistic")
                if emb_key not in raw:
                    started = time.perf_counter()
                    e = fit(_matrix(t.library, vecs), _ages(t), _matrix(t.negatives, vecs)).score(
                        _matrix(t.candidates, vecs)
                    )
                    raw[emb_key] = (e, time.perf_counter() - started)
                todo = [(f, lo) for f in feats for lo in losses if (neg_name, t.name, size, f"{f} | {lo}") not in raw]
                if not todo:
                    continue
                x = lexical.tfidf(docs(t.library) + docs(t.negatives) + docs(t.candidates))
                assert x is not None
                dense = np.vstack([_matrix(t.library, vecs), _matrix(t.negatives, vecs), _matrix(t.candidates, vecs)])
                split = len(t.library) + len(t.negatives)
                y = np.concatenate([np.ones(len(t.library)), np.zeros(len(t.negatives))])
                for f, lo in todo:
                    if f == "sk":
                        xf = sk_tfidf(t)
                    elif f == "tfidf":
                        xf = x
                    else:
                        xf = sparse.hstack([x, float(f.split()[1]) * sparse.csr_matrix(dense)]).tocsr()
                    started = time.perf_counter()
                    if lo.startswith("logistic"):
                        w, b = lexical.logistic(sparse.csr_matrix(xf[:split]), y, float(lo.split("=")[1]))
                        s = np.asarray(xf[split:] @ w + b).ravel()
                    else:
                        c = float(lo.split("=")[1])
                        clf = LinearSVC(C=c, class_weight="balanced", max_iter=10000, tol=1e-6).fit(xf[:split], y)
                        s = clf.decision_function(xf[split:])
                    raw[(neg_name, t.name, size, f"{f} | {lo}")] = (s, time.perf_counter() - started)
            with open(CACHE, "wb") as fh:
                pickle.dump(raw, fh)
            print(f"cached {neg_name} size {size}", flush=True)
    qrels = Qrels({t.name: {pid: 1 for pid in t.held_out} for t in tasks})
    cands = {t.name: [r.id for r in t.candidates] for t in tasks}
    names = sorted({k[3] for k in raw})
    sizes = [s for s in SIZES if all((n, t.name, s, "emb logistic") in raw for n in variants_neg for t in tasks)]
    print("| negatives | model | 10 | 25 | 50 | whole | ms (whole) |\n|---|---|---|---|---|---|---|")
    for neg_name in variants_neg:
        for name in names:
            cells = []
            if not all((neg_name, t.name, sz, name) in raw for t in tasks for sz in sizes):
                continue
            for size in sizes:
                run = {}
                for t in tasks:
                    s = raw[(neg_name, t.name, size, name)][0]
                    top = np.argsort(-s, kind="stable")[:100]
                    run[t.name] = {cands[t.name][i]: float(s[i]) for i in top}
                per = evaluate(qrels, Run(run), "ndcg@10", return_mean=False)
                cells.append(f"{statistics.mean(per):.3f} ({min(per):.2f})")
            ms = statistics.mean(raw[(neg_name, t.name, sizes[-1], name)][1] for t in tasks) * 1000
            print(f"| {neg_name} | {name} | " + " | ".join(cells) + f" | {ms:.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())

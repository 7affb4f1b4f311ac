"""Recommendation quality on real arXiv listings: papersift's model versus two baselines.

For each simulated library (see recommend_data.py: one primary category over three months,
the next month's papers of that category held out, every paper of that month a candidate)
each method ranks the candidates and we report precision@10 and nDCG@10 (ranx), averaged over
libraries. Methods:
  popularity          HF daily-papers upvotes where known, else newest first (not personal)
  arxiv-sanity-lite   its compute.py TF-IDF (title + abstract + authors, 1-2-grams, sublinear tf,
                      min_df 5, max_df 0.5, 20k features) and serve.py svm_rank: LinearSVC(C=0.1,
                      balanced) with the library positive and every other paper negative
  centroid*           cosine to the (time-weighted) mean library vector (MiniLM int8)
  knn-max             cosine to the nearest library paper
  logistic*           papersift.discover.model: logistic regression, sampled negatives
  hybrid              reciprocal-rank fusion of logistic and the TF-IDF SVM (do lexical features help?)
Needs scikit-learn (benchmark only). Usage: python benchmarks/recommend.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from ranx import Qrels, Run, evaluate
from recommend_data import Record, Task, hf_upvotes, load_records, make_tasks, vectors_for
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from papersift.discover.model import HALF_LIFE_DAYS, L2, centroid, fit, recency_weights

TOP = 100
Scorer = Callable[[Task], dict[str, float]]


def _ages(task: Task) -> list[timedelta]:
    return [task.today - r.day for r in task.library]


def _matrix(records: list[Record], vecs: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([vecs[r.id] for r in records])


def _top(ids: list[str], scores: np.ndarray) -> dict[str, float]:
    order = np.argsort(-scores, kind="stable")[:TOP]
    return {ids[i]: float(scores[i]) for i in order}


def popularity(upvotes: dict[str, int]) -> Scorer:
    def score(task: Task) -> dict[str, float]:
        ranked = sorted(task.candidates, key=lambda r: (upvotes.get(r.id, -1), r.day, r.id), reverse=True)
        return {r.id: float(TOP - i) for i, r in enumerate(ranked[:TOP])}

    return score


def arxiv_sanity(task: Task) -> dict[str, float]:
    corpus = list({r.id: r for r in (*task.library, *task.negatives, *task.candidates)}.values())
    tfidf = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    x = tfidf.fit_transform(" ".join([r.title, r.abstract, " ".join(r.authors)]) for r in corpus)
    lib = {r.id for r in task.library}
    y = np.array([1 if r.id in lib else 0 for r in corpus])
    clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1).fit(x, y)
    s = clf.decision_function(x)
    keep = [i for i, r in enumerate(corpus) if r.id not in lib and r.id in _candidate_ids(task)]
    return _top([corpus[i].id for i in keep], s[keep])


def _candidate_ids(task: Task) -> set[str]:
    if not hasattr(task, "_cids"):
        task._cids = {r.id for r in task.candidates}  # type: ignore[attr-defined]
    return task._cids  # type: ignore[attr-defined]


def embedding_scorers(vecs: dict[str, np.ndarray]) -> dict[str, Scorer]:
    def cands(task: Task) -> tuple[list[str], np.ndarray]:
        return [r.id for r in task.candidates], _matrix(task.candidates, vecs)

    def with_model(make: Callable[[Task], object]) -> Scorer:
        def score(task: Task) -> dict[str, float]:
            ids, x = cands(task)
            return _top(ids, make(task).score(x))  # type: ignore[attr-defined]

        return score

    def knn(task: Task) -> dict[str, float]:
        ids, x = cands(task)
        return _top(ids, (x @ _matrix(task.library, vecs).T).max(axis=1))

    def logistic(half_life: float, l2: float) -> Scorer:
        return with_model(
            lambda t: fit(
                _matrix(t.library, vecs), _ages(t), _matrix(t.negatives, vecs), half_life_days=half_life, l2=l2
            )
        )

    pos = lambda t: _matrix(t.library, vecs)  # noqa: E731
    scorers: dict[str, Scorer] = {
        "centroid": with_model(lambda t: centroid(pos(t), np.ones(len(t.library)))),
        "centroid, half-life 30 d": with_model(lambda t: centroid(pos(t), recency_weights(_ages(t), 30))),
        "centroid, half-life 90 d": with_model(lambda t: centroid(pos(t), recency_weights(_ages(t), 90))),
        "knn-max": knn,
    }
    for l2 in (1e-4, 1e-3, 1e-2):
        scorers[f"logistic, no decay, l2={l2:g}"] = logistic(0, l2)
    for half_life in (30.0, 90.0):
        scorers[f"logistic, half-life {half_life:g} d, l2={L2:g}"] = logistic(half_life, L2)
    return scorers


def rrf(*runs: dict[str, float], k: float = 60.0) -> dict[str, float]:
    fused: dict[str, float] = {}
    for run in runs:
        for rank, pid in enumerate(sorted(run, key=lambda p: -run[p])):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return dict(sorted(fused.items(), key=lambda kv: -kv[1])[:TOP])


def main(quick: bool = False) -> None:
    started = time.perf_counter()
    tasks = make_tasks(load_records())
    if quick:
        tasks = tasks[::3]
    vecs = vectors_for([r for t in tasks for r in (*t.library, *t.candidates, *t.negatives)])
    qrels = Qrels({t.name: {pid: 1 for pid in t.held_out} for t in tasks})
    print(
        f"{len(tasks)} libraries; candidates per library {min(len(t.candidates) for t in tasks)}-"
        f"{max(len(t.candidates) for t in tasks)}; library sizes {min(len(t.library) for t in tasks)}-"
        f"{max(len(t.library) for t in tasks)}; held-out {min(len(t.held_out) for t in tasks)}-"
        f"{max(len(t.held_out) for t in tasks)}"
    )
    scorers: dict[str, Scorer] = {
        "popularity (HF upvotes, else newest)": popularity(hf_upvotes()),
        "arxiv-sanity-lite TF-IDF + LinearSVC": arxiv_sanity,
        **embedding_scorers(vecs),
    }
    runs: dict[str, dict[str, dict[str, float]]] = {}
    for name, scorer in scorers.items():
        t0 = time.perf_counter()
        runs[name] = {t.name: scorer(t) for t in tasks}
        runs[name]["_ms"] = {"": (time.perf_counter() - t0) * 1000 / len(tasks)}
    shipped = f"logistic, half-life {HALF_LIFE_DAYS:g} d, l2={L2:g}"
    runs[f"hybrid: RRF({shipped}, TF-IDF SVM)"] = {
        t.name: rrf(runs[shipped][t.name], runs["arxiv-sanity-lite TF-IDF + LinearSVC"][t.name]) for t in tasks
    }
    print("\n| method | P@10 | nDCG@10 | worst-library nDCG@10 | ms/library |\n|---|---|---|---|---|")
    per_library: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        ms = run.pop("_ms", {"": float("nan")})[""]
        scores = evaluate(qrels, Run(run), ["precision@10", "ndcg@10"], return_mean=False)
        per_library[name] = dict(zip((t.name for t in tasks), scores["ndcg@10"], strict=True))
        mark = " (shipped)" if name == shipped else ""
        print(
            f"| {name}{mark} | {statistics.mean(scores['precision@10']):.3f} | "
            f"{statistics.mean(scores['ndcg@10']):.3f} | {min(scores['ndcg@10']):.3f} | {ms:.0f} |"
        )
    print("\nnDCG@10 per library (shipped model vs arxiv-sanity-lite vs popularity):")
    for t in tasks:
        print(
            f"  {t.name:16s} library {len(t.library):3d} held-out {len(t.held_out):3d}: "
            f"{per_library[shipped][t.name]:.3f} vs {per_library['arxiv-sanity-lite TF-IDF + LinearSVC'][t.name]:.3f}"
            f" vs {per_library['popularity (HF upvotes, else newest)'][t.name]:.3f}"
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)

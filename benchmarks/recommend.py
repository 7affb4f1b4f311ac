"""Recommendation quality on real arXiv listings: papersift's model versus two baselines.

For each simulated library (see recommend_data.py: one primary category over three months,
the next month's papers of that category held out, every paper of that month a candidate)
each method ranks the candidates and we report precision@10 and nDCG@10 (ranx), averaged over
libraries, for the whole library and for random 10/25/50-paper cuts of it (a new user keeps a
few papers, not three months of a category). Methods:
  popularity          HF daily-papers upvotes where known, else newest first (not personal)
  arxiv-sanity-lite   its compute.py TF-IDF (title + abstract + authors, 1-2-grams, sublinear tf,
                      min_df 5, max_df 0.5, 20k features) and serve.py svm_rank: LinearSVC(C=0.1,
                      balanced) with the library positive and every other paper negative: the
                      candidates and the sampled papers of the library months (twice: with
                      recommend_data.NEGATIVES = 1,000 of them, the set-up of earlier runs, and
                      with the recommender's own discover.recommend.NEGATIVES)
  centroid*           cosine to the (time-weighted) mean library vector (MiniLM int8)
  knn-max             cosine to the nearest library paper
  embedding logistic* papersift.discover.model: logistic regression on MiniLM vectors, the first
                      discover.recommend.EMBEDDING_NEGATIVES of the sampled negatives (as the recommender)
  TF-IDF SVM          papersift.discover.lexical: arxiv-sanity-lite's features, a class-balanced
                      linear SVM, the recommender's sampled negatives (no candidate is ever one)
  papersift           what ships: embedding logistic below lexical.MIN_LIBRARY papers, TF-IDF above
  RRF                 reciprocal-rank fusion of the two models (does combining help?)
Negatives: discover.recommend.NEGATIVES random papers of the library months, as the recommender
draws them from its catalog when it ranks given new papers (a digest): the catalog minus those.
Usage: PYTHONPATH=src:benchmarks python benchmarks/recommend.py [--quick]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import numpy as np
from ranx import Qrels, Run, evaluate
from recommend_data import NEGATIVES as FEW_NEGATIVES
from recommend_data import Record, Task, hf_upvotes, load_records, make_tasks, vectors_for
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from papersift.discover import lexical
from papersift.discover.model import HALF_LIFE_DAYS, L2, centroid, fit, recency_weights
from papersift.discover.recommend import EMBEDDING_NEGATIVES, NEGATIVES

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


def arxiv_sanity_vectorizer() -> TfidfVectorizer:
    """arxiv-sanity-lite's compute.py features."""
    return TfidfVectorizer(
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


def arxiv_sanity(task: Task) -> dict[str, float]:
    corpus = list({r.id: r for r in (*task.library, *task.negatives, *task.candidates)}.values())
    x = arxiv_sanity_vectorizer().fit_transform(" ".join([r.title, r.abstract, " ".join(r.authors)]) for r in corpus)
    lib = {r.id for r in task.library}
    y = np.array([1 if r.id in lib else 0 for r in corpus])
    clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1).fit(x, y)
    s = clf.decision_function(x)
    candidates = {r.id for r in task.candidates}
    keep = [i for i, r in enumerate(corpus) if r.id not in lib and r.id in candidates]
    return _top([corpus[i].id for i in keep], s[keep])


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
                _matrix(t.library, vecs),
                _ages(t),
                _matrix(t.negatives[:EMBEDDING_NEGATIVES], vecs),
                half_life_days=half_life,
                l2=l2,
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
    scorers["logistic, half-life 30 d, l2=0.001"] = logistic(30, L2)
    scorers[EMBEDDING] = logistic(HALF_LIFE_DAYS, L2)
    return scorers


def term_lists() -> Callable[[list[Record]], list[list[str]]]:
    """Records -> their `lexical.terms`, each record's computed once (cached by id)."""
    cache: dict[str, list[str]] = {}

    def docs(records: list[Record]) -> list[list[str]]:
        for r in records:
            if r.id not in cache:
                cache[r.id] = lexical.terms(r.title, r.abstract, r.authors)
        return [cache[r.id] for r in records]

    return docs


def lexical_scorer() -> Scorer:
    """papersift.discover.lexical exactly as the recommender calls it (features cached by id)."""
    docs = term_lists()

    def score(task: Task) -> dict[str, float]:
        scores = lexical.lexical_scores(docs(task.library), docs(task.negatives), docs(task.candidates))
        assert scores is not None
        return _top([r.id for r in task.candidates], scores)

    return score


def rrf(*runs: dict[str, float], k: float = 60.0) -> dict[str, float]:
    fused: dict[str, float] = {}
    for run in runs:
        for rank, pid in enumerate(sorted(run, key=lambda p: -run[p])):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return dict(sorted(fused.items(), key=lambda kv: -kv[1])[:TOP])


SIZES = (10, 25, 50, None)  # a new user's few papers ... the whole (capped) library


def resized(tasks: list[Task], size: int | None) -> list[Task]:
    """The same libraries cut to `size` random papers (all when None or smaller)."""
    if size is None:
        return tasks
    return [
        replace(
            t,
            library=sorted(
                random.Random(t.name).sample(t.library, min(size, len(t.library))), key=lambda r: (r.day, r.id)
            ),
        )
        for t in tasks
    ]


def evaluate_all(tasks: list[Task], scorers: dict[str, Scorer]) -> dict[str, dict[str, list[float] | float]]:
    qrels = Qrels({t.name: {pid: 1 for pid in t.held_out} for t in tasks})
    out: dict[str, dict[str, list[float] | float]] = {}
    runs: dict[str, dict[str, dict[str, float]]] = {}
    for name, scorer in scorers.items():
        started = time.perf_counter()
        runs[name] = {t.name: scorer(t) for t in tasks}
        ms = (time.perf_counter() - started) * 1000 / len(tasks)
        out[name] = {**evaluate(qrels, Run(runs[name]), ["precision@10", "ndcg@10"], return_mean=False), "ms": ms}
    derived = {
        SHIPPED: {t.name: runs[LEXICAL if len(t.library) >= lexical.MIN_LIBRARY else EMBEDDING][t.name] for t in tasks},
        HYBRID: {t.name: rrf(runs[EMBEDDING][t.name], runs[LEXICAL][t.name]) for t in tasks},
    }
    for name, run in derived.items():
        out[name] = {**evaluate(qrels, Run(run), ["precision@10", "ndcg@10"], return_mean=False), "ms": float("nan")}
    return out


EMBEDDING = f"embedding logistic, half-life {HALF_LIFE_DAYS:g} d, l2={L2:g}"
LEXICAL = "TF-IDF SVM (discover/lexical.py)"
SHIPPED = f"papersift: embedding logistic below {lexical.MIN_LIBRARY} papers, TF-IDF SVM from {lexical.MIN_LIBRARY}"
ARXIV_SANITY = f"arxiv-sanity-lite TF-IDF + LinearSVC, {NEGATIVES} past papers"
ARXIV_SANITY_FEW = f"arxiv-sanity-lite TF-IDF + LinearSVC, {FEW_NEGATIVES} past papers"
POPULARITY = "popularity (HF upvotes, else newest)"
HYBRID = "RRF(embedding logistic, TF-IDF SVM)"


def print_per_library(tasks: list[Task], size: int | None, results: dict[str, dict[str, list[float] | float]]) -> None:
    """Each library's nDCG@10, papersift (shipped) vs both arxiv-sanity-lite runs, and the tally."""
    ours: list[float] = results[SHIPPED]["ndcg@10"]  # type: ignore[assignment]
    print(
        f"\nnDCG@10 per library ({'whole' if size is None else size} papers): papersift (shipped) vs arxiv-sanity-lite"
    )
    print(f"with {NEGATIVES} / {FEW_NEGATIVES} past papers:")
    tally = {ARXIV_SANITY: [0, 0, 0], ARXIV_SANITY_FEW: [0, 0, 0]}
    for i, t in enumerate(tasks):
        cells = []
        for name, counts in tally.items():
            theirs: float = results[name]["ndcg@10"][i]  # type: ignore[index]
            counts[0 if ours[i] > theirs + 1e-9 else 2 if ours[i] < theirs - 1e-9 else 1] += 1
            cells.append(f"{theirs:.3f}")
        library = len(resized([t], size)[0].library)
        print(
            f"  {t.name:16s} library {library:3d}, held out {len(t.held_out):3d}: {ours[i]:.3f} vs {' / '.join(cells)}"
        )
    for name, (won, tied, lost) in tally.items():
        print(f"  vs {name}: {won} won, {tied} tied, {lost} lost; worst library {min(ours):.3f}")


def main(quick: bool = False) -> None:
    started = time.perf_counter()
    records = load_records()
    tasks = make_tasks(records, negatives=NEGATIVES)
    few = {t.name: t.negatives for t in make_tasks(records)}
    if quick:
        tasks = tasks[::3]
    vecs = vectors_for([r for t in tasks for r in (*t.library, *t.candidates, *t.negatives)])
    print(
        f"{len(tasks)} libraries ({', '.join(t.name for t in tasks)}); candidates per library "
        f"{min(len(t.candidates) for t in tasks)}-{max(len(t.candidates) for t in tasks)}; full library sizes "
        f"{min(len(t.library) for t in tasks)}-{max(len(t.library) for t in tasks)}; held-out "
        f"{min(len(t.held_out) for t in tasks)}-{max(len(t.held_out) for t in tasks)}"
    )
    scorers = {
        POPULARITY: popularity(hf_upvotes()),
        ARXIV_SANITY: arxiv_sanity,
        ARXIV_SANITY_FEW: lambda t: arxiv_sanity(replace(t, negatives=few[t.name])),
        **embedding_scorers(vecs),
        LEXICAL: lexical_scorer(),
    }
    summary: dict[str, list[str]] = {}
    for size in SIZES:
        label = "whole library (51-300 papers)" if size is None else f"{size} papers per library"
        results = evaluate_all(resized(tasks, size), scorers)
        print(
            f"\n### {label}\n\n| method | P@10 | nDCG@10 | worst library nDCG@10 | ms/library |\n|---|---|---|---|---|"
        )
        for name, r in results.items():
            mark = " **(shipped)**" if name == SHIPPED else ""
            print(
                f"| {name}{mark} | {statistics.mean(r['precision@10']):.3f} | {statistics.mean(r['ndcg@10']):.3f} "
                f"| {min(r['ndcg@10']):.3f} | {r['ms']:.0f} |"
            )
            if name in (SHIPPED, EMBEDDING, LEXICAL, ARXIV_SANITY, ARXIV_SANITY_FEW, POPULARITY):
                summary.setdefault(name, []).append(
                    f"{statistics.mean(r['precision@10']):.3f} / {statistics.mean(r['ndcg@10']):.3f}"
                )
        print_per_library(tasks, size, results)
    print(
        "\n### P@10 / nDCG@10 by library size\n\n| method | "
        + " | ".join("whole" if s is None else str(s) for s in SIZES)
        + " |\n|---|"
        + "---|" * len(SIZES)
    )
    for name, cells in summary.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)

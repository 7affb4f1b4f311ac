"""Onboarding curve: recommendation quality after 0, 10, 20, 30 ratings, by how the rated papers are chosen.

The simulated users are the libraries of recommend_data.py (one primary category C over three
months; the papers to find are C's papers of the fourth month, every paper of that month a
candidate). A simulated new user:
  * starts from SEEDS pasted papers (random papers of their library: "a few", or just one);
  * is asked about papers from the rating pool: the period's NEGATIVES random papers of the three
    library months (a sample of the catalog as it was, categories at their natural rates);
  * answers "relevant" iff the paper's primary category is C (the category that defines the
    library and the held-out month), else "not relevant".
After n answers the user's model is the product's (discover/model.py `fit`): positives = seeds +
papers rated relevant (rated "now", so no recency decay), negatives = the rest of the pool
(random catalog papers, as the recommender samples them), hard negatives = papers rated not
relevant (as "not interested" marks are). With no positive yet there is no model and the
ranking is popularity (what a site without personal data shows). nDCG@10 (ranx, binary:
held out or not) of the held-out month, mean over libraries and REPEATS draws of seeds/random.
Strategies for choosing the next round of ROUND = 10 papers (the model refitted between rounds,
as the onboarding page asks):
  random       uniformly from the pool
  popularity   most HF upvotes first (then newest), the "rate these well-known papers" approach
  active       discover/onboarding.py `choose`, what ships: uncertainty at the model's own cut
               (BASE_RATE None), MMR diversity within the round (popularity before any positive)
  top5         ablation, the first default: uncertainty around the score above which 5% of the pool lies
  greedy       ablation: the model's top-scored papers (relevance feedback, no uncertainty)
The n=0 column is the model from the pasted papers alone (the same for every strategy).
`--strategies=random,active` runs only those rows (keys: random, popularity, active, top5, greedy).
Usage: python benchmarks/onboarding.py [--quick] [--seeds=3,1] [--repeats=3] [--strategies=...]
(uses recommend_data.py's cached vectors)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from ranx import Qrels, Run, evaluate
from recommend_data import NEGATIVES, PERIODS, Record, Task, hf_upvotes, load_records, make_tasks, vectors_for

from papersift.discover.model import LibraryModel, fit
from papersift.discover.onboarding import BASE_RATE, DIVERSITY, ROUND, choose

STEPS = (0, ROUND, 2 * ROUND, 3 * ROUND)  # 0, 10, 20, 30 answers
REPEATS = 3
CUT = "the model's own cut" if BASE_RATE is None else f"the score above which {BASE_RATE:.0%} of the pool lies"
SHIPPED = f"active (shipped): uncertainty at {CUT}, MMR diversity {DIVERSITY}"
TOP = 100
SEEDS = (3, 1)  # pasted papers the user starts from: "a few", or just one


@dataclass
class Setting:
    """One library, one draw: the pool to rate from, with the simulated user's answers."""

    task: Task
    category: str
    pool: list[Record]
    pool_x: np.ndarray
    truth: np.ndarray  # True where the simulated user answers "relevant"
    popularity: np.ndarray  # HF upvotes (-1 unknown) + a newest-first tie-break
    seeds: list[int]  # indices into the library
    rng: random.Random


Chooser = Callable[[Setting, list[int], LibraryModel | None], list[int]]  # the next ROUND to ask


def period_pool(records: list[Record], label: str, seed: int = 13) -> list[Record]:
    """The same random sample of the library months that make_tasks draws its negatives from."""
    lib_months, _ = PERIODS[label]
    past = [r for r in records if r.day.isoformat()[:7] in lib_months]
    return random.Random(f"{seed}:{label}").sample(past, NEGATIVES)


def model_after(s: Setting, rated: list[int], vecs: dict[str, np.ndarray]) -> LibraryModel | None:
    """The product's model from the seeds and the answers so far (None: no positive yet)."""
    pos = [vecs[s.task.library[i].id] for i in s.seeds] + [s.pool_x[i] for i in rated if s.truth[i]]
    if not pos:
        return None
    asked = set(rated)
    negatives = np.stack([s.pool_x[i] for i in range(len(s.pool)) if i not in asked])
    hard = [s.pool_x[i] for i in rated if not s.truth[i]]
    return fit(np.stack(pos), [timedelta(0)] * len(pos), negatives, np.stack(hard) if hard else None)


def rank(
    s: Setting, model: LibraryModel | None, vecs: dict[str, np.ndarray], upvotes: dict[str, int]
) -> dict[str, float]:
    cands = s.task.candidates
    if model is None:
        ordered = sorted(cands, key=lambda r: (upvotes.get(r.id, -1), r.day, r.id), reverse=True)[:TOP]
        return {r.id: float(TOP - i) for i, r in enumerate(ordered)}
    scores = model.score(np.stack([vecs[r.id] for r in cands]))
    order = np.argsort(-scores, kind="stable")[:TOP]
    return {cands[i].id: float(scores[i]) for i in order}


def _free(s: Setting, rated: list[int]) -> list[int]:
    done = set(rated)
    return [i for i in range(len(s.pool)) if i not in done]


def by_random(s: Setting, rated: list[int], model: LibraryModel | None) -> list[int]:
    return s.rng.sample(_free(s, rated), ROUND)


def by_popularity(s: Setting, rated: list[int], model: LibraryModel | None) -> list[int]:
    done = set(rated)
    return [int(i) for i in np.argsort(-s.popularity, kind="stable") if int(i) not in done][:ROUND]


def by_activity(diversity: float = DIVERSITY, base_rate: float | None = BASE_RATE) -> Chooser:
    def pick(s: Setting, rated: list[int], model: LibraryModel | None) -> list[int]:
        free = _free(s, rated)
        prior = s.popularity[free]
        order = choose(s.pool_x[free], ROUND, model=model, prior=prior, diversity=diversity, base_rate=base_rate)
        return [free[i] for i in order]

    return pick


def by_score(s: Setting, rated: list[int], model: LibraryModel | None) -> list[int]:
    if model is None:
        return by_popularity(s, rated, model)
    free = _free(s, rated)
    scores = model.score(s.pool_x[free])
    return [free[i] for i in np.argsort(-scores, kind="stable")[:ROUND]]


ALL_STRATEGIES: dict[str, tuple[str, Chooser]] = {  # --strategies key: (row label, chooser)
    "random": ("random", by_random),
    "popularity": ("popularity", by_popularity),
    "active": (SHIPPED, by_activity()),
    "top5": ("active, uncertainty around the top 5% (the first default)", by_activity(base_rate=0.05)),
    "greedy": ("greedy (the model's top papers)", by_score),
}
STRATEGIES: dict[str, Chooser] = dict(ALL_STRATEGIES.values())


def curve(
    s: Setting, chooser: Chooser, vecs: dict[str, np.ndarray], upvotes: dict[str, int], start: dict[str, float]
) -> tuple[dict[int, dict[str, float]], dict[int, int]]:
    """The ranking after each of STEPS answers (`start`: the one at 0, the same for every
    strategy), and how many answers were "relevant" by then. Papers are asked in rounds of
    ROUND chosen under the model fitted at the round's start, as the onboarding page does."""
    rated: list[int] = []
    runs: dict[int, dict[str, float]] = {0: start}
    positives: dict[int, int] = {0: 0}
    model = model_after(s, rated, vecs)
    while len(rated) < max(STEPS):
        rated += chooser(s, rated, model)
        model = model_after(s, rated, vecs)
        runs[len(rated)] = rank(s, model, vecs, upvotes)
        positives[len(rated)] = int(s.truth[rated].sum())
    return runs, positives


def main(
    quick: bool = False,
    seeds: tuple[int, ...] = SEEDS,
    repeats: int = REPEATS,
    strategies: dict[str, Chooser] = STRATEGIES,
) -> None:
    started = time.perf_counter()
    records = load_records()
    tasks = make_tasks(records)
    if quick:
        tasks = tasks[::3]
    upvotes = hf_upvotes()
    pools = {label: period_pool(records, label) for label in PERIODS}
    vecs = vectors_for([r for t in tasks for r in (*t.library, *t.candidates)] + [r for p in pools.values() for r in p])
    repeats = 1 if quick else repeats
    print(
        f"{len(tasks)} libraries, {repeats} draws each; rating pool {NEGATIVES} random papers of the library months; "
        f"the simulated user's share of relevant papers in the pool: "
        + ", ".join(f"{t.name} {sum(r.category == t.name.split()[0] for r in pools[_label(t)])}" for t in tasks)
    )
    for n_seeds in seeds:
        scores: dict[str, dict[int, list[float]]] = {name: {n: [] for n in STEPS} for name in strategies}
        found: dict[str, dict[int, list[int]]] = {name: {n: [] for n in STEPS} for name in strategies}
        qrels = Qrels({t.name: {pid: 1 for pid in t.held_out} for t in tasks})
        for rep in range(repeats):
            runs = {name: {n: {} for n in STEPS} for name in strategies}
            for t in tasks:
                first = _setting(t, pools[_label(t)], vecs, upvotes, n_seeds, rep)
                start = rank(first, model_after(first, [], vecs), vecs, upvotes)
                for name, chooser in strategies.items():
                    s = _setting(t, pools[_label(t)], vecs, upvotes, n_seeds, rep)
                    by_step, pos = curve(s, chooser, vecs, upvotes, start)
                    for n in STEPS:
                        runs[name][n][t.name] = by_step[n]
                        found[name][n].append(pos[n])
            for name in strategies:
                for n in STEPS:
                    scores[name][n].append(float(evaluate(qrels, Run(runs[name][n]), "ndcg@10")))
            print(f"  {n_seeds} seeds: draw {rep + 1} done ({time.perf_counter() - started:.0f} s)", flush=True)
        label = f"{n_seeds} pasted paper{'s' if n_seeds != 1 else ''}"
        print(
            f"\n### Start: {label}\n\nnDCG@10 of the held-out month after n ratings (mean over draws; ± sd of draws)\n"
        )
        print("| strategy | " + " | ".join(f"n={n}" for n in STEPS) + " | relevant answers among 10 / 20 / 30 |")
        print("|---|" + "---|" * (len(STEPS) + 1))
        for name in strategies:
            cells = [
                f"{statistics.mean(scores[name][n]):.3f} ± {statistics.pstdev(scores[name][n]):.3f}" for n in STEPS
            ]
            hits = " / ".join(f"{statistics.mean(found[name][n]):.1f}" for n in STEPS[1:])
            print(f"| {name} | " + " | ".join(cells) + f" | {hits} |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def _label(task: Task) -> str:
    month = task.today.isoformat()[:7]
    return next(label for label, (_, test) in PERIODS.items() if test == month)


def _setting(
    task: Task, pool: list[Record], vecs: dict[str, np.ndarray], upvotes: dict[str, int], n_seeds: int, rep: int
) -> Setting:
    category = task.name.split()[0]
    rng = random.Random(f"{task.name}:{rep}")
    seeds = rng.sample(range(len(task.library)), n_seeds)
    seed_ids = {task.library[i].id for i in seeds}
    kept = [r for r in pool if r.id not in seed_ids]
    newest = date(2000, 1, 1)
    popularity = np.array(
        [upvotes.get(r.id, -1) + (r.day - newest).days / 1e6 for r in kept], dtype=np.float64
    )  # upvotes, then newest first
    return Setting(
        task,
        category,
        kept,
        np.stack([vecs[r.id] for r in kept]),
        np.array([r.category == category for r in kept]),
        popularity,
        seeds,
        random.Random(f"{task.name}:{rep}:random"),
    )


def _option(name: str, default: str) -> str:
    return next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(f"--{name}=")), default)


if __name__ == "__main__":
    main(
        quick="--quick" in sys.argv,
        seeds=tuple(int(x) for x in _option("seeds", ",".join(map(str, SEEDS))).split(",")),
        repeats=int(_option("repeats", str(REPEATS))),
        strategies=dict(ALL_STRATEGIES[k] for k in _option("strategies", ",".join(ALL_STRATEGIES)).split(",")),
    )

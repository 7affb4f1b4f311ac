"""The impact prior (papersift.discover.impact) against baselines, on a time-ordered split of the
real HF daily-papers data; and what the prior does to the trending ranking at hour 0.

Data: shared/data/hf-daily-papers/corpus.jsonl.gz read through the product's `beir` source
(title, abstract, authors, code/project links, one upvote snapshot per paper). Organisations are
added from the corpus' `organization` field (its HF display name); categories, which HF does not
give, from shared/data/arxiv-daily-cs where the paper is listed there (as a catalog holding both
collections would have them). Split: the last 20% of featured days are the test days; every
model is fitted on the earlier days only; author/organisation history for any paper comes from
papers featured strictly before its day (so a test paper sees earlier test days' votes, as it
would in use, never its own). Measures (papersift.discover.impact_eval): mean within-day
Spearman between prediction and actual upvotes over test days with >= 5 papers, and precision
of each day's predicted top 3.

Replay (`--replay`): on every test day, the model fitted on the training days predicts that
day's papers (out of sample, as above). At hour 0 of day D, today's papers have no
votes and the papers of the 13 previous days have their (final) snapshot; we rank the 14-day
pool with the shipped trending score, with and without the prior, and compare with the
ranking at the end of day D (today's papers at their snapshot votes): Spearman over the pool,
overlap of the top 10, and how many of today's final top 3 are in the hour-0 top 10.
Rolling origin (`--rolling`): instead of one split, the prior is refitted at the start of every
month on all earlier papers and predicts that month; the scores and the replay then cover every
day after the first MIN_TRAIN_PAPERS papers.
Validation (`--validate`): the same table on a split *inside* the training days (the last 20% of
them validate, the earlier ones train), plus the design variants (other learners, fewer
features). Choices are made on this split, so the test days are looked at once per design.
Usage: python benchmarks/impact.py [--replay | --rolling | --validate] [CORPUS]
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import logging
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import lightgbm
import numpy as np
from scipy import sparse
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

from papersift.community.trending import trending_score
from papersift.discover.impact import TREE_PARAMS, ImpactModel
from papersift.discover.impact_eval import DayScores, day_scores, time_split
from papersift.discover.impact_features import FEATURES, Announcement, History, announcement, log_votes
from papersift.paper import Paper
from papersift.sources import SourceContext, get_source

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT = DATA / "hf-daily-papers" / "corpus.jsonl.gz"
CATEGORIES = DATA / "arxiv-daily-cs" / "corpus.jsonl.gz"
POOL_DAYS, TOP = 14, 10
FIRST_FEATURES = 18  # the features of the first prior (issue 16, D21); the rest came with the second


class FirstFeatures(History):
    """Variant: only the first prior's 18 features (the later history columns held constant)."""

    def matrix(self, anns: Sequence[Announcement]) -> np.ndarray:
        x = super().matrix(anns)
        x[:, FIRST_FEATURES:] = 0.0
        return x


class SklearnTrees(ImpactModel):
    """Variant: the first prior's learner, scikit-learn's HistGradientBoostingRegressor."""

    def __init__(self) -> None:
        super().__init__()
        self.trees = HistGradientBoostingRegressor(
            max_iter=300, learning_rate=0.04, min_samples_leaf=40, random_state=0
        )


class DayRanker(ImpactModel):
    """Variant: LightGBM lambdarank, each featured day one query group; relevance label
    floor(log2(1 + upvotes)) (0-7 here), since the measure is a ranking within the day."""

    def __init__(self) -> None:
        super().__init__()
        self.trees = lightgbm.LGBMRanker(**TREE_PARAMS, lambdarank_truncation_level=30)

    def _fit_trees(
        self, anns: Sequence[Announcement], upvotes: Sequence[int], x: np.ndarray, target: np.ndarray
    ) -> None:
        order = sorted(range(len(anns)), key=lambda i: (anns[i].day or date.min, i))
        labels = np.minimum(np.floor(np.log2(1 + np.maximum(np.asarray(upvotes), 0))), 30).astype(int)
        sizes = [sum(1 for _ in group) for _, group in itertools.groupby(anns[i].day for i in order)]
        self.trees.fit(x[order], labels[order], group=sizes)


def load(path: Path) -> tuple[list[Announcement], list[int]]:
    rows = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows[r["_id"]] = r
    cats: dict[str, list[str]] = {}
    if CATEGORIES.exists():
        with gzip.open(CATEGORIES, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["_id"] in rows:
                    cats[r["_id"]] = list(r.get("categories") or [])
    papers = [p for p in get_source("beir")(str(path), SourceContext()) if isinstance(p, Paper)]
    anns, votes = [], []
    for p in sorted(papers, key=lambda p: (p.listing_date or date.min, p.id)):
        org = rows[p.id].get("organization")
        ann = dataclasses.replace(
            announcement(p), organization=org.lower() if org else None, categories=tuple(cats.get(p.id, ()))
        )
        anns.append(ann)
        votes.append(max((o.upvotes or 0 for o in p.popularity), default=0))
    return anns, votes


def category_mean(anns: Sequence[Announcement], y: np.ndarray, train: list[int]) -> np.ndarray:
    """Mean training log-votes of the paper's primary category (the overall mean when unknown)."""
    sums: dict[str, list[float]] = defaultdict(list)
    for i in train:
        if anns[i].categories:
            sums[anns[i].categories[0]].append(y[i])
    means = {c: statistics.mean(v) for c, v in sums.items()}
    overall = float(np.mean(y[train]))
    return np.array([means.get(a.categories[0], overall) if a.categories else overall for a in anns])


def tfidf_author_ridge(anns: Sequence[Announcement], y: np.ndarray, train: list[int]) -> np.ndarray:
    """The reference baseline: ridge on TF-IDF words plus one token per author."""
    words = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))
    people = TfidfVectorizer(analyzer=lambda authors: authors)
    words.fit([anns[i].text for i in train])
    people.fit([anns[i].authors for i in train])
    x = sparse.hstack([words.transform([a.text for a in anns]), people.transform([a.authors for a in anns])]).tocsr()
    return np.asarray(Ridge(alpha=3.0).fit(x[train], y[train]).predict(x))


def evaluate(
    anns: list[Announcement], votes: list[int], validate: bool = False
) -> tuple[list[tuple[str, DayScores, float]], dict[int, float]]:
    """The table rows, and the shipped model's test-day predictions as upvotes (for the replay).

    `validate`: train and score inside the training days (their last 20% validate), with the variants."""
    days = [a.day for a in anns]
    train, test, cut = time_split(days)
    if validate:
        inner_train, inner_test, cut = time_split([days[i] for i in train])
        train, test = [train[i] for i in inner_train], [train[i] for i in inner_test]
    y = np.array([log_votes(v) for v in votes])
    history = History(zip(anns, votes, strict=True))
    test_days = [days[i] for i in test]
    actual = [float(votes[i]) for i in test]
    held = "validation" if validate else "test"
    print(
        f"papers {len(anns)}: train {len(train)} (days before {cut}), "
        f"{held} {len(test)} (days from {cut} to {days[test[-1]]})"
    )
    results = []

    def record(name: str, predicted: np.ndarray, seconds: float) -> None:
        scores = day_scores(test_days, [float(predicted[i]) for i in test], actual)
        results.append((name, scores, seconds))
        print(f"  {name}: spearman {scores.spearman:.3f}, top-3 {scores.top3:.3f} ({seconds:.1f} s)", flush=True)

    expected: dict[int, float] = {}
    rng = np.random.default_rng(0)
    record("random", rng.random(len(anns)), 0.0)
    record("category mean", category_mean(anns, y, train), 0.0)
    x = history.matrix(anns)
    record("has code + author count", x[:, 12] * 100 + x[:, 14], 0.0)
    start = time.perf_counter()
    record("TF-IDF + author-token ridge", tfidf_author_ridge(anns, y, train), time.perf_counter() - start)
    no_orgs = [dataclasses.replace(a, organization=None) for a in anns]
    variants: list[tuple[str, list[Announcement], type[History], type[ImpactModel]]] = [
        ("papersift impact prior", anns, History, ImpactModel),
        ("  without organisations", no_orgs, History, ImpactModel),
    ]
    if validate:
        variants += [
            (f"  only the first {FIRST_FEATURES} of the {len(FEATURES)} features", anns, FirstFeatures, ImpactModel),
            ("  scikit-learn HistGradientBoosting instead of LightGBM", anns, History, SklearnTrees),
            (f"  scikit-learn trees and the first {FIRST_FEATURES} features", anns, FirstFeatures, SklearnTrees),
            ("  LightGBM lambdarank, days as query groups", anns, History, DayRanker),
        ]
    for name, subset, history_kind, model_kind in variants:
        start = time.perf_counter()
        sub_history = history_kind(zip(subset, votes, strict=True))
        model = model_kind().fit([subset[i] for i in train], [votes[i] for i in train], sub_history)
        predicted = np.zeros(len(anns))
        predicted[test] = model.predict([subset[i] for i in test], sub_history)
        record(name, predicted, time.perf_counter() - start)
        if not expected:
            expected = {i: model.expected_votes(float(predicted[i])) for i in test}
    return results, expected


def replay(anns: list[Announcement], votes: list[int], predicted: dict[int, float]) -> None:
    """Hour-0 trending vs end of day, on the days whose papers have out-of-sample predictions."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for i, a in enumerate(anns):
        if a.day:
            by_day[a.day].append(i)
    stats: dict[str, list[float]] = defaultdict(list)
    for d in sorted(by_day):
        if not all(i in predicted for i in by_day[d]):
            continue
        pool = [i for k in range(POOL_DAYS) for i in by_day.get(d - timedelta(days=k), [])]
        if len(pool) < TOP:
            continue

        def rank(hour0: bool, prior: bool, pool: list[int] = pool, d: date = d) -> list[float]:
            scores = []
            for i in pool:
                today = anns[i].day == d
                real = 0 if hour0 and today else votes[i]
                guess = predicted.get(i) if prior else None
                scores.append(trending_score(real, 0, anns[i].day, d, prior=guess))
            return scores

        final = rank(False, False)
        final_top = set(np.argsort(-np.array(final), kind="stable")[:TOP])
        today_rows = [k for k, i in enumerate(pool) if anns[i].day == d]
        today_best = sorted(today_rows, key=lambda k: -votes[pool[k]])[:3]
        for label, prior in (("without prior", False), ("with prior", True)):
            hour0 = rank(True, prior)
            top = set(np.argsort(-np.array(hour0), kind="stable")[:TOP])
            rho = spearmanr(hour0, final).statistic
            stats[f"{label} spearman"].append(0.0 if math.isnan(rho) else float(rho))
            stats[f"{label} top10"].append(len(top & final_top) / TOP)
            stats[f"{label} today"].append(sum(k in top for k in today_best) / len(today_best))
            today_rho = spearmanr([hour0[k] for k in today_rows], [final[k] for k in today_rows]).statistic
            stats[f"{label} today rho"].append(0.0 if math.isnan(today_rho) else float(today_rho))
    n = len(stats["with prior spearman"])
    print(f"\nreplay over the {n} days with out-of-sample predictions (of {len(by_day)} featured days)")
    print("hour 0 vs end of day | pool Spearman | top-10 overlap | today's final top 3 in top 10 | today's Spearman")
    for label in ("without prior", "with prior"):
        print(
            f"{label:20s} | {np.mean(stats[f'{label} spearman']):13.3f} | {np.mean(stats[f'{label} top10']):14.3f} | "
            f"{np.mean(stats[f'{label} today']):29.3f} | {np.mean(stats[f'{label} today rho']):16.3f}"
        )


MIN_TRAIN_PAPERS = 500  # a month is predicted only once this many earlier papers can train the model


def rolling(anns: list[Announcement], votes: list[int]) -> dict[int, float]:
    """Rolling origin: at the start of every calendar month the prior is refitted on all papers
    featured before that month and predicts that month's papers (author/organisation history,
    as everywhere, only from strictly earlier days). Prints the within-day scores over every
    predicted day; returns the predictions as expected upvotes, for the replay."""
    days = [a.day for a in anns]
    months = sorted({d.replace(day=1) for d in days if d is not None})
    history = History(zip(anns, votes, strict=True))
    raw: dict[int, float] = {}
    expected: dict[int, float] = {}
    fits = 0
    started = time.perf_counter()
    for first, end in zip(months, [*months[1:], date.max], strict=True):
        train = [i for i, d in enumerate(days) if d is not None and d < first]
        month = [i for i, d in enumerate(days) if d is not None and first <= d < end]
        if len(train) < MIN_TRAIN_PAPERS or not month:
            continue
        model = ImpactModel().fit([anns[i] for i in train], [votes[i] for i in train], history)
        fits += 1
        for i, p in zip(month, model.predict([anns[i] for i in month], history), strict=True):
            raw[i] = float(p)
            expected[i] = model.expected_votes(float(p))
    rows = sorted(raw)
    scores = day_scores([days[i] for i in rows], [raw[i] for i in rows], [float(votes[i]) for i in rows])
    covered = len({days[i] for i in rows})
    print(
        f"\nrolling origin: {fits} monthly refits, {len(rows)} papers on {covered} of "
        f"{len({d for d in days if d})} featured days predicted out of sample ({time.perf_counter() - started:.0f} s)"
    )
    print(f"  within-day Spearman {scores.spearman:.3f}, top-3 precision {scores.top3:.3f} over {scores.days} days")
    return expected


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else DEFAULT
    anns, votes = load(path)
    print(f"categories known for {sum(bool(a.categories) for a in anns)} papers (from arxiv-daily-cs)")
    if "--rolling" in sys.argv:  # every day the data allows, instead of the last 20%
        replay(anns, votes, rolling(anns, votes))
        return
    validate = "--validate" in sys.argv
    results, expected = evaluate(anns, votes, validate=validate)
    print(f"\n| method | within-day Spearman | top-3 precision | {'validation' if validate else 'test'} days |")
    print("|---|---|---|---|")
    for name, scores, _ in results:
        print(f"| {name.strip()} | {scores.spearman:.3f} | {scores.top3:.3f} | {scores.days} |")
    if "--replay" in sys.argv:
        replay(anns, votes, expected)


if __name__ == "__main__":
    main()

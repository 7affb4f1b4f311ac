"""The impact prior: a prediction, at announcement, of how many upvotes a paper will get.

A paper announced this morning has no votes, so trending cannot rank it. This model learns,
from every catalog paper that has external upvotes (Hugging Face daily papers), how votes
relate to what is known on announcement day (`impact_features.Announcement`): the words of the
title and abstract, its authors' and organisation's earlier papers, code/project links, sizes.
It never sees a paper's own votes or comments as an input.

Learner: a TF-IDF ridge regression (scikit-learn) on the words gives a text score; LightGBM
gradient-boosted trees combine it with the history features and with every feature's rank
among the same day's papers (a day's list is known at announcement, and being the strongest
lab of a quiet day matters more than the absolute figure). The ridge's score for the training
papers is out-of-fold, so the trees learn how far to trust text on papers the ridge has not
memorised. The target is log(1 + upvotes) minus its day's mean: the prior orders papers
*within* a day, and how busy a day was is noise for that. LightGBM with row and column
subsampling replaced scikit-learn's HistGradientBoosting (+0.02 within-day Spearman on a
validation split of the training days; a lambdarank objective grouped by day was measured and
was no better: benchmarks/results/impact.md).
So `predict` is a relative score (log scale, 0 = an average paper of its day), not a count;
`expected_votes` turns it into upvotes on a day of average activity.

What it is not: a measure of quality, or of citations; it learns what one community
upvoted, including its taste for famous labs and trendy topics (docs/impact.md).
"""

from __future__ import annotations

import io
import logging
import pickle
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import sklearn
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from papersift.discover.impact_features import FEATURES, Announcement, History, log_votes, shown
from papersift.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

TEXT_FEATURE = ("text_score", "the words of its title and abstract", "score")
_COLUMNS = (*FEATURES, TEXT_FEATURE)
DAY_RANKED = tuple(range(len(_COLUMNS)))  # every column is also given as a rank among the day's papers
NAMES = (
    *_COLUMNS,
    *((f"{_COLUMNS[j][0]}_day_rank", f"{_COLUMNS[j][1]} among the day's papers", "rank") for j in DAY_RANKED),
)
RIDGE_ALPHA = 3.0
FOLDS = 5
SEED = 0
# The boosted trees' settings (chosen on the validation split, docs/DECISIONS.md D64); the
# benchmark's ranking variant uses the same ones.
TREE_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 40,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "random_state": SEED,
    "n_jobs": 1,
    "verbose": -1,
}


def day_centred(anns: Sequence[Announcement], upvotes: Sequence[int]) -> np.ndarray:
    """log(1 + upvotes) minus the mean of the same day's papers (the training target)."""
    y = np.array([log_votes(v) for v in upvotes], dtype=np.float64)
    groups: dict[object, list[int]] = defaultdict(list)
    for i, a in enumerate(anns):
        groups[a.day].append(i)
    for rows in groups.values():
        y[rows] -= y[rows].mean()
    return y


def _text_model() -> tuple[TfidfVectorizer, Ridge]:
    words = TfidfVectorizer(sublinear_tf=True, min_df=3, ngram_range=(1, 2), stop_words="english", max_features=200_000)
    return words, Ridge(alpha=RIDGE_ALPHA)


def _with_day_ranks(anns: Sequence[Announcement], x: np.ndarray) -> np.ndarray:
    """`x` plus, for the DAY_RANKED columns, each paper's percentile among the papers of its day
    in `anns` (a file of one day's papers, or the training papers grouped by day)."""
    ranks = np.zeros((len(anns), len(DAY_RANKED)))
    groups: dict[object, list[int]] = defaultdict(list)
    for i, a in enumerate(anns):
        groups[a.day].append(i)
    for rows in groups.values():
        ranks[rows] = (rankdata(x[np.ix_(rows, DAY_RANKED)], axis=0) - 0.5) / len(rows)
    return np.column_stack([x, ranks])


@dataclass(frozen=True)
class Reason:
    """A feature that raised (or lowered) one prediction, by how much on the log scale."""

    feature: str
    text: str
    effect: float

    def __str__(self) -> str:
        return f"{'↑' if self.effect > 0 else '↓'} {self.text}"


class ImpactModel:
    """Text ridge + boosted trees over announcement-time features; see the module docstring."""

    def __init__(self) -> None:
        self.words, self.ridge = _text_model()
        self.trees = lightgbm.LGBMRegressor(**TREE_PARAMS)
        self.medians = np.zeros(len(NAMES))
        self.mean_log = 0.0
        self.trained_on = 0

    def fit(self, anns: Sequence[Announcement], upvotes: Sequence[int], history: History) -> ImpactModel:
        """Learn from papers with known upvotes; `history` must hold them (and may hold more)."""
        if len(anns) < FOLDS * 2:
            raise ValueError(f"need at least {FOLDS * 2} papers with upvotes to learn from, got {len(anns)}")
        target = day_centred(anns, upvotes)
        texts = [a.text for a in anns]
        matrix = self.words.fit_transform(texts)
        text_score = np.zeros(len(anns))
        for fit_rows, held in KFold(FOLDS, shuffle=True, random_state=SEED).split(texts):
            fold = Ridge(alpha=RIDGE_ALPHA).fit(matrix[fit_rows], target[fit_rows])
            text_score[held] = fold.predict(matrix[held])
        self.ridge.fit(matrix, target)
        x = _with_day_ranks(anns, np.column_stack([history.matrix(anns), text_score]))
        self._fit_trees(anns, upvotes, x, target)
        self.medians = np.median(x, axis=0)
        self.mean_log = float(np.mean([log_votes(v) for v in upvotes]))
        self.trained_on = len(anns)
        return self

    def _fit_trees(
        self, anns: Sequence[Announcement], upvotes: Sequence[int], x: np.ndarray, target: np.ndarray
    ) -> None:
        """Fit the trees on the inputs `x` (a hook: benchmarks/impact.py measures other learners here)."""
        self.trees.fit(x, target)

    def _inputs(self, anns: Sequence[Announcement], history: History) -> np.ndarray:
        text_score = self.ridge.predict(self.words.transform([a.text for a in anns])) if anns else np.zeros(0)
        return _with_day_ranks(anns, np.column_stack([history.matrix(anns), text_score]))

    def predict(self, anns: Sequence[Announcement], history: History) -> np.ndarray:
        """Relative predicted attention (log scale; 0 = an average paper of its day), one per paper."""
        if not anns:
            return np.zeros(0)
        return self._trees_predict(self._inputs(anns, history))

    def _trees_predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.trees.predict(x), dtype=np.float64)

    def expected_votes(self, relative: float) -> float:
        """A relative prediction as upvotes on a day of average activity (what pages show)."""
        return float(np.expm1(max(self.mean_log + relative, 0.0)))

    def explain(self, anns: Sequence[Announcement], history: History, top: int = 3) -> list[list[Reason]]:
        """For each paper, the features whose value moved its prediction most, largest first.

        A feature's effect is the prediction minus the prediction with that feature set to its
        training median ("what if this paper were ordinary in this respect")."""
        if not anns:
            return []
        x = self._inputs(anns, history)
        base = self._trees_predict(x)
        effects = np.zeros_like(x)
        for j in range(x.shape[1]):
            ordinary = x.copy()
            ordinary[:, j] = self.medians[j]
            effects[:, j] = base - self._trees_predict(ordinary)
        reasons = []
        for values, row in zip(x, effects, strict=True):
            order = np.argsort(-np.abs(row), kind="stable")[:top]
            reasons.append(
                [
                    Reason(NAMES[j][0], shown(NAMES[j][1], NAMES[j][2], values[j]), float(row[j]))
                    for j in order
                    if row[j]
                ]
            )
        return reasons

    # --- storage: one pickle in the home, written atomically -------------------------------------

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        versions = {"sklearn": sklearn.__version__, "lightgbm": lightgbm.__version__}
        pickle.dump({**versions, "model": self}, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        """Replace the stored model atomically (a reader sees the old model or the new one)."""
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> ImpactModel:
        """The model saved by `save`. Only the operator writes the home, whose files are trusted
        like its code (pickle runs code on load); a model from another scikit-learn or LightGBM is refused."""
        with path.open("rb") as fh:
            stored: dict[str, Any] = pickle.load(fh)  # noqa: S301 - operator-owned file, see docstring
        same = stored.get("sklearn") == sklearn.__version__ and stored.get("lightgbm") == lightgbm.__version__
        if not same or not isinstance(stored.get("model"), cls):
            raise ValueError(f"{path} was saved by another version; run `papersift impact train` again")
        model: ImpactModel = stored["model"]
        return model

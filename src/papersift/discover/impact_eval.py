"""How well a predicted ranking of each day's papers matches the votes they went on to get.

The impact prior is used to order papers announced on the same day, so it is judged day by day:
the Spearman rank correlation between predicted and actual upvotes within each day (days with at
least `MIN_DAY` papers), averaged over days, and the precision of the day's predicted top 3 (a
predicted paper is a hit when its actual votes reach the day's third-highest count, so ties at
the boundary are not luck). Training days always come before test days (`time_split`): the model
is scored on days it has never seen, as it will be in use.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.stats import spearmanr

MIN_DAY = 5
TOP = 3


@dataclass(frozen=True)
class DayScores:
    """Mean within-day Spearman and top-3 precision over `days` days."""

    spearman: float
    top3: float
    days: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "within_day_spearman": round(self.spearman, 4),
            "top3_precision": round(self.top3, 4),
            "days": self.days,
        }


def time_split(days: Sequence[date | None], test_share: float = 0.2) -> tuple[list[int], list[int], date]:
    """(train rows, test rows, first test day): the last `test_share` of distinct days is the test set."""
    distinct = sorted({d for d in days if d is not None})
    if len(distinct) < 2:
        raise ValueError("a time-ordered split needs papers on at least two days")
    test_days = min(len(distinct) - 1, max(1, round(len(distinct) * test_share)))
    cut = distinct[len(distinct) - test_days]
    train = [i for i, d in enumerate(days) if d is not None and d < cut]
    test = [i for i, d in enumerate(days) if d is not None and d >= cut]
    return train, test, cut


def day_scores(days: Sequence[date | None], predicted: Sequence[float], actual: Sequence[float]) -> DayScores:
    """Within-day agreement of `predicted` with `actual` over days with >= MIN_DAY papers.

    A day whose predictions are all equal (no ranking at all) counts as a correlation of 0."""
    groups: dict[date, list[int]] = defaultdict(list)
    for i, d in enumerate(days):
        if d is not None:
            groups[d].append(i)
    rhos: list[float] = []
    hits: list[float] = []
    for rows in groups.values():
        if len(rows) < MIN_DAY:
            continue
        p = np.asarray([predicted[i] for i in rows], dtype=np.float64)
        a = np.asarray([actual[i] for i in rows], dtype=np.float64)
        rho = float(spearmanr(p, a).statistic) if np.ptp(p) > 0 and np.ptp(a) > 0 else 0.0
        rhos.append(0.0 if math.isnan(rho) else rho)
        bar = np.sort(a)[-TOP]
        top = np.argsort(-p, kind="stable")[:TOP]
        hits.append(float(np.mean(a[top] >= bar)))
    if not rhos:
        return DayScores(0.0, 0.0, 0)
    return DayScores(float(np.mean(rhos)), float(np.mean(hits)), len(rhos))

"""Which papers to ask a new user to rate: active learning for the cold start.

A new user's model (discover/model.py, fitted on their seeds and ratings so far) is least sure
about the papers it scores near its own cut, so those answers teach it most (uncertainty
sampling). Asking about ten near-duplicates of one paper would waste nine answers, so the
choice is diversified by maximal marginal relevance over the MiniLM vectors: each next paper
trades its uncertainty against its highest cosine to the papers already rated or chosen.
Before the user has given any positive (no model yet), "uncertainty" is replaced by a prior
the caller supplies (e.g. community attention), so the first questions are well-known papers
spread over the chosen categories.

The trade-off DIVERSITY and the benchmark that chose it are in benchmarks/results/onboarding.md.
This module is pure numpy: the recommender and the benchmark call the same function.
"""

from __future__ import annotations

import numpy as np

from papersift.discover.model import LibraryModel

DIVERSITY = 0.5  # weight of "unlike what was already asked" against "the model is unsure"
ROUND = 10  # papers asked per onboarding round


def uncertainty(model: LibraryModel, pool: np.ndarray) -> np.ndarray:
    """1 at the model's cut, falling towards 0 with the distance from it in pool standard deviations
    (the centroid and logistic models score on different scales; this puts both on one)."""
    margin = model.score(pool).astype(np.float64) - model.threshold
    spread = float(margin.std()) or 1.0
    out: np.ndarray = 1.0 / (1.0 + np.abs(margin) / spread)
    return out


def choose(
    pool: np.ndarray,
    k: int,
    *,
    model: LibraryModel | None = None,
    asked: np.ndarray | None = None,
    prior: np.ndarray | None = None,
    diversity: float = DIVERSITY,
) -> list[int]:
    """Indices of `k` rows of `pool` (unit vectors) to ask about next, in the order to ask them.

    `model`: the user's current model (None: no positive yet, so `prior` ranks instead, or
    nothing but diversity when that is None too). `asked`: vectors of papers already rated or
    kept, which new questions should not repeat.
    """
    n = len(pool)
    if n == 0 or k <= 0:
        return []
    if model is not None:
        value = uncertainty(model, pool)
    elif prior is not None and len(prior) == n and float(np.ptp(prior)) > 0:
        value = (prior - prior.min()) / float(np.ptp(prior))
    else:
        value = np.zeros(n)
    x = pool.astype(np.float32)
    nearest = np.full(n, 0.0)  # highest cosine to anything asked or chosen so far (0: nothing yet)
    if asked is not None and len(asked):
        nearest = (x @ asked.astype(np.float32).T).max(axis=1).astype(np.float64)
    chosen: list[int] = []
    free = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        gain = np.where(free, (1.0 - diversity) * value - diversity * np.maximum(nearest, 0.0), -np.inf)
        best = int(np.argmax(gain))
        chosen.append(best)
        free[best] = False
        nearest = np.maximum(nearest, (x @ x[best]).astype(np.float64))
    return chosen

"""Which papers to ask a new user to rate: active learning for the cold start.

Uncertainty sampling: the answers that teach the user's model (discover/model.py) most are about
papers it cannot yet place, the papers scored nearest its own cut (`model.threshold`). A
"prior-corrected" cut (the score above which BASE_RATE of the candidates lie, on the argument that
the class-balanced model over-rates relevance) was the first default; measured on the simulated
users it asked fewer useful questions than the model's own cut at 10 ratings and fell behind at
20-30 with a few pasted papers, so BASE_RATE is None (the model's own cut) and the share is kept
only as an option for comparison.
Ten near-duplicates would waste nine answers, so each round is diversified by maximal marginal
relevance over the MiniLM vectors: each next paper trades its uncertainty against its highest
cosine to the papers already chosen for the round. Before the user has any positive there is no
model, and a prior the caller supplies (community attention) ranks instead.

BASE_RATE and DIVERSITY, the alternatives measured and the curve are in
benchmarks/results/onboarding.md. Pure numpy: the service and the benchmark call the same code.
"""

from __future__ import annotations

import numpy as np

from papersift.discover.model import LibraryModel

DIVERSITY = 0.3  # weight of "unlike the papers already chosen" against "the model is unsure"
BASE_RATE: float | None = None  # None: the model's own cut; a share: the cut above which that share of candidates lie
ROUND = 10  # papers asked per onboarding round


def uncertainty(model: LibraryModel, pool: np.ndarray, base_rate: float | None = BASE_RATE) -> np.ndarray:
    """1 at the model's cut, falling towards 0 with the distance from it in pool standard deviations
    (the centroid and logistic models score on different scales; this puts both on one).

    The cut is the score above which `base_rate` of the pool lies (None: the model's own threshold).
    """
    scores = model.score(pool).astype(np.float64)
    cut = float(np.quantile(scores, 1.0 - base_rate)) if base_rate is not None else model.threshold
    margin = scores - cut
    spread = float(margin.std()) or 1.0
    out: np.ndarray = 1.0 / (1.0 + np.abs(margin) / spread)
    return out


def choose(
    pool: np.ndarray,
    k: int,
    *,
    model: LibraryModel | None = None,
    prior: np.ndarray | None = None,
    diversity: float = DIVERSITY,
    base_rate: float | None = BASE_RATE,
) -> list[int]:
    """Indices of `k` rows of `pool` (unit vectors) to ask about next, in the order to ask them.

    `model`: the user's current model (None: no positive yet, so `prior` ranks instead, or
    nothing but diversity when that is None too).
    """
    n = len(pool)
    if n == 0 or k <= 0:
        return []
    if model is not None:
        value = uncertainty(model, pool, base_rate)
    elif prior is not None and len(prior) == n and float(np.ptp(prior)) > 0:
        value = (prior - prior.min()) / float(np.ptp(prior))
    else:
        value = np.zeros(n)
    x = pool.astype(np.float32)
    nearest = np.full(n, 0.0)  # highest cosine to the papers chosen so far (0: none yet)
    chosen: list[int] = []
    free = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        gain = np.where(free, (1.0 - diversity) * value - diversity * np.maximum(nearest, 0.0), -np.inf)
        best = int(np.argmax(gain))
        chosen.append(best)
        free[best] = False
        nearest = np.maximum(nearest, (x @ x[best]).astype(np.float64))
    return chosen

"""The recommendation model: an L2-regularised logistic regression per library, in numpy.

Positives are the library's vectors, weighted by recency (half-life HALF_LIFE_DAYS); the
negatives are random catalog papers (what the library is *not*) plus, weighted up, the papers
the user marked "not interested". Classes are balanced (each side carries half the total
weight), the way arxiv-sanity-lite balances its SVM, so a 20-paper library and a 2,000-paper
one get comparably calibrated scores. Fitting is a few Newton steps on 385 parameters:
milliseconds, so models are fitted per request instead of being stored.

With fewer than MIN_POSITIVES positives or MIN_NEGATIVES negatives a classifier has too
little to learn from, so the model falls back to the time-weighted centroid (minus the "not interested"
centroid). Which of these won, and by how much, is in benchmarks/results/recommend.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

HALF_LIFE_DAYS = 90.0
L2 = 1e-3
HARD_NEGATIVE_WEIGHT = 3.0  # one "not interested" counts as three random negatives
MIN_POSITIVES = 3
MIN_NEGATIVES = 50  # below this (a tiny catalog) any separating plane fits and the cut means nothing
CENTROID_MIN_COSINE = 0.3  # the centroid's "belongs" cut (MiniLM: unrelated abstracts score ~0-0.2)
NEWTON_STEPS = 12


@dataclass(frozen=True)
class LibraryModel:
    """score(x) = direction . x + bias; linear, so the vector index can rank the catalog by it.
    Papers scoring above `threshold` are predicted to belong with the library."""

    direction: np.ndarray
    bias: float
    threshold: float = 0.0

    def score(self, matrix: np.ndarray) -> np.ndarray:
        scores: np.ndarray = matrix @ self.direction + self.bias
        return scores


def recency_weights(ages: Sequence[timedelta], half_life_days: float = HALF_LIFE_DAYS) -> np.ndarray:
    """Exponential decay by how long ago each paper was added (future dates count as now)."""
    days = np.array([max(a.total_seconds(), 0.0) / 86400.0 for a in ages], dtype=np.float64)
    return np.power(0.5, days / half_life_days) if half_life_days > 0 else np.ones_like(days)


def centroid(positives: np.ndarray, weights: np.ndarray, hard: np.ndarray | None = None) -> LibraryModel:
    """Weighted mean direction of the library, pushed away from the "not interested" papers."""
    direction = (weights[:, None] * positives).sum(axis=0) / max(weights.sum(), 1e-12)
    if hard is not None and len(hard):
        direction = direction - 0.5 * hard.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    return LibraryModel(direction.astype(np.float32), 0.0, CENTROID_MIN_COSINE * norm)


def logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = L2, steps: int = NEWTON_STEPS
) -> LibraryModel:
    """Weighted logistic regression by Newton's method (IRLS); the bias is not regularised.

    `weights` should sum to 1: `l2` is then independent of how many papers there are.
    """
    xb = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    theta = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ theta)))
        grad = xb.T @ (weights * (p - y)) + reg * theta
        hess = (xb * (weights * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-6:
            break
    return LibraryModel(theta[:-1].astype(np.float32), float(theta[-1]))  # threshold 0: p = 0.5


def fit(
    positives: np.ndarray,
    ages: Sequence[timedelta],
    negatives: np.ndarray | None,
    hard: np.ndarray | None = None,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
    l2: float = L2,
) -> LibraryModel:
    """The model for one library (see the module docstring)."""
    pos_w = recency_weights(ages, half_life_days)
    if len(positives) < MIN_POSITIVES or negatives is None or len(negatives) < MIN_NEGATIVES:
        return centroid(positives, pos_w, hard)
    neg = negatives if hard is None or not len(hard) else np.vstack([negatives, hard])
    neg_w = np.ones(len(neg))
    if hard is not None and len(hard):
        neg_w[len(negatives) :] = HARD_NEGATIVE_WEIGHT
    weights = np.concatenate([0.5 * pos_w / pos_w.sum(), 0.5 * neg_w / neg_w.sum()])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(neg))])
    return logistic(np.vstack([positives, neg]), y, weights, l2)

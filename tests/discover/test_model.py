"""The recommendation model on synthetic vectors: what each branch of `fit` does."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from papersift.discover.model import MIN_NEGATIVES, centroid, fit, recency_weights


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    topic, other = rng.normal(size=16), rng.normal(size=16)
    pos = unit(topic + 0.6 * rng.normal(size=(40, 16)))
    neg = unit(other + 1.5 * rng.normal(size=(200, 16)))
    fresh = unit(np.vstack([topic + 0.6 * rng.normal(size=(10, 16)), other + 1.5 * rng.normal(size=(10, 16))]))
    return pos, neg, fresh


def test_logistic_ranks_the_library_topic_first_and_cuts_at_zero() -> None:
    pos, neg, fresh = clusters()
    model = fit(pos, [timedelta(days=i) for i in range(len(pos))], neg)
    scores = model.score(fresh)
    assert set(np.argsort(-scores)[:10]) == set(range(10))
    assert (scores[:10] > model.threshold).mean() >= 0.9 and (scores[10:] > model.threshold).mean() <= 0.1


def test_not_interested_pushes_its_neighbourhood_down() -> None:
    pos, neg, fresh = clusters(1)
    ages = [timedelta(0)] * len(pos)
    plain = fit(pos, ages, neg)
    disliked = fit(pos, ages, neg, hard=np.repeat(fresh[:1], 5, axis=0))
    assert disliked.score(fresh[:1])[0] < plain.score(fresh[:1])[0]


def test_small_libraries_and_catalogs_fall_back_to_the_centroid() -> None:
    pos, neg, _ = clusters(2)
    model = fit(pos[:2], [timedelta(0)] * 2, neg)
    np.testing.assert_allclose(model.direction, pos[:2].mean(axis=0), rtol=1e-5)
    assert fit(pos, [timedelta(0)] * len(pos), neg[: MIN_NEGATIVES - 1]).bias == 0.0
    assert abs(model.threshold - 0.3 * np.linalg.norm(pos[:2].mean(axis=0))) < 1e-6


def test_recency_weights_halve_per_half_life() -> None:
    w = recency_weights([timedelta(0), timedelta(days=90), timedelta(days=180), timedelta(days=-3)], 90)
    np.testing.assert_allclose(w, [1.0, 0.5, 0.25, 1.0])
    old, new = unit(np.eye(4)[:2])
    weighted = centroid(np.stack([old, new]), np.array([0.25, 1.0]))
    assert weighted.direction[1] > weighted.direction[0]

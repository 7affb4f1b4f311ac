"""Rocchio's query update (the dense side's pseudo-relevance feedback)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from papersift.search.feedback import rocchio


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_query_moves_toward_the_feedback_and_stays_normalised() -> None:
    q, a, b = unit(1, 0, 0), unit(0, 1, 0), unit(0, 1, 1)
    moved = rocchio(q, [a, b], weight=1.0)
    assert abs(float(np.linalg.norm(moved)) - 1) < 1e-6
    assert float(moved @ a) > float(q @ a) and float(moved @ q) < 1.0
    np.testing.assert_allclose(moved, unit(1, 1 / np.sqrt(2) / 2 + 0.5, 1 / np.sqrt(2) / 2), rtol=1e-5)
    assert moved.dtype == np.float32


def test_no_feedback_or_a_vanishing_sum_leaves_the_query_alone() -> None:
    q = unit(1, 2, 3)
    assert rocchio(q, []) is q
    assert rocchio(q, [-q]) is q  # q + (-q) = 0: no direction to move to


@given(arrays(np.float32, 8, elements=st.floats(-1, 1, width=32)), st.integers(1, 5))
def test_the_result_is_a_unit_vector_or_the_query(raw: np.ndarray, k: int) -> None:
    q = raw if np.linalg.norm(raw) > 1e-3 else np.ones(8, np.float32)
    q = q / np.linalg.norm(q)
    fb = [np.roll(q, i) for i in range(k)]
    out = rocchio(q, fb)
    assert out is q or abs(float(np.linalg.norm(out)) - 1.0) < 1e-4

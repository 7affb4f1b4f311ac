"""Score regularisation over the fused candidates (search/smoothing.py, D57)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from papersift.search.smoothing import CandidateVectors
from papersift.search.smoothing import regularise as regularise_read


def regularise(fused: list[tuple[str, float]], vectors: dict[str, np.ndarray], **kw: Any) -> list[tuple[str, float]]:
    """`smoothing.regularise` reading the candidates' vectors from a dict, as the service reads the index's."""
    return regularise_read(fused, CandidateVectors(reader(vectors)), **kw)


def reader(vectors: dict[str, np.ndarray]) -> Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]:
    def read(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        positions = [i for i, pid in enumerate(ids) if pid in vectors]
        rows = np.array([vectors[ids[i]] for i in positions], dtype=np.float32)
        return np.array(positions, dtype=np.int64), rows

    return read


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_candidate_among_strong_neighbours_overtakes_an_isolated_one() -> None:
    """b and c tie; b is about what the top paper a is about, c is about something else whose
    only neighbours scored low. Smoothing must put b ahead of c and keep a first."""
    fused = [("a", 1.0), ("c", 0.6), ("b", 0.6), ("d", 0.1), ("e", 0.1)]
    vectors = {
        "a": unit(1, 0, 0),
        "b": unit(1, 0.1, 0),
        "c": unit(0, 0, 1),
        "d": unit(0, 0.1, 1),
        "e": unit(0, 1, 0.2),
    }
    out = regularise(fused, vectors, weight=0.3, neighbours=1)
    assert [pid for pid, _ in out][:3] == ["a", "b", "c"]
    b, c = dict(out)["b"], dict(out)["c"]
    assert abs(b - (0.7 * 0.6 + 0.3 * 1.0)) < 1e-9 and abs(c - (0.7 * 0.6 + 0.3 * 0.1)) < 1e-9


def test_weight_zero_or_too_few_vectors_change_nothing() -> None:
    fused = [("a", 1.0), ("b", 0.5)]
    assert regularise(fused, {"a": unit(1, 0), "b": unit(0, 1)}, weight=0.0) == fused
    assert regularise(fused, {"a": unit(1, 0)}) == fused


def test_a_candidate_without_a_vector_keeps_its_score_and_the_tail_stays_below() -> None:
    fused = [("a", 1.0), ("x", 0.8), ("b", 0.7), ("c", 0.2), ("tail", 0.1)]
    vectors = {"a": unit(1, 0), "b": unit(1, 0.2), "c": unit(0, 1), "tail": unit(1, 0)}
    out = regularise(fused, vectors, weight=0.5, depth=4)
    assert dict(out)["x"] == 0.8 and out[-1] == ("tail", 0.1)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(0, 40), st.integers(1, 5))
def test_the_head_is_a_permutation_with_scores_inside_its_range(scores: list[float], depth: int, k: int) -> None:
    rng = np.random.default_rng(len(scores))
    fused = sorted(((f"p{i}", s) for i, s in enumerate(scores)), key=lambda kv: -kv[1])
    vectors = {
        pid: v / np.linalg.norm(v)
        for pid, v in zip((p for p, _ in fused), rng.normal(size=(len(fused), 4)), strict=True)
    }
    out = regularise(fused, vectors, weight=0.4, neighbours=k, depth=depth)
    assert sorted(p for p, _ in out) == sorted(p for p, _ in fused)
    head = fused[:depth]
    if head:
        lo, hi = min(s for _, s in head), max(s for _, s in head)
        assert all(lo - 1e-9 <= s <= hi + 1e-9 for _, s in out[: len(head)])
    assert out[len(head) :] == fused[len(head) :]
    assert [s for _, s in out[: len(head)]] == sorted((s for _, s in out[: len(head)]), reverse=True)


def test_candidate_vectors_reads_each_id_once_and_keeps_rows_across_reads() -> None:
    """The service's two fusions share one CandidateVectors: an id is read at most once, rows stay valid."""
    vectors = {"a": unit(1, 0), "b": unit(0, 1), "c": unit(1, 1)}
    asked: list[list[str]] = []
    read = reader(vectors)

    def counting(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        asked.append(list(ids))
        return read(ids)

    known = CandidateVectors(counting)
    assert known.rows(["a", "x", "a"]).tolist() == [0, -1, 0]
    assert known.rows(["c", "x", "b", "a"]).tolist() == [1, -1, 2, 0]
    assert asked == [["a", "x"], ["c", "b"]]
    assert np.array_equal(known.matrix, np.stack([vectors["a"], vectors["c"], vectors["b"]]))
    assert [v.tolist() for v in known.present(["x", "b", "a"])] == [vectors["b"].tolist(), vectors["a"].tolist()]

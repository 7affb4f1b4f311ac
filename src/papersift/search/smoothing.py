"""Score regularisation over the fused candidates: the cluster hypothesis, one step.

"Closely associated documents tend to be relevant to the same requests" (van Rijsbergen). A
relevant paper that one retriever under-scored usually has a near-duplicate in topic among the
candidates that both scored well; a paper that matched a stray word has no such neighbour. After
hybrid fusion, each of the top candidates' scores is therefore mixed with the scores of its
nearest fellow candidates by embedding (Diaz 2005, "Regularizing ad hoc retrieval scores"; the
corpus-graph idea of MacAvaney et al. 2022 restricted to the candidate set):

    s'(d) = (1 - SMOOTH_WEIGHT) * s(d) + SMOOTH_WEIGHT * sum_n w(d, n) * s(n)

over d's SMOOTH_NEIGHBOURS most similar candidates n, w a softmax of their cosines with
temperature SMOOTH_TEMPERATURE. Only the candidates' own stored vectors are used: one 100 x 100
Gram matrix per query (~0.1 ms), no extra search. Measured on five collections (docs/DECISIONS.md D57).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numkong
import numpy as np

SMOOTH_WEIGHT = 0.15
SMOOTH_NEIGHBOURS = 2
SMOOTH_TEMPERATURE = 0.1
SMOOTH_DEPTH = 100  # how many of the fused candidates are re-scored (the rest keep their order, below them)


def regularise(
    fused: Sequence[tuple[str, float]],
    vectors: Mapping[str, np.ndarray],
    weight: float = SMOOTH_WEIGHT,
    neighbours: int = SMOOTH_NEIGHBOURS,
    temperature: float = SMOOTH_TEMPERATURE,
    depth: int = SMOOTH_DEPTH,
) -> list[tuple[str, float]]:
    """`fused` (best first) with the top `depth` scores smoothed over their nearest candidates.

    Candidates without a vector in `vectors` keep their score and are nobody's neighbour (no
    evidence, no change). Every new score is a convex mix of head scores, so the head stays
    above the untouched tail."""
    head = list(fused[:depth])
    with_vec = [i for i, (pid, _) in enumerate(head) if pid in vectors]
    if weight <= 0 or neighbours <= 0 or len(with_vec) < 2:
        return list(fused)
    scores = np.array([s for _, s in head], dtype=np.float64)
    matrix = np.stack([vectors[head[i][0]] for i in with_vec]).astype(np.float32)
    # numkong's single-threaded SIMD kernel: BLAS's thread pool costs 10-100x more on a busy box
    sims = np.asarray(numkong.cdist(matrix, matrix, metric="dot"), dtype=np.float64)
    np.fill_diagonal(sims, -np.inf)
    k = min(neighbours, len(with_vec) - 1)
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, nearest, axis=1)
    w = np.exp((near - near.max(axis=1, keepdims=True)) / temperature)
    w /= w.sum(axis=1, keepdims=True)
    own = scores[with_vec]
    smoothed = scores.copy()
    smoothed[with_vec] = (1.0 - weight) * own + weight * (w * own[nearest]).sum(axis=1)
    order = sorted(range(len(head)), key=lambda i: (-smoothed[i], i))
    return [(head[i][0], float(smoothed[i])) for i in order] + list(fused[depth:])

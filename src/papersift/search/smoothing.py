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

The vectors come from `CandidateVectors`: one read from the index per new candidate for both of a
hybrid query's fusions, kept as rows of one matrix (a dict of per-id rows stacked for each fusion
cost ~0.1 ms more a fusion at 1M papers, D86).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numkong
import numpy as np

SMOOTH_WEIGHT = 0.15
SMOOTH_NEIGHBOURS = 2
SMOOTH_TEMPERATURE = 0.1
SMOOTH_DEPTH = 100  # how many of the fused candidates are re-scored (the rest keep their order, below them)
VectorReader = Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]  # `VectorIndex.vectors_of`


class CandidateVectors:
    """The vectors of one query's candidates, each read from the index once: id -> row of a matrix."""

    def __init__(self, read: VectorReader):
        self._read = read
        self._row: dict[str, int] = {}  # id -> row of `matrix`; -1: the id has no vector
        self._blocks: list[np.ndarray] = []  # the rows read so far, one block per read
        self._matrix: np.ndarray | None = None  # the blocks joined (until the next read)
        self._count = 0

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """The row in `matrix` of each of `ids` (-1: no vector); reads those not asked for before."""
        row = self._row
        missing = [pid for pid in dict.fromkeys(ids) if pid not in row]
        if missing:
            positions, vectors = self._read(missing)
            row.update(dict.fromkeys(missing, -1))
            found = [missing[i] for i in positions.tolist()]
            row.update(zip(found, range(self._count, self._count + len(found)), strict=True))
            if len(positions):
                self._blocks.append(vectors)
                self._count += len(positions)
                self._matrix = None
        return np.fromiter((row[pid] for pid in ids), dtype=np.int64, count=len(ids))

    @property
    def matrix(self) -> np.ndarray:
        """Every vector read so far, float32, one row each."""
        if self._matrix is None:
            self._matrix = self._blocks[0] if len(self._blocks) == 1 else np.concatenate(self._blocks)
        return self._matrix

    def present(self, ids: Sequence[str]) -> list[np.ndarray]:
        """The vectors of those of `ids` that have one, in order."""
        return [self.matrix[r] for r in self.rows(ids).tolist() if r >= 0]


def regularise(
    fused: Sequence[tuple[str, float]],
    vectors: CandidateVectors,
    weight: float = SMOOTH_WEIGHT,
    neighbours: int = SMOOTH_NEIGHBOURS,
    temperature: float = SMOOTH_TEMPERATURE,
    depth: int = SMOOTH_DEPTH,
) -> list[tuple[str, float]]:
    """`fused` (best first) with the top `depth` scores smoothed over their nearest candidates.

    Candidates without a vector keep their score and are nobody's neighbour (no evidence, no
    change). Every new score is a convex mix of head scores, so the head stays above the untouched
    tail."""
    if weight <= 0 or neighbours <= 0:
        return list(fused)
    head = fused[:depth]
    ids = [pid for pid, _ in head]
    rows = vectors.rows(ids)
    with_vec = np.flatnonzero(rows >= 0)
    if len(with_vec) < 2:
        return list(fused)
    scores = np.fromiter((s for _, s in head), dtype=np.float64, count=len(head))
    matrix = vectors.matrix[rows[with_vec]]
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
    order = np.argsort(-smoothed, kind="stable")  # ties keep their fused order
    return [*zip([ids[i] for i in order.tolist()], smoothed[order].tolist(), strict=True), *fused[depth:]]

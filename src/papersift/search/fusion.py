"""Fusing a lexical and a dense ranked list into one (hybrid mode).

Two standard methods, both rank-list in / rank-list out:
- reciprocal-rank fusion (Cormack et al. 2009): score = sum 1/(k + rank); ignores score scales,
  robust when one list is poor;
- convex combination of normalised scores: alpha * norm(dense) + (1-alpha) * norm(lexical),
  with min-max normalisation per list; uses how *much* better a hit is, which usually wins
  when both retrievers are decent (Bruch et al. 2023, "An analysis of fusion functions").
The default is chosen by measurement (benchmarks/relevance.py, docs/DECISIONS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

Ranked = Sequence[tuple[str, float]]


def rrf(lists: Sequence[Ranked], k: float = 60.0, weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of ranked (id, score) lists; returns (id, fused score) best first."""
    weights = weights or [1.0] * len(lists)
    fused: dict[str, float] = {}
    for w, ranked in zip(weights, lists, strict=True):
        for rank, (doc_id, _) in enumerate(ranked, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def minmax(ranked: Ranked) -> dict[str, float]:
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    lo, hi = min(scores), max(scores)
    span = hi - lo
    return {d: ((s - lo) / span if span > 0 else 1.0) for d, s in ranked}


def convex(lexical: Ranked, dense: Ranked, alpha: float = 0.5) -> list[tuple[str, float]]:
    """alpha * minmax(dense) + (1 - alpha) * minmax(lexical); a doc missing from a list gets 0 there.
    Best first, ties by id."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    lex, den = minmax(lexical), minmax(dense)
    # a lexical-only doc's alpha * 0.0 + (1 - alpha) * s is exactly (1 - alpha) * s (both terms >= +0.0)
    fused = {d: (1 - alpha) * s for d, s in lex.items()}
    for d, s in den.items():
        fused[d] = alpha * s + (1 - alpha) * lex.get(d, 0.0)
    # by id, then stably by score: the order of key=(-score, id) without a tuple per doc (half the time)
    ranked = sorted(fused.items())
    ranked.sort(key=itemgetter(1), reverse=True)
    return ranked

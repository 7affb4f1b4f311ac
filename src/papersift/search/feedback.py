"""Pseudo-relevance feedback on the dense side: Rocchio's query update, one step.

A hybrid query is ranked once, then its embedding is moved toward the vectors of the top
FEEDBACK_DOCS fused results (q' = q + FEEDBACK_WEIGHT * mean(top), renormalised) and the dense
side is searched again with q'. A three-word query is a thin description of what the user
wants; the best few papers of the first ranking, which both retrievers agree on, are a richer
one in the same vector space. Feeding back from the *fused* list matters: the lexical side's
exact-word matches pull the dense query toward the right topic, which dense-only feedback cannot
do. Measured on five collections (docs/DECISIONS.md D27): from 3 papers with weight 1 it helped
everywhere; RM3 (lexical expansion terms from the same papers) was rejected (SciFact -0.02).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FEEDBACK_DOCS = 3
FEEDBACK_WEIGHT = 1.0


def rocchio(query: np.ndarray, feedback: Sequence[np.ndarray], weight: float = FEEDBACK_WEIGHT) -> np.ndarray:
    """`query` moved toward the mean of `feedback` vectors, L2-normalised; `query` itself when
    there is no feedback or the sum vanishes."""
    if not feedback:
        return query
    moved = query.astype(np.float32) + np.float32(weight) * np.mean(np.stack(feedback), axis=0, dtype=np.float32)
    norm = float(np.linalg.norm(moved))
    return moved / np.float32(norm) if norm > 1e-12 else query

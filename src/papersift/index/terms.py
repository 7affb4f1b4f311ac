"""Key terms of a paper and the terms two papers share: why "similar papers" are similar.

One definition for every backend: the text comes from the caller (the catalog's `Paper`, which
similar/related/recommend already hold), the collection statistics (how many papers, how many
contain a stem) from the backend. The lexical index therefore needs to store no text at all
(docs/DECISIONS.md D77): explanations read the catalog row, not a stored copy of it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import lru_cache

from papersift.index.analysis import STEM, SURFACE_WORDS, utf8
from papersift.index.protocols import KeyTerm

TITLE_TF = 2.0  # a title word counts twice: titles name what a paper is about


@lru_cache(maxsize=65_536)
def word_stem(word: str) -> str:
    """The indexed stem of one surface word ("" if it has none), cached: snippets stem every word."""
    out = STEM.analyze(utf8(word)) if word else []
    return out[0] if len(out) == 1 else ""


def key_terms(title: str, abstract: str, k: int, n_docs: int, doc_freq: Callable[[str], int]) -> list[KeyTerm]:
    """Top `k` tf-idf terms of a paper's title and abstract, strongest first (ties by stem)."""
    if k <= 0:
        return []
    tf: dict[str, float] = defaultdict(float)
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for text, weight in ((title, TITLE_TF), (abstract, 1.0)):
        for word in SURFACE_WORDS.analyze(utf8(text or "")):
            if len(word) < 3 or not any(c.isalpha() for c in word):
                continue
            stem = word_stem(word) or word
            tf[stem] += weight
            forms[stem][word] += 1
    scored = []
    for stem, count in tf.items():
        df = max(doc_freq(stem), 1)
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        scored.append(KeyTerm(stem, forms[stem].most_common(1)[0][0], (1 + math.log(count)) * idf))
    return sorted(scored, key=lambda t: (-t.weight, t.term))[:k]


def shared_terms(a: list[KeyTerm], b: list[KeyTerm], k: int) -> list[str]:
    """Terms in both lists (surface words of `a`), strongest product of weights first."""
    kb = {t.term: t.weight for t in b}
    both = [(t.weight * kb[t.term], t.word) for t in a if t.term in kb]
    return [word for _, word in sorted(both, key=lambda x: -x[0])[:k]]

"""The vector index's filter columns: facet counts from the category bits."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.index.payload import Payload

CATEGORIES = [f"cs.{c}" for c in ("LG", "CL", "CV", "AI", "IR")] + [f"x{i}" for i in range(70)]  # > 64: two words


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(CATEGORIES), max_size=4, unique=True), min_size=1, max_size=40),
    st.data(),
)
def test_category_counts_are_the_counts_of_the_chosen_papers(papers: list[list[str]], data: st.DataObject) -> None:
    payload = Payload()
    payload.append(len(papers), [(1, tuple(cats)) for cats in papers])
    chosen = data.draw(st.lists(st.integers(0, len(papers) - 1), unique=True))
    expected = Counter(cat for i in chosen for cat in papers[i])
    got = payload.category_counts(np.asarray(chosen, dtype=np.int64), limit=1000)
    assert got == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    assert payload.category_counts(np.asarray(chosen, dtype=np.int64), limit=2) == got[:2]


def test_a_category_spelled_two_ways_counts_once_under_its_first_spelling() -> None:
    payload = Payload()
    payload.append(3, [(1, ("cs.LG",)), (1, ("cs.lg", "math.ST")), (1, ())])
    assert payload.category_counts(np.arange(3), limit=20) == [("cs.LG", 2), ("math.ST", 1)]
    assert payload.category_counts(np.zeros(0, dtype=np.int64), limit=20) == []

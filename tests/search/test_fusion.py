"""Fusion of the keyword and meaning lists (search/fusion.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papersift.search.fusion import convex, minmax, rrf

IDS = st.text(alphabet="abcdé0", min_size=1, max_size=3)
SCORES = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(-5, 5, allow_nan=False))  # many ties
LISTS = st.lists(st.tuples(IDS, SCORES), max_size=25)


def _by_definition(
    lexical: list[tuple[str, float]], dense: list[tuple[str, float]], alpha: float
) -> list[tuple[str, float]]:
    lex, den = minmax(lexical), minmax(dense)
    fused = {d: alpha * den.get(d, 0.0) + (1 - alpha) * lex.get(d, 0.0) for d in {*lex, *den}}
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


@given(LISTS, LISTS, st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1)))
def test_convex_is_its_definition_to_the_bit_ties_by_id(
    lexical: list[tuple[str, float]], dense: list[tuple[str, float]], alpha: float
) -> None:
    """Same docs, same float scores bit for bit, same order (score descending, then id)."""
    assert convex(lexical, dense, alpha) == _by_definition(lexical, dense, alpha)


def test_convex_mixes_normalised_scores() -> None:
    out = convex([("a", 10.0), ("b", 5.0), ("c", 0.0)], [("b", 0.9), ("d", 0.5)], alpha=0.5)
    assert out == [("b", 0.75), ("a", 0.5), ("c", 0.0), ("d", 0.0)]


def test_rrf_sums_reciprocal_ranks() -> None:
    out = rrf([[("a", 3.0), ("b", 1.0)], [("b", 0.9)]], k=1.0)
    assert out == [("b", 1 / 3 + 1 / 2), ("a", 1 / 2)]

"""Onboarding: the active-learning choice (pure numpy) and the service over the real indexed test catalog."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.deliver.service import Delivery
from papersift.discover.model import LibraryModel
from papersift.discover.onboarding import choose, uncertainty
from papersift.discover.onboarding_service import MAX_SEED_LINES, Onboarding, valid_categories
from tests.deliver.conftest import make_user

ROBOTS = {"2506.00001", "2506.00002", "2506.00003", "2506.00004", "2506.00005"}
LANGUAGE = {"2506.00011", "2506.00012", "2506.00013", "2506.00014"}


def _unit(rows: np.ndarray) -> np.ndarray:
    out: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(0, 40),
    st.floats(0.0, 1.0),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_choose_returns_distinct_rows_of_the_pool(
    n: int, k: int, diversity: float, with_model: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    pool = _unit(rng.normal(size=(n, 8)))
    model = LibraryModel(rng.normal(size=8).astype(np.float32), 0.1) if with_model else None
    picked = choose(pool, k, model=model, diversity=diversity)
    assert len(picked) == min(k, n) and len(set(picked)) == len(picked)
    assert all(0 <= i < n for i in picked)


def test_uncertainty_peaks_at_the_cut() -> None:
    model = LibraryModel(np.array([1.0, 0.0], dtype=np.float32), 0.0, threshold=0.5)
    pool = np.array([[0.5, 0.0], [0.9, 0.0], [0.0, 0.0], [0.55, 0.0]])
    u = uncertainty(model, pool)  # the default: the model's own cut (benchmarks/results/onboarding.md)
    assert u[0] == 1.0 and u[3] > u[1] and u[3] > u[2]
    assert choose(pool, 2, model=model, diversity=0.0) == [0, 3]
    scores = np.linspace(0.0, 1.0, 101)
    ranked = np.stack([scores, np.zeros(101)], axis=1)
    top = uncertainty(model, ranked, base_rate=0.05)  # the option: the cut above which 5% of the pool lies
    assert int(np.argmax(top)) == 95


def test_diversity_skips_near_duplicates() -> None:
    a, b, c = np.eye(3)
    pool = np.stack([a, a, b, c])
    prior = np.array([3.0, 2.9, 1.0, 0.0])
    assert choose(pool, 2, prior=prior, diversity=0.0) == [0, 1]  # pure prior: the duplicate comes second
    assert choose(pool, 2, prior=prior, diversity=0.5) == [0, 2]  # diversified: a new direction instead
    assert choose(pool, 4, diversity=1.0)[:3] in ([0, 2, 3], [0, 3, 2])  # no signal at all: spread out


def test_valid_categories_are_bounded_and_well_formed() -> None:
    raw = ["cs.CL", " cs.CL ", "cs.RO", "<script>", "a b", "x" * 100, *(f"c{i}.X" for i in range(20))]
    got = valid_categories(raw)
    assert got[:2] == ["cs.CL", "cs.RO"] and len(got) == 10
    assert not any("<" in c or " " in c for c in got)


def test_seeds_resolve_ids_titles_and_authors(delivery: Delivery) -> None:
    onboarding = Onboarding(delivery.recommender)
    user = make_user(delivery)
    report = onboarding.seed(
        user,
        "arXiv:2506.00001v2\n"
        "  sim-to-real transfer of legged locomotion policies  \n"
        "Claude Shannon\n"
        "a paper nobody wrote\n",
    )
    ids = {p.id for p in report.found}
    assert {"2506.00001", "2506.00002"} <= ids and LANGUAGE <= ids  # Claude Shannon wrote the language papers
    assert report.unresolved == ["a paper nobody wrote"]
    rated = {r.paper_id: r.relevant for r in onboarding.ratings.of_user(user)}
    assert rated == dict.fromkeys(ids, True)
    other = make_user(delivery, "grace@example.org")
    assert onboarding.ratings.of_user(other) == []  # ratings are private to their user


def test_seed_input_is_bounded(delivery: Delivery) -> None:
    onboarding = Onboarding(delivery.recommender)
    user = make_user(delivery)
    lines = [f"no such paper number {i}" for i in range(MAX_SEED_LINES + 5)]
    report = onboarding.seed(user, "\n".join(lines) + "\n" + "x" * 100_000)
    assert len(report.unresolved) == len(lines) + 1 and report.found == []
    assert all(len(line) <= 300 for line in report.unresolved[:MAX_SEED_LINES])


def test_questions_then_answers_drive_recommendations(delivery: Delivery) -> None:
    onboarding = Onboarding(delivery.recommender)
    user = make_user(delivery)
    first = onboarding.questions(user, ["cs.RO"], k=4)
    assert len(first) == 4 and len({p.id for p in first}) == 4
    assert onboarding.answer(user, [(p.id, p.id in ROBOTS) for p in first] + [("9999.99999", True)]) == 4
    rated = {p.id for p in first}
    again = onboarding.questions(user, ["cs.RO"], k=20)
    assert again and not rated & {p.id for p in again}  # never asked twice
    result = delivery.recommender.recommend(user, limit=3)
    if rated & ROBOTS:  # the library is the papers rated relevant, so every reason points at one
        assert result.items and "which you rated relevant" in result.items[0].reason
    else:
        assert result.items == [] and result.notices == ["save or upvote a few papers to get recommendations"]
    recommended = {r.paper.id for r in delivery.recommender.recommend(user, limit=20).items}
    assert not recommended & rated  # rated papers (either answer) are never recommended back


def test_not_relevant_answers_are_hard_negatives(delivery: Delivery) -> None:
    onboarding = Onboarding(delivery.recommender)
    user = make_user(delivery)
    onboarding.seed(user, "2506.00001\n2506.00004")
    before = [r.paper.id for r in delivery.recommender.recommend(user, limit=20).items]
    onboarding.answer(user, [(before[0], False)])
    assert before[0] in delivery.recommender.disliked(user)
    after = [r.paper.id for r in delivery.recommender.recommend(user, limit=20).items]
    assert before[0] not in after
    onboarding.answer(user, [(before[0], True)])  # changing one's mind replaces the answer
    assert before[0] not in delivery.recommender.disliked(user)
    assert before[0] in {item.paper_id for item in delivery.recommender.library(user).items}

"""The TF-IDF half of the recommender: features, the classifier, and the recommender using it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from papersift.community import User
from papersift.deliver.service import Delivery
from papersift.discover import lexical, recommend
from tests.deliver.conftest import make_user


def test_terms_are_accent_free_words_and_pairs_without_stop_words() -> None:
    assert lexical.terms("The Schrödinger bridge", "of diffusion", ["Ada Lovelace"]) == [
        "schrodinger",
        "bridge",
        "diffusion",
        "ada",
        "lovelace",
        "schrodinger bridge",
        "bridge diffusion",
        "diffusion ada",
        "ada lovelace",
    ]


def test_tfidf_keeps_mid_frequency_terms_and_normalises_rows() -> None:
    docs = [["robot", "grasp", f"rare{i}"] for i in range(10)] + [[f"w{j}" for j in range(60)] for _ in range(10)]
    x = lexical.tfidf(docs)
    assert x is not None and x.shape == (20, 62)  # robot, grasp, w0..w59 (df 10 of 20 = max_df); rare* dropped
    np.testing.assert_allclose(np.sqrt(x.multiply(x).sum(axis=1)).A1, 1.0)
    assert lexical.tfidf([["a", "b"]] * 4) is None  # below min_df: no model


def test_classifier_separates_topics() -> None:
    robots = [["robot", "grasp", "tactile", f"r{i % 7}"] for i in range(30)]
    language = [["language", "model", "token", f"l{i % 7}"] for i in range(200)]
    pool = [["robot", "tactile", "r1"], ["language", "token", "l2"]]
    old = lexical.MIN_VOCABULARY
    try:
        lexical.MIN_VOCABULARY = 5
        scores = lexical.lexical_scores(robots, language, pool)
    finally:
        lexical.MIN_VOCABULARY = old
    assert scores is not None and scores[0] > 0 > scores[1]


def tiny_catalog_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let both models fit on the test catalog's few dozen papers (their floors assume thousands)."""
    monkeypatch.setattr(lexical, "MIN_DF", 1)
    monkeypatch.setattr(lexical, "MIN_VOCABULARY", 5)
    monkeypatch.setattr("papersift.discover.model.MIN_NEGATIVES", 1)


def robots_library(delivery: Delivery) -> User:
    """A user whose collection "Robots" holds three papers of the test catalog."""
    user = make_user(delivery)
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    return user


def test_large_libraries_are_ranked_by_the_lexical_model(delivery: Delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = lexical.lexical_scores

    def spy(library, negatives, pool):  # noqa: ANN001, ANN202
        calls.append(len(library))
        return real(library, negatives, pool)

    monkeypatch.setattr(lexical, "MIN_LIBRARY", 3)
    tiny_catalog_models(monkeypatch)
    monkeypatch.setattr(lexical, "lexical_scores", spy)
    user = robots_library(delivery)
    result = delivery.recommender.recommend(user, candidates=["2506.00004", "2506.00013", "2506.00021"], limit=3)
    assert calls == [3] and result.items[0].paper.id == "2506.00004"
    assert "in your collection Robots" in result.items[0].reason


def test_the_term_cache_stays_bounded_and_ranks_the_same(delivery: Delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every user's model draws thousands of random negatives: the per-process cache of their terms
    must not grow towards the whole catalog, and a cache too small for one call ranks the same
    (the negatives are drawn with the user's own seed, so both calls see the same ones)."""
    monkeypatch.setattr(lexical, "MIN_LIBRARY", 3)
    tiny_catalog_models(monkeypatch)
    user = robots_library(delivery)
    candidates = ["2506.00004", "2506.00013", "2506.00021"]
    roomy = delivery.recommender.recommend(user, candidates=candidates, limit=3)
    assert len(delivery.recommender._terms) > 4
    monkeypatch.setattr(recommend, "TERMS_CACHE_MAX", 4)
    delivery.recommender._terms.clear()
    tight = delivery.recommender.recommend(user, candidates=candidates, limit=3)
    assert len(delivery.recommender._terms) == 4
    assert [(i.paper.id, i.score) for i in tight.items] == [(i.paper.id, i.score) for i in roomy.items]


def test_the_lexical_model_contrasts_more_negatives_than_the_embedding_model(
    delivery: Delivery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large libraries: NEGATIVES random papers for the TF-IDF model, the first EMBEDDING_NEGATIVES
    of them for the embedding model; small ones draw only what the embedding model uses."""
    drawn: list[int] = []
    fitted: list[int] = []
    contrasted: list[int] = []
    real_fit, real_scores, real_draw = recommend.fit, lexical.lexical_scores, recommend.Recommender.random_papers

    def fit_spy(positives, ages, negatives, hard=None, **kw):  # noqa: ANN001, ANN003, ANN202
        fitted.append(len(negatives))
        return real_fit(positives, ages, negatives, hard, **kw)

    def scores_spy(library, negatives, pool):  # noqa: ANN001, ANN202
        contrasted.append(len(negatives))
        return real_scores(library, negatives, pool)

    def draw_spy(self, user, exclude, n):  # noqa: ANN001, ANN202
        drawn.append(n)
        return real_draw(self, user, exclude, n)

    monkeypatch.setattr(recommend, "fit", fit_spy)
    monkeypatch.setattr(lexical, "lexical_scores", scores_spy)
    monkeypatch.setattr(recommend.Recommender, "random_papers", draw_spy)
    monkeypatch.setattr(recommend, "NEGATIVES", 5)
    monkeypatch.setattr(recommend, "EMBEDDING_NEGATIVES", 2)
    tiny_catalog_models(monkeypatch)
    user = robots_library(delivery)
    candidates = ["2506.00004", "2506.00013", "2506.00021"]
    monkeypatch.setattr(lexical, "MIN_LIBRARY", 3)
    large = delivery.recommender.recommend(user, candidates=candidates, limit=3)
    assert (drawn, fitted, contrasted) == ([5], [2], [5]) and large.items[0].paper.id == "2506.00004"
    monkeypatch.setattr(lexical, "MIN_LIBRARY", 4)
    small = delivery.recommender.recommend(user, candidates=candidates, limit=3)
    assert (drawn[1:], fitted[1:], contrasted[1:]) == ([2], [2], []) and small.items[0].paper.id == "2506.00004"


def test_classifier_balances_a_small_library_against_many_negatives() -> None:
    """Class weights: 20 library papers against 1,000 overlapping negatives; balanced, 70 % of new
    library-like papers land on the positive side (unbalanced: 53 %, the negatives swamp them)."""
    rng = np.random.default_rng(0)
    library_profile, other_profile = np.r_[np.ones(10), np.full(10, 0.5)], np.r_[np.full(10, 0.7), np.ones(10)]
    library = np.abs(rng.normal(size=(20, 20))) * library_profile
    negatives = np.abs(rng.normal(size=(1000, 20))) * other_profile
    w, b = lexical.classifier(sparse.csr_matrix(np.vstack([library, negatives])), np.r_[np.ones(20), np.zeros(1000)])
    new_library_like = np.abs(rng.normal(size=(200, 20))) * library_profile
    assert (new_library_like @ w + b > 0).mean() > 0.65
    assert (negatives @ w + b < 0).mean() > 0.95

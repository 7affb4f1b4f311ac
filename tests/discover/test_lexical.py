"""The TF-IDF half of the recommender: features, the classifier, and the recommender using it."""

from __future__ import annotations

import numpy as np
import pytest

from papersift.deliver.service import Delivery
from papersift.discover import lexical
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


def test_large_libraries_are_ranked_by_the_lexical_model(delivery: Delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = lexical.lexical_scores

    def spy(library, negatives, pool):  # noqa: ANN001, ANN202
        calls.append(len(library))
        return real(library, negatives, pool)

    monkeypatch.setattr(lexical, "MIN_LIBRARY", 3)
    monkeypatch.setattr(lexical, "MIN_DF", 1)
    monkeypatch.setattr(lexical, "MIN_VOCABULARY", 5)
    monkeypatch.setattr(lexical, "lexical_scores", spy)
    monkeypatch.setattr("papersift.discover.model.MIN_NEGATIVES", 1)
    user = make_user(delivery)
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    result = delivery.recommender.recommend(user, candidates=["2506.00004", "2506.00013", "2506.00021"], limit=3)
    assert calls == [3] and result.items[0].paper.id == "2506.00004"
    assert "in your collection Robots" in result.items[0].reason

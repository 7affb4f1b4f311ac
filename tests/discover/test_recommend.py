"""Recommendations over a real (small) indexed catalog: library, reasons, feedback, caps, import."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersift.community import User
from papersift.deliver.service import Delivery
from papersift.discover import recommend
from papersift.discover.library import import_bibtex
from tests.deliver.conftest import make_user

ROBOTS = ("2506.00001", "2506.00002", "2506.00003")


def with_robots(delivery: Delivery, user: User | None = None) -> tuple[User, int]:
    user = user or make_user(delivery)
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ROBOTS:
        delivery.community.collections.add(user, robots.id, pid)
    return user, robots.id


def test_recommends_the_library_topic_with_reasons(delivery: Delivery) -> None:
    user, robots = with_robots(delivery)
    result = delivery.recommender.recommend(user, collection_ids=[robots], limit=3)
    ids = [r.paper.id for r in result.items]
    assert set(ids[:2]) == {"2506.00004", "2506.00005"} and not set(ids) & set(ROBOTS)
    top = result.items[0]
    assert top.anchor is not None and top.anchor.id in ROBOTS and top.anchor_source == "Robots"
    assert top.reason.startswith(f"close to “{top.anchor.title}” in your collection Robots")
    assert "shared terms:" in top.reason


def test_upvotes_count_and_not_interested_is_never_recommended(delivery: Delivery) -> None:
    user = make_user(delivery)
    for pid in ROBOTS:
        delivery.community.votes.vote(user, pid)
    first = delivery.recommender.recommend(user, limit=2)
    assert "which you upvoted" in first.items[0].reason
    delivery.feedback.not_interested(user, first.items[0].paper.id)
    again = delivery.recommender.recommend(user, limit=5)
    assert first.items[0].paper.id not in [r.paper.id for r in again.items]


def test_empty_library_missing_vectors_and_cap_are_reported(
    delivery: Delivery, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(delivery)
    assert delivery.recommender.recommend(user).notices == ["save or upvote a few papers to get recommendations"]
    _, robots = with_robots(delivery, user)
    monkeypatch.setattr(recommend, "MAX_LIBRARY", 2)
    notices = delivery.recommender.recommend(user, collection_ids=[robots]).notices
    assert notices == ["your library has 3 papers; recommendations use the 2 most recently added"]


def test_bibtex_seed_library(delivery: Delivery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user(delivery)
    bib = tmp_path / "zotero.bib"
    bib.write_text(
        "@article{a, title={Tactile sensing for robust robotic grasp planning}, eprint={2506.00004}}\n"
        "@article{b, title={Broken\n"
        "@misc{c, title={An unindexed paper}, author={Doe, Jane}, year=2024}\n"
        "@misc{d, title={Another unindexed paper}, author={Roe, Richard}, year=2023}\n"
    )
    monkeypatch.setattr("papersift.discover.library.MAX_IMPORT", 2)
    report = import_bibtex(delivery.ctx.catalog, delivery.community.collections, user, bib, "Zotero")
    assert (report.added, report.private, report.error_count, report.truncated) == (2, 1, 1, True)
    assert "1 of them not in this site's catalog (kept private to your library)" in report.summary()
    assert report.errors == [f"{bib}:2: broken BibTeX block: {report.errors[0].split('block: ')[1]}"]
    assert "stopped after the first 2 entries" in report.summary()
    again = import_bibtex(delivery.ctx.catalog, delivery.community.collections, user, bib, "Zotero")
    assert (again.added, again.already) == (0, 2)
    before = delivery.ctx.catalog.count()
    result = delivery.recommender.recommend(user)
    assert result.notices == []  # the private entry was embedded on first use, so both items count
    assert len(result.library.items) == 2 and len(result.library.private) == 1
    assert result.items and result.items[0].paper.id != "2506.00004"
    assert delivery.ctx.catalog.count() == before  # the upload wrote nothing shared

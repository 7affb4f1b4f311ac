"""The impact prior: announcement-only features, past-only history, honest day-by-day scoring."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from papersift.community.trending import PRIOR_FADE, trending_score
from papersift.discover.impact import ImpactModel
from papersift.discover.impact_eval import day_scores, time_split
from papersift.discover.impact_features import FEATURES, RECENT_HALF_LIFE, History, announcement
from papersift.paper import Paper, Popularity, make_paper
from papersift.sources import SourceContext, get_source

DAY = date(2025, 3, 3)


def _paper(pid: str, day: date, authors: list[str], votes: int | None = None, code: bool = False) -> Paper:
    return make_paper(
        source="test",
        arxiv_id=pid,
        title=f"Paper {pid}",
        abstract="We study things.",
        authors=authors,
        announced=day,
        links={"code": "https://github.com/x/y"} if code else {},
        popularity=[Popularity("hf-daily", day, upvotes=votes, comments=3)] if votes is not None else [],
    )


def _column(name: str) -> int:
    return [f[0] for f in FEATURES].index(name)


def test_announcement_ignores_votes_and_comments() -> None:
    quiet = _paper("2503.00001", DAY, ["Ada Lovelace"], votes=1)
    loud = dataclasses.replace(quiet, popularity=[Popularity("hf-daily", DAY, upvotes=999, comments=99)])
    assert announcement(quiet) == announcement(loud)
    assert not any("vote" in f.name or "comment" in f.name for f in dataclasses.fields(announcement(quiet)))


def test_history_sees_only_strictly_earlier_papers() -> None:
    earlier = _paper("2503.00001", DAY - timedelta(days=1), ["Ada Lovelace"], votes=100)
    same_day = _paper("2503.00002", DAY, ["Ada Lovelace"], votes=500)
    later = _paper("2503.00003", DAY + timedelta(days=1), ["Ada Lovelace"], votes=900)
    target = _paper("2503.00004", DAY, ["ada  LOVELACE", "Charles Babbage"], votes=7)
    history = History((announcement(p), p.popularity[0].upvotes) for p in (earlier, same_day, later, target))
    row = history.features(announcement(target))
    assert row[_column("author_most_papers")] == 1  # only `earlier`; not itself, not same-day, not later
    assert row[_column("author_best_paper")] == pytest.approx(np.log1p(100))
    assert row[_column("authors_with_history")] == 1 and row[_column("author_history_share")] == 0.5
    # its own votes do not move its features
    louder = History(
        (announcement(p), 10_000 if p is target else p.popularity[0].upvotes)
        for p in (earlier, same_day, later, target)
    )
    mean = louder.mean  # the global shrinkage mean includes every voted paper, so compare after fixing it
    louder.mean = history.mean
    assert louder.features(announcement(target)) == row
    assert mean != history.mean


def test_history_summaries_use_only_earlier_voted_papers() -> None:
    lab = "https://huggingface.co/lab"
    old = _paper("2503.00001", DAY - timedelta(days=200), ["Ada Lovelace"], votes=100)
    old = dataclasses.replace(old, links={"organization": lab})
    recent = _paper("2503.00002", DAY - timedelta(days=10), ["Ada Lovelace"], votes=1)
    unvoted = _paper("2503.00003", DAY - timedelta(days=5), ["Ada Lovelace"])
    same_day = _paper("2503.00004", DAY, ["Ada Lovelace"], votes=500)
    later = _paper("2503.00005", DAY + timedelta(days=1), ["Ada Lovelace"], votes=900)
    target = dataclasses.replace(_paper("2503.00006", DAY, ["Ada Lovelace", "Bob"]), links={"organization": lab})
    papers = (old, recent, unvoted, same_day, later, target)
    history = History((announcement(p), p.popularity[0].upvotes if p.popularity else None) for p in papers)
    row = history.features(announcement(target))
    logs = np.log1p([100.0, 1.0])
    weights = 0.5 ** (np.array([200.0, 10.0]) / RECENT_HALF_LIFE)
    assert row[_column("author_best_median")] == pytest.approx(np.median(logs))
    assert row[_column("author_best_recent")] == pytest.approx(weights @ logs / weights.sum())
    assert row[_column("author_best_recent")] < np.median(logs)  # the recent weak paper counts more
    assert row[_column("days_since_author_voted")] == 10  # the unvoted paper 5 days ago is not a voted one
    assert row[_column("first_author_best")] == pytest.approx(logs[0]) and row[_column("last_author_best")] == 0
    assert row[_column("first_author_papers")] == 3 and row[_column("last_author_papers")] == 0
    assert row[_column("org_best")] == pytest.approx(logs[0]) and row[_column("org_median")] == pytest.approx(logs[0])


def test_unvoted_papers_count_as_history_but_not_in_averages() -> None:
    earlier = _paper("2503.00001", DAY - timedelta(days=3), ["Ada Lovelace"])
    target = _paper("2503.00002", DAY, ["Ada Lovelace"], code=True)
    history = History([(announcement(earlier), None), (announcement(target), None)])
    row = history.features(announcement(target))
    assert row[_column("author_papers_total")] == 1 and row[_column("authors_with_history")] == 0
    assert row[_column("has_code")] == 1


def test_day_scores_and_time_split() -> None:
    days = [DAY] * 6 + [DAY + timedelta(days=1)] * 6 + [DAY + timedelta(days=2)] * 3
    actual = [1.0, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1, 1, 2, 3]
    perfect = day_scores(days, actual, actual)
    assert perfect.spearman == pytest.approx(1.0) and perfect.top3 == 1.0 and perfect.days == 2  # 3-paper day skipped
    reverse = day_scores(days, [-a for a in actual], actual)
    assert reverse.spearman == pytest.approx(-1.0) and reverse.top3 == 0.0
    assert day_scores(days, [0.0] * len(days), actual).spearman == 0.0  # no ranking, no credit
    train, test, cut = time_split(days, test_share=0.34)
    assert cut == DAY + timedelta(days=2) and all(days[i] < cut for i in train) and all(days[i] >= cut for i in test)


def test_trending_prior_fades_as_votes_arrive() -> None:
    at = DAY
    assert trending_score(0, 0, DAY, at, prior=12.0) == pytest.approx(12.0)
    assert trending_score(0, 0, DAY, at, prior=None) == 0.0
    assert trending_score(int(PRIOR_FADE), 0, DAY, at, prior=12.0) == pytest.approx(PRIOR_FADE + 6.0)
    weight = [trending_score(v, 0, DAY, at, prior=12.0) - v for v in (0, 5, 20, 100, 1000)]
    assert weight == sorted(weight, reverse=True) and weight[-1] < 0.1


@pytest.fixture(scope="module")
def hf_papers(shared_data: Path) -> list[Paper]:
    corpus = shared_data / "hf-daily-papers" / "corpus.jsonl.gz"
    found = [p for p in get_source("beir")(str(corpus), SourceContext()) if isinstance(p, Paper)]
    return sorted(found, key=lambda p: (p.listing_date or date.min, p.id))[:2500]


def test_model_ranks_later_days_better_than_chance_and_explains(hf_papers: list[Paper]) -> None:
    anns = [announcement(p) for p in hf_papers]
    votes = [max(o.upvotes or 0 for o in p.popularity) for p in hf_papers]
    history = History(zip(anns, votes, strict=True))
    train, test, _ = time_split([a.day for a in anns])
    model = ImpactModel().fit([anns[i] for i in train], [votes[i] for i in train], history)
    predicted = model.predict([anns[i] for i in test], history)
    scores = day_scores([anns[i].day for i in test], list(predicted), [float(votes[i]) for i in test])
    assert scores.days >= 10 and scores.spearman > 0.25, scores  # random ranks at ~0
    reasons = model.explain([anns[i] for i in test[:5]], history)
    assert len(reasons) == 5 and all(0 < len(r) <= 3 for r in reasons)
    assert all(str(r).startswith(("↑", "↓")) for rs in reasons for r in rs)
    assert model.expected_votes(0.0) == pytest.approx(np.expm1(model.mean_log))


def test_model_round_trips_through_the_home(tmp_path: Path, hf_papers: list[Paper]) -> None:
    anns = [announcement(p) for p in hf_papers[:400]]
    votes = [max(o.upvotes or 0 for o in p.popularity) for p in hf_papers[:400]]
    history = History(zip(anns, votes, strict=True))
    model = ImpactModel().fit(anns, votes, history)
    model.save(tmp_path / "impact" / "model.pkl")
    again = ImpactModel.load(tmp_path / "impact" / "model.pkl")
    assert np.array_equal(model.predict(anns[:20], history), again.predict(anns[:20], history))

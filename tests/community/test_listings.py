"""Listings and the trending score on a real catalog."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from papersift.community import Community
from papersift.community.listings import Period, parse_period
from papersift.community.trending import GRAVITY, trending_score
from tests.community.factories import DAY1, DAY2, DAY3


def test_trending_score_decays_with_age_and_counts_both_vote_kinds() -> None:
    today = date(2024, 6, 10)
    assert trending_score(10, 0, today, today) == trending_score(0, 10, today, today) == 10.0
    assert trending_score(10, 0, date(2024, 6, 9), today) == pytest.approx(10 / 2**GRAVITY)
    assert trending_score(10, 5, date(2024, 6, 1), today) < trending_score(3, 0, today, today)
    assert trending_score(10, 0, date(2024, 6, 12), today) == 10.0  # future-dated: no bonus
    assert trending_score(10, 0, None, today) < 0.01


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("2024-05-29", None, None), Period("day", DAY3, DAY3)),
        ((None, "2024-W22", None), Period("week", date(2024, 5, 27), date(2024, 6, 2))),
        ((None, "2024-w22", None), Period("week", date(2024, 5, 27), date(2024, 6, 2))),
        ((None, None, "2024-02"), Period("month", date(2024, 2, 1), date(2024, 2, 29))),
        ((None, None, None), None),
    ],
)
def test_parse_period(args: tuple, expected: Period | None) -> None:
    assert parse_period(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ("2024-13-01", None, None),
        (None, "2024-W60", None),
        (None, "W22", None),
        (None, None, "2024"),
        ("2024-05-01", "2024-W22", None),
    ],
)
def test_parse_period_rejects_malformed(args: tuple) -> None:
    with pytest.raises(ValueError, match="must look like|only one"):
        parse_period(*args)


def test_period_values_and_labels() -> None:
    week = Period.containing("week", DAY3)
    assert (week.value, week.start) == ("2024-W22", DAY1)
    assert Period.containing("month", DAY3).value == "2024-05"
    assert Period.containing("day", DAY1).label == "Monday 27 May 2024"


def test_daily_feed_ranks_by_votes_and_navigates(community: Community) -> None:
    listings = community.listings
    assert listings.latest_day() == DAY3
    feed = listings.feed(Period.containing("day", DAY1), "trending", 1, 10, date(2024, 6, 1))
    assert [r.paper.id for r in feed.items] == ["2405.00002", "2405.00001"]
    assert feed.total == 2 and feed.previous is None and feed.following == Period.containing("day", DAY2)
    middle = listings.feed(Period.containing("day", DAY2), "votes", 1, 10, DAY2)
    assert middle.previous == Period.containing("day", DAY1)


def test_local_votes_change_the_order(community: Community) -> None:
    users = [community.accounts.create_user(f"u{i}@example.org", "password one") for i in range(3)]
    # on DAY2, 2405.00004 has 12 HF votes, 2405.00003 has 3; nine local votes would be needed...
    for u in users:
        community.votes.vote(u, "2405.00003")
    feed = community.listings.feed(Period.containing("day", DAY2), "votes", 1, 10, DAY2)
    got = [(r.paper.id, r.local, r.external) for r in feed.items]
    assert got == [("2405.00004", 0, 12), ("2405.00003", 3, 3)]


def test_week_feed_decays_older_papers(community: Community) -> None:
    feed = community.listings.feed(Period.containing("week", DAY1), "trending", 1, 10, date(2030, 1, 1))
    assert feed.total == 6
    # ranked as of the week's end (2 June): 40 votes aged 6 days vs 12 votes aged 5 days
    scores = {r.paper.id: r.score for r in feed.items}
    assert scores["2405.00002"] == pytest.approx(40 / 7**GRAVITY)
    assert [r.paper.id for r in feed.items][0] == "2405.00002"
    assert dict(feed.day_counts) == {DAY1: 2, DAY2: 2, DAY3: 2}
    newest = community.listings.feed(Period.containing("week", DAY1), "newest", 1, 2, date(2030, 1, 1))
    assert {r.paper.announced for r in newest.items} == {DAY3} and newest.pages == 3


def test_author_and_category_listings(community: Community) -> None:
    listings = community.listings
    ada = listings.by_author("ada  LOVELACE", "newest", 1, 10, DAY3)
    assert {r.paper.id for r in ada.items} == {"2405.00001", "2405.00002", "2405.00003", "2405.00004"}
    assert listings.author_name("ada lovelace") == "Ada Lovelace" and listings.author_name("nobody") is None
    lg = listings.by_category("cs.LG", "trending", 1, 10, DAY3)
    assert [r.paper.id for r in lg.items] == ["2405.00004"]


def test_feed_day_index_is_used(community: Community) -> None:
    from papersift.catalog.schema import papers
    from papersift.community.listings import FEED_DAY

    q = sa.select(papers.c.id).where(FEED_DAY.between(DAY1, DAY2))
    compiled = q.compile(community.listings.engine, compile_kwargs={"literal_binds": True})
    with community.listings.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # six rows: the planner would rightly prefer a scan
            conn.execute(sa.text("SET enable_seqscan = off"))
            explain = "EXPLAIN"
        else:
            explain = "EXPLAIN QUERY PLAN"
        plan = " ".join(str(r) for r in conn.execute(sa.text(f"{explain} {compiled}")))
    assert "ix_papers_feed_day" in plan


def test_trending_scores_for_the_search_service(community: Community) -> None:
    scores = community.listings.trending_scores(["2405.00002", "2405.00004", "missing"], DAY3)
    assert set(scores) == {"2405.00002", "2405.00004"}
    assert scores["2405.00002"] == pytest.approx(40 / 3**GRAVITY)

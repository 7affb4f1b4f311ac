"""Paper listings ranked by trending, votes or recency: daily/weekly/monthly feeds, author and
category pages.

A paper's feed day is its announcement date, else its submission date (sources differ in
which they know); migration 0002 indexes exactly that expression. Candidates are fetched as
light (id, day, votes) tuples, ranked in Python (the decay needs `pow`, which not every SQL
backend has), and only the requested page is loaded as full `Paper` records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from papersift.catalog import Catalog
from papersift.catalog.schema import paper_authors, paper_categories, papers
from papersift.catalog.store import author_key
from papersift.community.schema import votes
from papersift.community.trending import Prior, PriorSource, trending_score
from papersift.paper import Paper

FeedSort = Literal["trending", "votes", "newest"]
FEED_SORTS: tuple[FeedSort, ...] = ("trending", "votes", "newest")
PeriodKind = Literal["day", "week", "month"]
FEED_DAY = sa.func.coalesce(papers.c.announced, papers.c.submitted)  # Paper.listing_date; indexed (0002)


@dataclass(frozen=True)
class Period:
    """A calendar day, ISO week or month (inclusive bounds)."""

    kind: PeriodKind
    start: date
    end: date

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        if kind == "day":
            return cls("day", day, day)
        if kind == "week":
            start = day - timedelta(days=day.weekday())
            return cls("week", start, start + timedelta(days=6))
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return cls("month", start, following - timedelta(days=1))

    @property
    def value(self) -> str:
        """The URL spelling: 2024-05-27, 2024-W22 or 2024-05."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.strftime("%Y-%m")

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.strftime("%A %-d %B %Y")
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year} ({self.start:%-d %b} – {self.end:%-d %b})"
        return self.start.strftime("%B %Y")


def parse_period(day: str | None = None, week: str | None = None, month: str | None = None) -> Period | None:
    """The period named by at most one of day/week/month; None when none is given.

    Raises ValueError with a message that shows the expected spelling.
    """
    given = [(k, v) for k, v in (("date", day), ("week", week), ("month", month)) if v]
    if len(given) > 1:
        raise ValueError("give only one of date, week or month")
    if not given:
        return None
    kind, text = given[0]
    try:
        if kind == "date":
            return Period.containing("day", date.fromisoformat(text))
        if kind == "week":
            year, _, wk = text.upper().partition("-W")
            return Period.containing("week", date.fromisocalendar(int(year), int(wk), 1))
        year, _, mon = text.partition("-")
        return Period.containing("month", date(int(year), int(mon), 1))
    except ValueError:
        example = {"date": "2024-05-27", "week": "2024-W22", "month": "2024-05"}[kind]
        raise ValueError(f"{kind} must look like {example}, got {text[:40]!r}") from None


@dataclass
class Ranked:
    """A paper with what it was ranked by."""

    paper: Paper
    local: int
    external: int
    score: float
    prior: Prior | None = None  # predicted upvotes (impact prior), shown as "predicted", never as votes


@dataclass
class Listing:
    items: list[Ranked]
    total: int
    page: int
    per_page: int
    sort: FeedSort
    hidden: int = 0  # papers left out because the user marked them seen (not in `total`)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Feed(Listing):
    period: Period | None = None
    previous: Period | None = None
    following: Period | None = None
    day_counts: list[tuple[date, int]] | None = None


class Listings:
    """Read-only listings over the catalog plus local vote counts."""

    def __init__(self, catalog: Catalog, priors: PriorSource | None = None):
        self.catalog = catalog
        self.engine = catalog.engine
        self.priors = priors

    def latest_day(self) -> date | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(FEED_DAY)).where(papers.c.deleted.is_(False))).scalar()

    def feed(
        self, period: Period, sort: FeedSort, page: int, per_page: int, today: date, hide: Set[str] = frozenset()
    ) -> Feed:
        """One period's papers ranked as of the period's end (or today, if earlier), without the
        papers in `hide` (a user's seen papers; how many were left out is `hidden`)."""
        in_period = FEED_DAY.between(period.start, period.end)
        listing = self._rank(in_period, sort, page, per_page, min(period.end, today), hide)
        return Feed(
            **vars(listing),
            period=period,
            previous=self._neighbour(period, -1),
            following=self._neighbour(period, +1),
            day_counts=self._day_counts(in_period),
        )

    def by_author(self, name: str, sort: FeedSort, page: int, per_page: int, today: date) -> Listing:
        ids = sa.select(paper_authors.c.paper_id).where(paper_authors.c.name_key == author_key(name))
        return self._rank(papers.c.id.in_(ids), sort, page, per_page, today)

    def by_category(self, category: str, sort: FeedSort, page: int, per_page: int, today: date) -> Listing:
        ids = sa.select(paper_categories.c.paper_id).where(paper_categories.c.category == category)
        return self._rank(papers.c.id.in_(ids), sort, page, per_page, today)

    def author_name(self, name: str) -> str | None:
        """The author's name as first spelled in the catalog (None if no such author)."""
        q = sa.select(paper_authors.c.name).where(paper_authors.c.name_key == author_key(name)).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    def trending_scores(self, paper_ids: list[str], today: date) -> dict[str, float]:
        """Trending scores as of today for given papers (the search service's "sort by trending")."""
        scores: dict[str, float] = {}
        for i in range(0, len(paper_ids), 500):
            rows = self._candidates(papers.c.id.in_(paper_ids[i : i + 500]))
            priors = self._priors(rows)
            for r in rows:
                scores[r.id] = trending_score(r.external_upvotes, r.local, r.day, today, prior=_votes(priors, r.id))
        return scores

    def _priors(self, rows: Sequence[sa.Row[Any, Any, Any, Any]]) -> Mapping[str, Prior]:
        return self.priors.priors([r.id for r in rows]) if self.priors else {}

    def _candidates(self, where: sa.ColumnElement[bool]) -> Sequence[sa.Row[Any, Any, Any, Any]]:
        """(id, feed day, external votes, local votes) of the live papers matching `where`."""
        counted = sa.select(votes.c.paper_id, sa.func.count().label("n")).group_by(votes.c.paper_id).subquery()
        local = sa.func.coalesce(counted.c.n, 0).label("local")
        q = (
            sa.select(papers.c.id, FEED_DAY.label("day"), papers.c.external_upvotes, local)
            .select_from(papers.outerjoin(counted, counted.c.paper_id == papers.c.id))
            .where(papers.c.deleted.is_(False), where)
        )
        with self.engine.connect() as conn:
            return conn.execute(q).all()

    def _rank(
        self,
        where: sa.ColumnElement[bool],
        sort: FeedSort,
        page: int,
        per_page: int,
        at: date,
        hide: Set[str] = frozenset(),
    ) -> Listing:
        everything = self._candidates(where)
        rows = [r for r in everything if r.id not in hide] if hide else everything
        priors = self._priors(rows)
        scored = [
            (
                r.id,
                r.day or date.min,
                r.external_upvotes,
                r.local,
                trending_score(r.external_upvotes, r.local, r.day, at, prior=_votes(priors, r.id)),
            )
            for r in rows
        ]
        keys = {
            "trending": lambda s: (-s[4], -s[1].toordinal(), s[0]),
            "votes": lambda s: (-(s[2] + s[3]), -s[1].toordinal(), s[0]),
            "newest": lambda s: (-s[1].toordinal(), -(s[2] + s[3]), s[0]),
        }
        scored.sort(key=keys[sort])
        window = scored[(page - 1) * per_page : page * per_page]
        found = self.catalog.get_many(s[0] for s in window)
        items = [
            Ranked(found[pid], local, ext, score, priors.get(pid))
            for pid, _, ext, local, score in window
            if pid in found
        ]
        return Listing(items, len(scored), page, per_page, sort, hidden=len(everything) - len(rows))

    def _neighbour(self, period: Period, direction: int) -> Period | None:
        """The nearest earlier/later period of the same kind that has papers."""
        live = papers.c.deleted.is_(False)
        if direction < 0:
            q = sa.select(sa.func.max(FEED_DAY)).where(live, FEED_DAY < period.start)
        else:
            q = sa.select(sa.func.min(FEED_DAY)).where(live, FEED_DAY > period.end)
        with self.engine.connect() as conn:
            day = conn.execute(q).scalar()
        return Period.containing(period.kind, day) if day else None

    def _day_counts(self, where: sa.ColumnElement[bool]) -> list[tuple[date, int]]:
        q = (
            sa.select(FEED_DAY, sa.func.count())
            .where(papers.c.deleted.is_(False), where)
            .group_by(FEED_DAY)
            .order_by(FEED_DAY)
        )
        with self.engine.connect() as conn:
            return [(d, n) for d, n in conn.execute(q)]


def _votes(priors: Mapping[str, Prior], paper_id: str) -> float | None:
    prior = priors.get(paper_id)
    return prior.votes if prior else None

"""Composing one user's digest: which papers, in which section, and why each is there.

A digest covers a window of feed days (announcement, else submission date). The window starts
GRACE_DAYS before the end of the user's previous digest (never before that digest's own
start), so papers ingested a little late still make it in, and a paper is never listed twice
because every paper a user was ever sent is excluded (`DigestLedger.delivered`). A run that
missed days covers them all in one digest (up to MAX_WINDOW_DAYS) rather than skipping them
or sending a backlog of digests.
Sections go from the most to the least specific (saved searches, follows, recommendations,
trending) and a paper appears only in the first that claims it.
Replies to the user's comments are reported apart from the papers: those posted (real time,
since comments carry real timestamps) after the user's previous digest was recorded, up to
the moment this one is composed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

import sqlalchemy as sa

from papersift.catalog.schema import paper_authors, paper_categories, papers
from papersift.community import Community, User
from papersift.community.accounts import utcnow
from papersift.community.discussion import Comment
from papersift.community.listings import FEED_DAY, Period
from papersift.deliver.ledger import DigestLedger
from papersift.deliver.store import SECTION_LABELS, DeliveryStore, Subscription
from papersift.discover.feedback import Feedback
from papersift.discover.recommend import Recommender, Stores
from papersift.paper import Paper
from papersift.query.types import Filters, QueryError
from papersift.search.service import SearchService

GRACE_DAYS = 2
MAX_WINDOW_DAYS = 31
PER_SECTION = 10
PER_SEARCH = 5
MAX_REPLIES = 20  # the newest replies to the user's comments listed in one digest
SEARCH_LAG_DAYS = 30  # the search index dates papers by submission, which precedes announcement


@dataclass(frozen=True)
class Window:
    """The period a digest is for (its idempotency key) and the feed days it covers."""

    period: str
    since: date
    until: date


def window_for(frequency: str, last: tuple[date, date] | None, now: datetime) -> Window:
    """The window of a digest composed at `now`, after a previous one covering `last` (since, until)."""
    until = now.date()
    if frequency == "weekly":
        year, week, _ = until.isocalendar()
        period, length = f"{year}-W{week:02d}", 7
    else:
        period, length = until.isoformat(), 1
    since = max(last[1] - timedelta(days=GRACE_DAYS), last[0]) if last else until - timedelta(days=length)
    return Window(period, min(max(since, until - timedelta(days=MAX_WINDOW_DAYS)), until), until)


@dataclass
class Entry:
    paper: Paper
    reason: str


@dataclass
class Section:
    key: str
    title: str
    entries: list[Entry]
    more_url: str | None = None


@dataclass(frozen=True)
class Reply:
    """Someone answered one of the user's comments."""

    comment: Comment
    paper_title: str


@dataclass
class Digest:
    user: User
    frequency: str
    window: Window
    sections: list[Section]
    notices: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(s.entries) for s in self.sections)

    @property
    def empty(self) -> bool:
        return self.size == 0 and not self.replies

    @property
    def subject(self) -> str:
        kind = "Weekly" if self.frequency == "weekly" else "Daily"
        count = f"{self.size} new paper{'s' if self.size != 1 else ''}"
        if self.replies:
            count += f", {len(self.replies)} repl{'ies' if len(self.replies) != 1 else 'y'} to your comments"
        return f"{kind} papersift digest, {self.window.until:%-d %b %Y}: {count}"

    def items(self) -> list[tuple[str, str]]:
        """(paper id, section key) of every listed paper."""
        return [(e.paper.id, s.key) for s in self.sections for e in s.entries]


class Searchable(Stores, Protocol):
    """What composing a digest reads: the catalog, the indexes and the search service."""

    @property
    def search(self) -> SearchService: ...


class DigestComposer:
    """Builds digests from the catalog, the search service, community feeds and the recommender."""

    def __init__(
        self,
        ctx: Searchable,
        community: Community,
        store: DeliveryStore,
        feedback: Feedback,
        ledger: DigestLedger,
        recommender: Recommender,
    ):
        self.ctx, self.community, self.store, self.ledger = ctx, community, store, ledger
        self.feedback, self.recommender = feedback, recommender
        self.engine = ctx.catalog.engine

    def compose(self, user: User, sub: Subscription, window: Window) -> Digest:
        in_window = self._window_ids(window)
        blocked = self.ledger.delivered(user.id, in_window) | set(self.feedback.not_interested_ids(user))
        fresh = [pid for pid in in_window if pid not in blocked]
        digest = Digest(user, sub.frequency, window, [])
        builders = {
            "searches": self._searches,
            "follows": self._follows,
            "recommended": self._recommended,
            "trending": self._trending,
        }
        for key in sub.sections:
            for section in builders[key](user, sub, window, fresh, digest):
                if section.entries:
                    digest.sections.append(section)
                    taken = {e.paper.id for e in section.entries}
                    fresh = [pid for pid in fresh if pid not in taken]
        digest.replies = self._replies(user)
        return digest

    def _replies(self, user: User) -> list[Reply]:
        last = self.ledger.history(user.id, limit=1)
        found = self.community.discussion.replies_to(user, last[0].created_at if last else None, utcnow())
        found = found[-MAX_REPLIES:]
        titles = self.ctx.catalog.get_many([c.paper_id for c in found])
        return [Reply(c, titles[c.paper_id].title) for c in found if c.paper_id in titles]

    def _window_ids(self, window: Window) -> list[str]:
        q = (
            sa.select(papers.c.id)
            .where(papers.c.deleted.is_(False), FEED_DAY.between(window.since, window.until))
            .order_by(papers.c.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def _searches(
        self, user: User, sub: Subscription, window: Window, fresh: list[str], digest: Digest
    ) -> list[Section]:
        allowed, sections = set(fresh), []
        searched = Filters(date_from=window.since - timedelta(days=SEARCH_LAG_DAYS), date_to=window.until)
        for saved in self.store.saved_searches(user):
            try:  # "matching" means what the query matches as keywords; the link keeps the saved mode
                page = self.ctx.search.search(saved.query, "lexical", "relevance", 1, 100, searched)
            except QueryError as exc:
                digest.notices.append(f"saved search “{saved.query}” failed: {exc}")
                continue
            hits = [h.paper for h in page.hits if h.paper.id in allowed][:PER_SEARCH]
            allowed -= {p.id for p in hits}
            more = "/search?" + urlencode(
                {
                    "q": saved.query,
                    "mode": saved.mode,
                    "sort": "date",
                    "from": window.since.isoformat(),
                    "to": window.until.isoformat(),
                }
            )
            sections.append(
                Section(
                    "searches",
                    f"New for your saved search “{saved.query}”",
                    [Entry(p, f"matches your saved search “{saved.query}”") for p in hits],
                    more,
                )
            )
        return sections

    def _follows(
        self, user: User, sub: Subscription, window: Window, fresh: list[str], digest: Digest
    ) -> list[Section]:
        followed = self.store.follows(user)
        authors = {f.key: f.label for f in followed if f.kind == "author"}
        cats = {f.key: f.label for f in followed if f.kind == "category"}
        why: dict[str, str] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(fresh), 500):
                chunk = fresh[i : i + 500]
                if authors:
                    q = sa.select(paper_authors.c.paper_id, paper_authors.c.name_key).where(
                        paper_authors.c.paper_id.in_(chunk), paper_authors.c.name_key.in_(list(authors))
                    )
                    for pid, key in conn.execute(q):
                        why.setdefault(pid, f"by {authors[key]}, whom you follow")
                if cats:
                    q = sa.select(paper_categories.c.paper_id, paper_categories.c.category).where(
                        paper_categories.c.paper_id.in_(chunk), paper_categories.c.category.in_(list(cats))
                    )
                    for pid, cat in conn.execute(q):
                        why.setdefault(pid, f"in {cats[cat]}, which you follow")
        scores = self.community.listings.trending_scores(list(why), window.until)
        best = sorted(why, key=lambda pid: (-scores.get(pid, 0.0), pid))[:PER_SECTION]
        found = self.ctx.catalog.get_many(best)
        return [Section("follows", SECTION_LABELS["follows"], [Entry(found[p], why[p]) for p in best if p in found])]

    def _recommended(
        self, user: User, sub: Subscription, window: Window, fresh: list[str], digest: Digest
    ) -> list[Section]:
        result = self.recommender.recommend(
            user,
            collection_ids=sub.collections or None,
            candidates=fresh,
            limit=PER_SECTION,
            now=datetime.combine(window.until, datetime.min.time()),
            confident_only=True,
        )
        digest.notices.extend(result.notices)
        entries = [Entry(r.paper, r.reason) for r in result.items]
        return [Section("recommended", SECTION_LABELS["recommended"], entries, "/recommendations")]

    def _trending(
        self, user: User, sub: Subscription, window: Window, fresh: list[str], digest: Digest
    ) -> list[Section]:
        with self.engine.connect() as conn:
            day = conn.execute(
                sa.select(sa.func.max(FEED_DAY)).where(
                    papers.c.deleted.is_(False), FEED_DAY.between(window.since, window.until)
                )
            ).scalar()
        if day is None:
            return []
        allowed = set(fresh)
        feed = self.community.listings.feed(Period.containing("day", day), "trending", 1, 100, window.until)
        entries: list[Entry] = []
        for ranked in feed.items:
            if ranked.paper.id in allowed and len(entries) < PER_SECTION:
                votes = ranked.local + ranked.external
                reason = (
                    f"{votes} upvote{'s' if votes != 1 else ''} on {day:%-d %b}" if votes else f"new on {day:%-d %b}"
                )
                entries.append(Entry(ranked.paper, reason))
        return [Section("trending", SECTION_LABELS["trending"], entries, f"/?date={day.isoformat()}")]

"""What is known about a paper on the day it is announced, as numbers for the impact prior.

The impact prior (`discover.impact`) predicts a paper's community attention before anyone has
voted. Everything here is therefore built from an `Announcement`: the part of a `Paper` that
exists at announcement time. Its vote and comment counts are never copied into it, so no
feature can see them, whatever the input file holds.

Author and organisation history come from *other* papers announced strictly before the paper's
own listing day (`History`): how many such papers each author has in the catalog and how many
votes the voted ones received. Averages are shrunk towards the overall mean (an author with one
lucky paper is not a star), and a paper never contributes to its own history. Besides averages,
the history gives each author's best and median earlier paper and a recency-weighted average
(half-life RECENT_HALF_LIFE days: a group's attention drifts), for the first and last author
separately too, and the organisation's best and median (benchmarks/results/impact.md).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

import numpy as np

from papersift.catalog.store import author_key
from papersift.paper import Paper

SHRINK = 2.0  # pseudo-papers at the overall mean added to every author's/organisation's average
RECENT_HALF_LIFE = 120.0  # days after which an earlier paper counts half in the recency-weighted average
NO_RECENT = 3650.0  # "days since the last voted paper" of an author without one


@dataclass(frozen=True)
class Announcement:
    """A paper as known on its announcement day: no votes, no comments, no stars."""

    id: str
    day: date | None
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    organization: str | None
    has_code: bool
    has_project: bool
    submitted: date | None = None

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}"


def announcement(paper: Paper) -> Announcement:
    """The announcement-time view of a paper (reads neither `popularity` nor any count)."""
    org = paper.links.get("organization")
    return Announcement(
        id=paper.id,
        day=paper.listing_date,
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(author_key(a) for a in paper.authors),
        categories=tuple(paper.categories),
        organization=org.rstrip("/").rsplit("/", 1)[-1].lower() if org else None,
        has_code=bool(paper.links.get("code")),
        has_project=bool(paper.links.get("project")),
        submitted=paper.submitted,
    )


def log_votes(upvotes: int) -> float:
    """The scale the prior is learned on: log(1 + upvotes) (vote counts are heavy-tailed)."""
    return math.log1p(max(upvotes, 0))


@dataclass
class _Track:
    """One author's (or organisation's) papers in day order, with running totals for prefix look-ups."""

    days: list[int] = field(default_factory=list)
    votes: list[float | None] = field(default_factory=list)
    voted: list[int] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    best: list[float] = field(default_factory=list)

    def freeze(self) -> None:
        order = sorted(range(len(self.days)), key=self.days.__getitem__)
        self.days = [self.days[i] for i in order]
        self.votes = [self.votes[i] for i in order]
        self.voted = list(accumulate(int(v is not None) for v in self.votes))
        self.total = list(accumulate(v or 0.0 for v in self.votes))
        self.best = list(accumulate((v or 0.0 for v in self.votes), max))

    def before(self, day: int) -> tuple[int, int, float, float]:
        """(papers, voted papers, summed log votes, best log votes) strictly before `day`."""
        n = bisect_left(self.days, day)
        if n == 0:
            return 0, 0, 0.0, 0.0
        return n, self.voted[n - 1], self.total[n - 1], self.best[n - 1]

    def voted_before(self, day: int) -> _Voted | None:
        """Median, recency-weighted average and days since the last of the voted papers strictly
        before `day` (None: there are none)."""
        n = bisect_left(self.days, day)
        pairs = [(d, v) for d, v in zip(self.days[:n], self.votes[:n], strict=True) if v is not None]
        if not pairs:
            return None
        ages = np.array([day - d for d, _ in pairs], dtype=np.float64)
        values = np.array([v for _, v in pairs], dtype=np.float64)
        weights = 0.5 ** (ages / RECENT_HALF_LIFE)
        return _Voted(float(np.median(values)), float(weights @ values / weights.sum()), float(ages.min()))


@dataclass(frozen=True)
class _Voted:
    """Summary of one author's (or organisation's) voted papers before a day, on the log scale."""

    median: float
    recent: float
    days_since: float


# (name, what it means in words, kind) in column order; `shown` turns a value into words for `explain`.
# kinds: "votes" = a log(1 + upvotes) average, "count", "flag", "chars" (and "rank", "score" in impact.py).
FEATURES: tuple[tuple[str, str, str], ...] = (
    ("author_best_mean", "best earlier average among its authors", "votes"),
    ("author_mean_mean", "its authors' earlier average", "votes"),
    ("authors_with_history", "authors with earlier voted papers", "count"),
    ("author_history_share", "share of authors with earlier voted papers", "share"),
    ("author_most_papers", "most earlier papers by one author", "count"),
    ("author_best_paper", "its authors' best earlier paper", "votes"),
    ("first_author_mean", "first author's earlier average", "votes"),
    ("last_author_mean", "last author's earlier average", "votes"),
    ("author_papers_total", "its authors' earlier papers", "count"),
    ("org_mean", "its organisation's earlier average", "votes"),
    ("org_papers", "its organisation's earlier papers", "count"),
    ("has_org", "a named organisation", "flag"),
    ("has_code", "a code link", "flag"),
    ("has_project", "a project page", "flag"),
    ("authors", "number of authors", "count"),
    ("abstract_chars", "abstract length", "chars"),
    ("title_chars", "title length", "chars"),
    ("days_since_submission", "days between submission and announcement", "count"),
    ("author_best_median", "best earlier median among its authors", "votes"),
    ("author_best_recent", "best recent average among its authors", "votes"),
    ("author_mean_recent", "its authors' recent average", "votes"),
    ("days_since_author_voted", "days since one of its authors was last voted on", "count"),
    ("first_author_best", "first author's best earlier paper", "votes"),
    ("last_author_best", "last author's best earlier paper", "votes"),
    ("first_author_papers", "first author's earlier papers", "count"),
    ("last_author_papers", "last author's earlier papers", "count"),
    ("org_best", "its organisation's best earlier paper", "votes"),
    ("org_median", "its organisation's earlier median", "votes"),
    ("org_recent", "its organisation's recent average", "votes"),
)


def shown(label: str, kind: str, value: float) -> str:
    """A feature's value in words: "a code link: yes", "its authors' earlier average: ~12 votes"."""
    if kind == "flag":
        return f"{label}: {'yes' if value else 'no'}"
    if kind == "votes":
        return f"{label}: ~{math.expm1(value):.0f} votes"
    if kind == "rank":
        return f"{label}: top {max(1.0 - value, 0.01):.0%}"
    if kind == "share":
        return f"{label}: {value:.0%}"
    if kind == "chars":
        return f"{label}: {value:.0f} characters"
    if kind == "score":
        return f"{label} ({value:+.2f})"
    return f"{label}: {value:.0f}"


class History:
    """Past papers of every author and organisation, answering "what was known before day D"."""

    def __init__(self, papers: Iterable[tuple[Announcement, int | None]]):
        """`papers`: every known paper with its external upvotes (None when it was never voted on)."""
        self.authors: dict[str, _Track] = {}
        self.orgs: dict[str, _Track] = {}
        logs: list[float] = []
        for ann, upvotes in papers:
            if ann.day is None:
                continue
            value = None if upvotes is None else log_votes(upvotes)
            if value is not None:
                logs.append(value)
            keys = [(self.authors, a) for a in dict.fromkeys(ann.authors)]
            if ann.organization:
                keys.append((self.orgs, ann.organization))
            for tracks, key in keys:
                track = tracks.setdefault(key, _Track())
                track.days.append(ann.day.toordinal())
                track.votes.append(value)
        for track in (*self.authors.values(), *self.orgs.values()):
            track.freeze()
        self.mean = float(np.mean(logs)) if logs else 0.0

    def _shrunk(self, voted: int, total: float) -> float:
        return (total + SHRINK * self.mean) / (voted + SHRINK)

    def _lookup(self, tracks: dict[str, _Track], key: str, day: int) -> tuple[int, int, float, float]:
        track = tracks.get(key)
        return track.before(day) if track else (0, 0, 0.0, 0.0)

    def features(self, ann: Announcement) -> list[float]:
        """One row of `FEATURES` for `ann`, from history strictly before its day (undated: all of it)."""
        day = ann.day.toordinal() if ann.day else date.max.toordinal()
        seen = [self._lookup(self.authors, a, day) for a in ann.authors]
        means = [self._shrunk(v, t) for _, v, t, _ in seen if v]
        first = self._shrunk(*seen[0][1:3]) if seen else self.mean
        last = self._shrunk(*seen[-1][1:3]) if seen else self.mean
        org = self._lookup(self.orgs, ann.organization, day) if ann.organization else (0, 0, 0.0, 0.0)
        voted = [self.authors[a].voted_before(day) if a in self.authors else None for a in ann.authors]
        known = [v for v in voted if v is not None]
        org_track = self.orgs.get(ann.organization) if ann.organization else None
        org_voted = org_track.voted_before(day) if org_track else None
        return [
            max(means, default=self.mean),
            float(np.mean(means)) if means else self.mean,
            float(len(means)),
            len(means) / max(len(ann.authors), 1),
            float(max((n for n, _, _, _ in seen), default=0)),
            max((b for _, _, _, b in seen), default=0.0),
            first,
            last,
            float(sum(n for n, _, _, _ in seen)),
            self._shrunk(org[1], org[2]),
            float(org[0]),
            float(ann.organization is not None),
            float(ann.has_code),
            float(ann.has_project),
            float(len(ann.authors)),
            float(len(ann.abstract)),
            float(len(ann.title)),
            float(min(max((ann.day - ann.submitted).days, 0), 365)) if ann.day and ann.submitted else -1.0,
            max((v.median for v in known), default=self.mean),
            max((v.recent for v in known), default=self.mean),
            float(np.mean([v.recent for v in known])) if known else self.mean,
            min((v.days_since for v in known), default=NO_RECENT),
            seen[0][3] if seen else 0.0,
            seen[-1][3] if seen else 0.0,
            float(seen[0][0]) if seen else 0.0,
            float(seen[-1][0]) if seen else 0.0,
            org[3],
            org_voted.median if org_voted else self.mean,
            org_voted.recent if org_voted else self.mean,
        ]

    def matrix(self, anns: Sequence[Announcement]) -> np.ndarray:
        return np.array([self.features(a) for a in anns], dtype=np.float64).reshape(len(anns), len(FEATURES))

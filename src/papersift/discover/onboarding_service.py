"""A new user's taste in one minute: seeds, then rounds of ten questions chosen by active learning.

1. Seeds (optional): categories to start from, and a few lines naming papers the user likes —
   arXiv ids or DOIs, titles, or an author's name (their newest papers). Each paper found is
   recorded as a rating "relevant", so it shows in (and can be removed from) the user's ratings.
2. A round: ROUND papers to rate, chosen by discover/onboarding.py `choose` from a pool of
   recent papers of the chosen categories, the current model's neighbourhood and a random
   sample of the catalog, never a paper the user already rated, keeps or hid.
3. Answers are stored as ratings (discover/ratings.py) and the next round is chosen under the
   refitted model; rounds can be repeated any time from the account page.

Everything written is the user's own rows; every input is bounded (MAX_* below).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from papersift.catalog.schema import paper_authors, paper_categories, papers
from papersift.catalog.store import author_key
from papersift.community import User
from papersift.community.trending import external_upvotes
from papersift.discover.model import LibraryModel
from papersift.discover.onboarding import ROUND, choose
from papersift.discover.ratings import Ratings
from papersift.discover.recommend import Recommender
from papersift.paper import Paper
from papersift.query.syntax import plain_query

log = logging.getLogger(__name__)

MAX_SEED_LINES = 10
MAX_SEED_LINE = 300
MAX_CATEGORIES = 10
MAX_ANSWERS = 50
AUTHOR_SEEDS = 5  # an author's newest papers that seed the model
CATEGORY_POOL = 500  # newest papers of the chosen categories
NEIGHBOUR_POOL = 200  # the current model's best-scored papers (its cut runs through them)
RANDOM_POOL = 300  # random catalog papers: the rest of the world, where the model may be wrong
TITLE_MATCH = 0.8  # word-set overlap (Jaccard) a pasted title needs with a catalog title
_CATEGORY = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]{0,39}$")


@dataclass
class SeedReport:
    """What the pasted lines resolved to, and the lines nothing was found for."""

    found: list[Paper] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def valid_categories(raw: Sequence[str]) -> list[str]:
    """Category codes as typed (cs.CL, stat.ML ...): de-duplicated, bounded, malformed ones dropped."""
    return [c for c in dict.fromkeys(x.strip() for x in raw) if _CATEGORY.match(c)][:MAX_CATEGORIES]


class Onboarding:
    """Seeds, questions and answers for one user at a time (see the module docstring)."""

    def __init__(self, recommender: Recommender):
        self.recommender = recommender
        self.ctx = recommender.ctx
        self.engine = recommender.engine
        self.ratings = Ratings(self.engine)

    def popular_categories(self, limit: int = 24) -> list[tuple[str, int]]:
        """The catalog's categories with the most papers: what the category picker offers."""
        n = sa.func.count().label("n")
        q = sa.select(paper_categories.c.category, n).group_by(paper_categories.c.category).order_by(n.desc())
        with self.engine.connect() as conn:
            return [(c, int(k)) for c, k in conn.execute(q.limit(limit))]

    def seed(self, user: User, text: str) -> SeedReport:
        """Resolve pasted lines (ids/DOIs, titles, author names) and rate what they name relevant."""
        report = SeedReport()
        lines = [line.strip()[:MAX_SEED_LINE] for line in text.splitlines() if line.strip()]
        for line in lines[:MAX_SEED_LINES]:
            found = self._resolve(line)
            if not found:
                report.unresolved.append(line)
            for paper in found:
                if paper.id not in {p.id for p in report.found}:
                    report.found.append(paper)
                    self.ratings.rate(user, paper.id, True)
        report.unresolved += lines[MAX_SEED_LINES:]
        return report

    def _resolve(self, line: str) -> list[Paper]:
        paper = self.ctx.catalog.get(line)
        if paper is not None:
            return [paper]
        by_author = self._author_papers(line)
        if by_author:
            return by_author
        return [p for p in [self._title(line)] if p is not None]

    def _author_papers(self, name: str) -> list[Paper]:
        q = (
            sa.select(papers.c.id)
            .join(paper_authors, paper_authors.c.paper_id == papers.c.id)
            .where(paper_authors.c.name_key == author_key(name), papers.c.deleted.is_(False))
            .order_by(papers.c.announced.desc(), papers.c.id)
            .limit(AUTHOR_SEEDS)
        )
        with self.engine.connect() as conn:
            ids = list(conn.execute(q).scalars())
        found = self.ctx.catalog.get_many(ids)
        return [found[pid] for pid in ids if pid in found]

    def _title(self, line: str) -> Paper | None:
        """The catalog paper whose title is (nearly) this line: the best keyword hit, if its words match."""
        wanted = _words(line)
        if len(wanted) < 2:
            return None
        hits = self.ctx.indexes.lexical.search(plain_query(line), limit=5)
        found = self.ctx.catalog.get_many([pid for pid, _ in hits])
        for pid, _ in hits:
            paper = found.get(pid)
            if paper is not None:
                words = _words(paper.title)
                if len(wanted & words) / len(wanted | words) >= TITLE_MATCH:
                    return paper
        return None

    def questions(
        self, user: User, categories: Sequence[str] = (), k: int = ROUND, now: datetime | None = None
    ) -> list[Paper]:
        """The next `k` papers to ask this user about, in the order to show them."""
        rec = self.recommender
        library = rec.library(user)
        kept = rec.kept_vectors(library)
        rated = {r.paper_id for r in self.ratings.of_user(user)}
        disliked = rec.disliked(user)
        excluded = {item.paper_id for item in library.items} | rated | set(disliked)
        model: LibraryModel | None = rec.fit_model(user, kept, excluded, now)[0] if kept else None
        pool = self._pool(user, valid_categories(categories), model, excluded)
        if not pool:
            return []
        found = self.ctx.catalog.get_many([pid for pid, _ in pool])
        pool = [(pid, v) for pid, v in pool if pid in found]
        prior = np.array([float(external_upvotes(found[pid])) for pid, _ in pool])
        order = choose(np.stack([v for _, v in pool]), k, model=model, prior=prior)
        return [found[pool[i][0]] for i in order]

    def _pool(
        self, user: User, categories: list[str], model: LibraryModel | None, excluded: set[str]
    ) -> list[tuple[str, np.ndarray]]:
        vectors = self.ctx.indexes.vectors
        ids: list[str] = []
        if categories:
            q = (
                sa.select(papers.c.id)
                .join(paper_categories, paper_categories.c.paper_id == papers.c.id)
                .where(paper_categories.c.category.in_(categories), papers.c.deleted.is_(False))
                .order_by(papers.c.announced.desc(), papers.c.id)
                .limit(CATEGORY_POOL)
            )
            with self.engine.connect() as conn:
                ids += list(conn.execute(q).scalars())
        if model is not None:
            ids += [pid for pid, _ in vectors.search(model.direction, NEIGHBOUR_POOL + len(excluded))]
        ids += [pid for pid, _ in self.recommender.random_papers(user, excluded, RANDOM_POOL)]
        return [(pid, v) for pid in dict.fromkeys(ids) if pid not in excluded and (v := vectors.get(pid)) is not None]

    def answer(self, user: User, answers: Sequence[tuple[str, bool]]) -> int:
        """Store the user's answers (paper id, relevant?); unknown papers are ignored. How many were stored."""
        found = self.ctx.catalog.get_many([pid for pid, _ in answers[:MAX_ANSWERS]])
        stored = 0
        for pid, relevant in answers[:MAX_ANSWERS]:
            if pid in found:
                self.ratings.rate(user, pid, relevant)
                stored += 1
        return stored

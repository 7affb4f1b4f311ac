"""Personal recommendations from what a user keeps: their collections and upvotes.

The library (papers in the user's collections, or in chosen ones, plus upvoted papers) is
turned into a linear scorer over the stored MiniLM vectors by `discover.model.fit` — the
model and its settings were chosen by measurement (benchmarks/recommend.py,
benchmarks/results/recommend.md). Because the scorer is linear, ranking the whole catalog
is one exact inner-product search in the vector index. Papers marked "not interested" are
never recommended and act as hard negatives, pushing their neighbourhood down too.

Every recommendation says why: the library paper it is closest to (and where the user keeps
it) plus the key terms the two share.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from papersift.catalog.schema import papers
from papersift.community import Community, User
from papersift.community.accounts import utcnow
from papersift.community.schema import collection_items, collections, votes
from papersift.context import AppContext
from papersift.deliver.store import DeliveryStore
from papersift.discover.model import LibraryModel, fit
from papersift.paper import Paper

MAX_LIBRARY = 2000  # most recent items; older ones barely move a time-weighted model
MAX_FEEDBACK = 500
NEGATIVES = 1000
UPVOTED = "your upvotes"


@dataclass(frozen=True)
class LibraryItem:
    paper_id: str
    added: datetime
    source: str  # the collection's name, or UPVOTED


@dataclass
class Library:
    items: list[LibraryItem]
    total: int  # before the cap

    @property
    def capped(self) -> bool:
        return self.total > len(self.items)


@dataclass
class Recommendation:
    paper: Paper
    score: float
    anchor: Paper | None
    anchor_source: str
    shared_terms: list[str]

    @property
    def reason(self) -> str:
        if self.anchor is None:
            return "close to the papers you keep"
        where = "which you upvoted" if self.anchor_source == UPVOTED else f"in your collection {self.anchor_source}"
        terms = f"; shared terms: {', '.join(self.shared_terms)}" if self.shared_terms else ""
        return f"close to “{self.anchor.title}” {where}{terms}"


@dataclass
class Recommendations:
    items: list[Recommendation]
    library: Library
    notices: list[str] = field(default_factory=list)


class Recommender:
    """Fits a user's model on demand (milliseconds for thousands of papers) and ranks papers."""

    def __init__(self, ctx: AppContext, community: Community, store: DeliveryStore):
        self.ctx, self.community, self.store = ctx, community, store
        self.engine = ctx.catalog.engine

    def library(self, user: User, collection_ids: Sequence[int] | None = None) -> Library:
        """The user's kept papers, newest first; only the given collections when named (no upvotes then)."""
        kept = (
            sa.select(collection_items.c.paper_id, collection_items.c.added_at, collections.c.name)
            .join(collections, collections.c.id == collection_items.c.collection_id)
            .where(collections.c.user_id == user.id)
        )
        if collection_ids is not None:
            kept = kept.where(collections.c.id.in_(list(collection_ids)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(kept))
            if collection_ids is None:
                upvoted = sa.select(votes.c.paper_id, votes.c.created_at).where(votes.c.user_id == user.id)
                rows += [(pid, at, UPVOTED) for pid, at in conn.execute(upvoted)]
        newest: dict[str, LibraryItem] = {}
        for pid, added, source in sorted(rows, key=lambda r: (r[1], r[2]), reverse=True):
            newest.setdefault(pid, LibraryItem(pid, added, source))
        items = list(newest.values())
        return Library(items[:MAX_LIBRARY], len(items))

    def recommend(
        self,
        user: User,
        *,
        collection_ids: Sequence[int] | None = None,
        candidates: Sequence[str] | None = None,
        limit: int = 10,
        now: datetime | None = None,
        confident_only: bool = False,
    ) -> Recommendations:
        """The best `limit` papers among `candidates` (default: the whole index) for this user;
        with `confident_only`, only those the model predicts belong with the library (a digest
        should rather be short than padded with whatever scored least badly)."""
        library = self.library(user, collection_ids)
        out = Recommendations([], library)
        if library.capped:
            out.notices.append(
                f"your library has {library.total} papers; recommendations use the "
                f"{len(library.items)} most recently added"
            )
        vectors = self.ctx.indexes.vectors
        kept = [(item, v) for item in library.items if (v := vectors.get(item.paper_id)) is not None]
        if missing := len(library.items) - len(kept):
            out.notices.append(
                f"{missing} paper(s) of your library are not in the semantic index yet (run `papersift index`)"
            )
        if not kept:
            if not library.items:
                out.notices.append("save or upvote a few papers to get recommendations")
            return out
        disliked = self.store.not_interested_ids(user)[:MAX_FEEDBACK]
        hard = [v for pid in disliked if (v := vectors.get(pid)) is not None]
        lib_ids = {item.paper_id for item, _ in kept}
        model = fit(
            np.stack([v for _, v in kept]),
            [(now or utcnow()) - item.added for item, _ in kept],
            self._negatives(user, lib_ids | set(candidates or ())),
            np.stack(hard) if hard else None,
        )
        excluded = {item.paper_id for item in library.items} | set(disliked)
        ranked = self._rank(model, candidates, excluded, limit)
        if confident_only:
            ranked = [(pid, score) for pid, score in ranked if score > model.threshold]
        out.items = self._explain(ranked, kept, model)
        return out

    def _negatives(self, user: User, exclude: set[str]) -> np.ndarray | None:
        """Random catalog papers (the "everything else" a library is contrasted with), drawn by
        change-log number so no table scan is needed; seeded per user so pages are stable. The
        papers being ranked are left out: calling a candidate a negative would only hurt it."""
        vectors = self.ctx.indexes.vectors
        top = self.ctx.catalog.max_seq()
        rng = random.Random(user.id)
        seqs = rng.sample(range(1, top + 1), min(top, 3 * NEGATIVES))
        found: list[np.ndarray] = []
        with self.engine.connect() as conn:
            for i in range(0, len(seqs), 500):
                q = sa.select(papers.c.id).where(papers.c.seq.in_(seqs[i : i + 500]), papers.c.deleted.is_(False))
                for pid in conn.execute(q).scalars():
                    if pid not in exclude and (v := vectors.get(pid)) is not None and len(found) < NEGATIVES:
                        found.append(v)
        return np.stack(found) if found else None

    def _rank(
        self, model: LibraryModel, candidates: Sequence[str] | None, excluded: set[str], limit: int
    ) -> list[tuple[str, float]]:
        vectors = self.ctx.indexes.vectors
        if candidates is None:
            hits = vectors.search(model.direction, limit + len(excluded))
            return [(pid, s + model.bias) for pid, s in hits if pid not in excluded][:limit]
        pool = [
            (pid, v) for pid in dict.fromkeys(candidates) if pid not in excluded and (v := vectors.get(pid)) is not None
        ]
        if not pool:
            return []
        scores = model.score(np.stack([v for _, v in pool]))
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(pool[i][0], float(scores[i])) for i in order]

    def _explain(
        self, ranked: list[tuple[str, float]], kept: list[tuple[LibraryItem, np.ndarray]], model: LibraryModel
    ) -> list[Recommendation]:
        vectors = self.ctx.indexes.vectors
        lexical = self.ctx.indexes.lexical
        library_matrix = np.stack([v for _, v in kept])
        found = self.ctx.catalog.get_many([pid for pid, _ in ranked] + [item.paper_id for item, _ in kept])
        out = []
        for pid, score in ranked:
            if pid not in found:
                continue
            vec = vectors.get(pid)
            anchor_item = kept[int(np.argmax(library_matrix @ vec))][0] if vec is not None else None
            anchor = found.get(anchor_item.paper_id) if anchor_item else None
            terms = lexical.shared_terms(pid, anchor.id, k=4) if anchor else []
            out.append(Recommendation(found[pid], score, anchor, anchor_item.source if anchor_item else "", terms))
        return out

"""Personal recommendations from what a user keeps: their collections and upvotes.

The library (papers in the user's collections, or in chosen ones, plus upvoted papers) is
turned into a linear scorer over the stored MiniLM vectors by `discover.model.fit`; because
it is linear, ranking the whole catalog is one exact inner-product search in the vector index.
Libraries of lexical.MIN_LIBRARY papers or more are then re-ranked by a TF-IDF model
(`discover.lexical`), which measured better for them (benchmarks/results/recommend.md).
Papers marked "not interested" are never recommended and are negatives for both models,
pushing their neighbourhood down too.

Every recommendation says why: the library paper it is closest to (and where the user keeps
it) plus the key terms the two share.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import numpy as np
import sqlalchemy as sa

from papersift.catalog import Catalog
from papersift.catalog.schema import papers
from papersift.community import Community, User
from papersift.community.accounts import utcnow
from papersift.community.schema import collection_items, collections, votes
from papersift.discover import lexical
from papersift.discover.feedback import Feedback
from papersift.discover.model import LibraryModel, fit
from papersift.discover.private import PrivateEntries, PrivateEntry
from papersift.discover.ratings import Ratings
from papersift.encoder.embed import Encoder
from papersift.index.protocols import IndexStore
from papersift.paper import Paper

MAX_LIBRARY = 2000  # most recent items; older ones barely move a time-weighted model
# Papers whose lexical terms a process keeps (least recently used dropped first). Every user's
# model draws up to 3,000 random catalog papers as negatives, so an unbounded cache would grow
# towards the whole catalog in a long-running server (GBs at 1M papers). Measured with tracemalloc
# on 20,000 real arXiv cs abstracts: ~19 KiB of term lists a paper, so 5,000 papers is ~95 MiB,
# enough for one user's 3,000 negatives plus library and pool.
TERMS_CACHE_MAX = 5_000
MAX_FEEDBACK = 500
EMBEDDING_NEGATIVES = 1000  # enough contrast for the 385 weights of the embedding model
NEGATIVES = 3000  # the TF-IDF model's 20,000 weights (and idf) need more of the catalog: D68
POOL_PER_ITEM = 20  # whole-catalog ranking: the lexical model re-ranks the embedding model's top 20 x limit
UPVOTED = "your upvotes"
RATED = "your ratings"


@dataclass(frozen=True)
class LibraryItem:
    paper_id: str
    added: datetime
    source: str  # the collection's name, or UPVOTED


@dataclass
class Library:
    items: list[LibraryItem]
    total: int  # before the cap
    private: dict[str, PrivateEntry] = field(default_factory=dict)  # uploaded entries not in the catalog, by item id

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
        where = {UPVOTED: "which you upvoted", RATED: "which you rated relevant"}.get(
            self.anchor_source, f"in your collection {self.anchor_source}"
        )
        terms = f"; shared terms: {', '.join(self.shared_terms)}" if self.shared_terms else ""
        return f"close to “{self.anchor.title}” {where}{terms}"


@dataclass
class Recommendations:
    items: list[Recommendation]
    library: Library
    notices: list[str] = field(default_factory=list)


class Stores(Protocol):
    """What the recommender reads: the catalog and the indexes (opened lazily by the app context)."""

    @property
    def catalog(self) -> Catalog: ...
    @property
    def indexes(self) -> IndexStore: ...
    @property
    def encoder(self) -> Encoder: ...
    @property
    def encoder_name(self) -> str: ...


class Recommender:
    """Fits a user's model on demand (milliseconds for thousands of papers) and ranks papers."""

    def __init__(self, ctx: Stores, community: Community, feedback: Feedback):
        self.ctx, self.community, self.feedback = ctx, community, feedback
        self.engine = ctx.catalog.engine
        self.private = PrivateEntries(self.engine)
        self.ratings = Ratings(self.engine)
        self._terms: OrderedDict[str, list[str]] = OrderedDict()  # lexical features by paper id, LRU

    def library(self, user: User, collection_ids: Sequence[int] | None = None) -> Library:
        """The user's kept papers (collections, upvotes, papers rated relevant), newest first; only
        the given collections when named (no upvotes or ratings then)."""
        kept = (
            sa.select(collection_items.c.paper_id, collection_items.c.added_at, collections.c.name)
            .join(collections, collections.c.id == collection_items.c.collection_id)
            .where(collections.c.user_id == user.id)
        )
        if collection_ids is not None:
            kept = kept.where(collections.c.id.in_(list(collection_ids)))
        rows: list[tuple[str, datetime, str]] = []
        with self.engine.connect() as conn:
            rows += [(pid, at, name) for pid, at, name in conn.execute(kept)]
            if collection_ids is None:
                upvoted = sa.select(votes.c.paper_id, votes.c.created_at).where(votes.c.user_id == user.id)
                rows += [(pid, at, UPVOTED) for pid, at in conn.execute(upvoted)]
        if collection_ids is None:
            rows += [(r.paper_id, r.created_at, RATED) for r in self.ratings.of_user(user) if r.relevant]
        private = self.private.of_user(user, collection_ids, self.ctx.encoder_name, MAX_LIBRARY)
        rows += [(entry.item_id, entry.added_at, entry.collection_name) for entry in private]
        newest: dict[str, LibraryItem] = {}
        for pid, added, source in sorted(rows, key=lambda r: (r[1], r[2]), reverse=True):
            newest.setdefault(pid, LibraryItem(pid, added, source))
        items = list(newest.values())
        chosen = {item.paper_id for item in items[:MAX_LIBRARY]}
        return Library(items[:MAX_LIBRARY], len(items), {e.item_id: e for e in private if e.item_id in chosen})

    def _private_vectors(self, library: Library) -> dict[str, np.ndarray]:
        """Vectors of the library's private entries, embedding (and caching) those not done yet."""
        todo = [e for e in library.private.values() if e.vector is None]
        if todo:
            made = self.ctx.encoder.encode([f"{e.title}. {e.abstract}".strip() for e in todo])
            self.private.store_vectors([e.id for e in todo], self.ctx.encoder_name, made)
            for entry, vector in zip(todo, made, strict=True):
                library.private[entry.item_id] = replace(entry, vector=np.asarray(vector, dtype=np.float32))
        return {pid: e.vector for pid, e in library.private.items() if e.vector is not None}

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
        kept = self.kept_vectors(library)
        if missing := len(library.items) - len(kept):
            out.notices.append(
                f"{missing} paper(s) of your library are not in the semantic index yet (run `papersift index`)"
            )
        if not kept:
            if not library.items:
                out.notices.append("save or upvote a few papers to get recommendations")
            return out
        lexical_library = len(kept) >= lexical.MIN_LIBRARY
        n = NEGATIVES if lexical_library else EMBEDDING_NEGATIVES
        model, negatives, disliked = self.fit_model(user, kept, set(candidates or ()), now, n)
        excluded = {item.paper_id for item in library.items} | set(disliked)
        ranked = self._pool(model, candidates, excluded, limit)
        belongs = {pid for pid, score in ranked if score > model.threshold}
        if lexical_library and ranked and negatives:
            contrast = [pid for pid, _ in negatives] + disliked  # "not interested" is a negative here too
            lex = self._lexical([item.paper_id for item, _ in kept], contrast, ranked, library.private)
            if lex is not None:
                ranked = lex
                belongs |= {pid for pid, score in lex if score > 0}
        if confident_only:  # a paper either model places with the library
            ranked = [(pid, score) for pid, score in ranked if pid in belongs]
        out.items = self._explain(ranked[:limit], kept, library.private)
        return out

    def kept_vectors(self, library: Library) -> list[tuple[LibraryItem, np.ndarray]]:
        """The library items that have a vector (catalog papers in the index, private entries)."""
        vectors = self.ctx.indexes.vectors
        private = self._private_vectors(library)
        return [
            (item, v)
            for item in library.items
            if (v := private.get(item.paper_id, vectors.get(item.paper_id))) is not None
        ]

    def fit_model(
        self,
        user: User,
        kept: list[tuple[LibraryItem, np.ndarray]],
        exclude: set[str],
        now: datetime | None = None,
        n: int = EMBEDDING_NEGATIVES,
    ) -> tuple[LibraryModel, list[tuple[str, np.ndarray]], list[str]]:
        """The user's embedding model over `kept` (non-empty), with the `n` random negatives drawn
        (never one of `exclude`; the model is contrasted with the first EMBEDDING_NEGATIVES of them,
        the rest are for the TF-IDF model) and the user's hard negatives' ids."""
        vectors = self.ctx.indexes.vectors
        disliked = self.disliked(user)
        hard = [v for pid in disliked if (v := vectors.get(pid)) is not None]
        negatives = self.random_papers(user, {item.paper_id for item, _ in kept} | exclude, n)
        contrast = negatives[:EMBEDDING_NEGATIVES]
        model = fit(
            np.stack([v for _, v in kept]),
            [(now or utcnow()) - item.added for item, _ in kept],
            np.stack([v for _, v in contrast]) if contrast else None,
            np.stack(hard) if hard else None,
        )
        return model, negatives, disliked

    def disliked(self, user: User) -> list[str]:
        """Hard negatives: "not interested" marks, then papers rated not relevant (newest first each)."""
        marked = self.feedback.not_interested_ids(user)
        rated = [r.paper_id for r in self.ratings.of_user(user) if not r.relevant]
        return list(dict.fromkeys(marked + rated))[:MAX_FEEDBACK]

    def random_papers(self, user: User, exclude: set[str], n: int = NEGATIVES) -> list[tuple[str, np.ndarray]]:
        """Random catalog papers (the "everything else" a library is contrasted with), drawn by
        change-log number so no table scan is needed; seeded per user so pages are stable. The
        papers being ranked are left out: calling a candidate a negative would only hurt it."""
        vectors = self.ctx.indexes.vectors
        top = self.ctx.catalog.max_seq()
        rng = random.Random(user.id)
        seqs = rng.sample(range(1, top + 1), min(top, 3 * n))
        found: list[tuple[str, np.ndarray]] = []
        with self.engine.connect() as conn:
            for i in range(0, len(seqs), 500):
                q = sa.select(papers.c.id).where(papers.c.seq.in_(seqs[i : i + 500]), papers.c.deleted.is_(False))
                for pid in conn.execute(q).scalars():
                    if pid not in exclude and (v := vectors.get(pid)) is not None and len(found) < n:
                        found.append((pid, v))
        return found

    def _pool(
        self, model: LibraryModel, candidates: Sequence[str] | None, excluded: set[str], limit: int
    ) -> list[tuple[str, float]]:
        """Candidates ranked by the embedding model, best first: all given ones, or the best
        POOL_PER_ITEM * limit of the whole index (what the lexical model may re-rank)."""
        vectors = self.ctx.indexes.vectors
        if candidates is None:
            hits = vectors.search(model.direction, POOL_PER_ITEM * limit + len(excluded))
            return [(pid, s + model.bias) for pid, s in hits if pid not in excluded][: POOL_PER_ITEM * limit]
        pool = [
            (pid, v) for pid in dict.fromkeys(candidates) if pid not in excluded and (v := vectors.get(pid)) is not None
        ]
        if not pool:
            return []
        scores = model.score(np.stack([v for _, v in pool]))
        return [(pool[i][0], float(scores[i])) for i in np.argsort(-scores, kind="stable")]

    def _lexical(
        self,
        library: list[str],
        negatives: list[str],
        pool: list[tuple[str, float]],
        private: dict[str, PrivateEntry],
    ) -> list[tuple[str, float]] | None:
        """The pool re-ranked by the TF-IDF model (see discover/lexical.py), or None without one.
        Private entries' terms are computed per call, never cached (they belong to one user)."""
        ids = [pid for pid, _ in pool]
        wanted = list(dict.fromkeys(library + negatives + ids))
        terms = {pid: self._terms[pid] for pid in wanted if pid in self._terms}
        for pid in terms:
            self._terms.move_to_end(pid)
        for pid, paper in self.ctx.catalog.get_many([pid for pid in wanted if pid not in terms]).items():
            terms[pid] = self._terms[pid] = lexical.terms(paper.title, paper.abstract, paper.authors)
        while len(self._terms) > TERMS_CACHE_MAX:
            self._terms.popitem(last=False)
        own = {pid: lexical.terms(e.title, e.abstract, e.authors) for pid, e in private.items()}
        docs = [[own.get(pid) or terms.get(pid, []) for pid in group] for group in (library, negatives, ids)]
        scores = lexical.lexical_scores(*docs)
        if scores is None:
            return None
        return [(ids[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")]

    def _explain(
        self,
        ranked: list[tuple[str, float]],
        kept: list[tuple[LibraryItem, np.ndarray]],
        private: dict[str, PrivateEntry],
    ) -> list[Recommendation]:
        vectors = self.ctx.indexes.vectors
        index = self.ctx.indexes.lexical
        library_matrix = np.stack([v for _, v in kept])
        found = self.ctx.catalog.get_many([pid for pid, _ in ranked] + [item.paper_id for item, _ in kept])
        out = []
        for pid, score in ranked:
            if pid not in found:
                continue
            vec = vectors.get(pid)
            anchor_item = kept[int(np.argmax(library_matrix @ vec))][0] if vec is not None else None
            anchor = None
            if anchor_item is not None:
                own = private.get(anchor_item.paper_id)
                anchor = own.as_paper() if own else found.get(anchor_item.paper_id)
            terms = index.shared_terms(found[pid], anchor, k=4) if anchor and anchor.id not in private else []
            out.append(Recommendation(found[pid], score, anchor, anchor_item.source if anchor_item else "", terms))
        return out

"""The search service: one query in, one ranked, filtered, paginated page out.

Every mode shares the same parsed query and the same exact filters:
- lexical: BM25 over title (boosted), abstract, authors in tantivy;
- dense: cosine between the query embedding and paper embeddings, restricted exactly to the
  papers the filters allow;
- hybrid: both lists fused (see `fusion.py`; default chosen by measurement).
Sorting by date or trending re-orders the relevant candidates (the fused top `depth`), or all
matches when the query has filters but no text (category/author listings).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

import numpy as np

from papersift.catalog import Catalog
from papersift.index.embed import Encoder
from papersift.index.store import IndexStore
from papersift.search.fusion import convex, rrf
from papersift.search.query import ParsedQuery, parse, parse_filters
from papersift.search.types import MODES, SORTS, Filters, Mode, QueryError, SearchHit, SearchPage, SimilarHit, Sort

MAX_PAGE = 50  # deeper pages are a crawler, not a reader
TrendingScores = Callable[[list[str]], dict[str, float]]


class SearchService:
    """Stateless per request; holds the open indexes and a small query-embedding cache."""

    def __init__(
        self, catalog: Catalog, store: IndexStore, encoder: Callable[[], Encoder], *,
        fusion: str = "convex", alpha: float = 0.5, rrf_k: float = 60.0, depth: int = 100,
        trending: TrendingScores | None = None,
    ):
        self.catalog = catalog
        self.store = store
        self._encoder_factory = encoder
        self._encoder: Encoder | None = None
        self.fusion, self.alpha, self.rrf_k, self.depth = fusion, alpha, rrf_k, depth
        self.trending = trending
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # --- building blocks -------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._encoder_factory()
            return self._encoder

    def embed_query(self, text: str) -> np.ndarray:
        """Query embedding with an LRU cache (popular queries repeat)."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.encoder.encode_query(text)
        with self._lock:
            self._cache[text] = vec
            if len(self._cache) > 2048:
                self._cache.popitem(last=False)
        return vec

    def ranked(self, parsed: ParsedQuery, mode: Mode, depth: int | None = None) -> list[tuple[str, float]]:
        """Ranked (id, score) candidates for a parsed query, filters applied exactly."""
        depth = depth or self.depth
        lex: list[tuple[str, float]] = []
        den: list[tuple[str, float]] = []
        if mode in ("lexical", "hybrid") or parsed.text is None:
            lex = self.store.lexical.search(parsed, limit=depth)
        if mode in ("dense", "hybrid") and parsed.text is not None and len(self.store.vectors):
            dense_text = parsed.dense_text()
            if dense_text:
                allowed = self.store.lexical.filter_ids(parsed.filters) if parsed.filters is not None else None
                den = self.store.vectors.search(self.embed_query(dense_text), depth, allowed)
        if mode == "lexical" or not den:
            return lex
        if mode == "dense":
            return den
        if self.fusion == "rrf":
            return rrf([lex, den], k=self.rrf_k)[:depth]
        return convex(lex, den, self.alpha)[:depth]

    # --- the public calls ------------------------------------------------------------------

    def search(
        self, query: str, mode: Mode = "hybrid", sort: Sort = "relevance", page: int = 1, per_page: int = 20,
        filters: Filters = Filters(),
    ) -> SearchPage:
        """Search; raises QueryError for a query or parameter the user must fix."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= per_page <= 100:
            raise QueryError("per_page must be between 1 and 100")
        parsed = parse_filters(parse(query, allow_empty=True), filters)
        if parsed.is_empty:
            raise QueryError("empty query: type some words, or a filter such as cat:cs.CL")
        notices = list(parsed.notices)
        if mode != "lexical" and parsed.text is not None and not len(self.store.vectors):
            notices.append("semantic index not built yet: showing keyword results (run `papersift index`)")
        browse = parsed.text is None
        depth = max(self.depth, page * per_page)
        candidates = self.ranked(parsed, mode, depth=10_000 if browse else depth)
        ids = [pid for pid, _ in candidates]
        scores = dict(candidates)
        if sort == "date" or (browse and sort == "relevance"):
            papers = self.catalog.get_many(ids)
            ids.sort(key=lambda pid: _paper_date(papers.get(pid)), reverse=True)
        elif sort == "trending" and self.trending:
            trend = self.trending(ids)
            ids.sort(key=lambda pid: trend.get(pid, 0.0), reverse=True)
        start = (page - 1) * per_page
        page_ids = ids[start : start + per_page]
        papers = self.catalog.get_many(page_ids)
        hits = [
            SearchHit(paper=papers[pid], score=scores[pid], snippet=self.store.lexical.snippet(pid, parsed))
            for pid in page_ids if pid in papers
        ]
        total = len(ids) if browse or mode != "lexical" else self.store.lexical.count(parsed)
        facets = {"categories": self.store.lexical.facets(parsed)} if hits else {}
        return SearchPage(hits=hits, total=max(total, len(ids)), page=page, per_page=per_page, mode=mode,
                          query=query, facets=facets, notices=notices)

    def similar(self, paper_id: str, limit: int = 10) -> list[SimilarHit]:
        """Nearest neighbours by embedding, each with the key terms it shares with the paper.

        Falls back to lexical more-like-this (the paper's key terms as a query) when the paper
        has no vector yet.
        """
        paper = self.catalog.get(paper_id)
        if paper is None:
            raise KeyError(paper_id)
        vec = self.store.vectors.get(paper.id)
        if vec is not None:
            ranked = self.store.vectors.search(vec, limit + 1)
        else:
            terms = self.store.lexical.key_terms(paper.id, k=12)
            ranked = self.store.lexical.search(parse(" ".join(terms), allow_empty=True), limit=limit + 1) if terms else []
        ranked = [(pid, s) for pid, s in ranked if pid != paper.id][:limit]
        papers = self.catalog.get_many(pid for pid, _ in ranked)
        mine = set(self.store.lexical.key_terms(paper.id, k=25))
        out = []
        for pid, score in ranked:
            if pid in papers:
                shared = [t for t in self.store.lexical.key_terms(pid, k=25) if t in mine]
                out.append(SimilarHit(paper=papers[pid], score=score, shared_terms=shared[:5]))
        return out


def _paper_date(paper: object) -> date:
    if paper is None:
        return date.min
    return paper.announced or paper.submitted or paper.updated or date.min  # type: ignore[attr-defined]


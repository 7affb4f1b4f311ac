"""The search service: one query in, one ranked, filtered, paginated page out.

Every mode shares the same parsed query and the same exact filters:
- lexical: BM25 over title (boosted), abstract, authors in tantivy;
- dense: cosine between the query embedding and paper embeddings, restricted exactly to the
  papers the filters allow;
- hybrid: both lists fused (see `fusion.py`; default chosen by measurement), then the dense
  side searched again from a query moved toward the top fused papers (`feedback.py`) and fused
  once more.
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
from papersift.encoder.embed import Encoder
from papersift.index.protocols import IndexStore
from papersift.paper import Paper
from papersift.query.syntax import ParsedQuery, parse, plain_query
from papersift.query.types import Filters, QueryError
from papersift.search.feedback import FEEDBACK_DOCS, rocchio
from papersift.search.fusion import convex, rrf
from papersift.search.types import (
    MAX_PAGE,
    MODES,
    SORTS,
    Measure,
    Mode,
    SearchHit,
    SearchPage,
    SimilarHit,
    Sort,
)

BROWSE_DEPTH = 2_000  # candidates re-ranked by trending when listing without text
FACET_ALL_MAX = 50_000  # above this many matches, facets count the ranked candidates only
SELECTIVE_FILTER = 20_000  # below this many matches, score exactly the allowed rows
TrendingScores = Callable[[list[str]], dict[str, float]]


class SearchService:
    """Stateless per request; holds the open indexes and a small query-embedding cache."""

    def __init__(
        self,
        catalog: Catalog,
        store: IndexStore,
        encoder: Callable[[], Encoder],
        *,
        fusion: str = "convex",
        alpha: float = 0.5,
        rrf_k: float = 60.0,
        depth: int = 100,
        feedback_docs: int = FEEDBACK_DOCS,
        trending: TrendingScores | None = None,
    ):
        self.catalog = catalog
        self.store = store
        self._encoder_factory = encoder
        self._encoder: Encoder | None = None
        self.fusion, self.alpha, self.rrf_k, self.depth = fusion, alpha, rrf_k, depth
        self.feedback_docs = feedback_docs  # 0: no pseudo-relevance feedback
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
        return self._rank(parsed, mode, depth or self.depth, counted=False)[0]

    def _rank(
        self, parsed: ParsedQuery, mode: Mode, depth: int, counted: bool
    ) -> tuple[list[tuple[str, float]], int | None]:
        """`ranked`, plus the lexical match count when `counted` and the lexical pass ran."""
        lex: list[tuple[str, float]] = []
        den: list[tuple[str, float]] = []
        total = None
        if mode in ("lexical", "hybrid") or parsed.text is None:
            if counted:
                lex, total = self.store.lexical.search_counted(parsed, limit=depth)
            else:
                lex = self.store.lexical.search(parsed, limit=depth)
        query: np.ndarray | None = None
        if mode in ("dense", "hybrid") and parsed.text is not None and len(self.store.vectors):
            dense_text = parsed.dense_text()
            if dense_text:
                query = self.embed_query(dense_text)
                den = self._dense(query, parsed, depth)
        if mode == "lexical" or not den or query is None:
            return lex, total
        if mode == "dense":
            return den, total
        fused = self._fuse(lex, den, depth)
        if self.feedback_docs > 0:
            vectors = self.store.vectors
            top = [v for pid, _ in fused[: self.feedback_docs] if (v := vectors.get(pid)) is not None]
            if top:
                fused = self._fuse(lex, self._dense(rocchio(query, top), parsed, depth), depth)
        return fused, total

    def _fuse(self, lex: list[tuple[str, float]], den: list[tuple[str, float]], depth: int) -> list[tuple[str, float]]:
        if self.fusion == "rrf":
            return rrf([lex, den], k=self.rrf_k)[:depth]
        return convex(lex, den, self.alpha)[:depth]

    def _dense(self, query: np.ndarray, parsed: ParsedQuery, depth: int) -> list[tuple[str, float]]:
        """Exact filtered nearest neighbours.

        Date/category filters are answered by the vector index's own filter columns. Others
        (author:, id:) go through the lexical index: a selective filter is turned into its id
        set and only those rows are scored; a broad one (materialising its ids costs more than
        scoring) is applied to a growing top-k until `depth` allowed hits are found or every
        vector was considered. All three are exact.
        """
        vectors, lexical = self.store.vectors, self.store.lexical
        if parsed.filters is None:
            return vectors.search(query, depth)
        hits = vectors.search_filtered(query, depth, parsed.filters)
        if hits is not None:
            return hits
        only_filters = ParsedQuery(None, parsed.filters)
        if lexical.count(only_filters) <= SELECTIVE_FILTER:
            return vectors.search(query, depth, lexical.filter_ids(parsed.filters))
        k = depth * 4
        while True:
            hits = vectors.search(query, k)
            allowed = lexical.filter_among(parsed.filters, [pid for pid, _ in hits])
            kept = [(pid, s) for pid, s in hits if pid in allowed]
            if len(kept) >= depth or k >= len(vectors):
                return kept[:depth]
            k *= 4

    # --- the public calls ------------------------------------------------------------------

    def search(
        self,
        query: str,
        mode: Mode = "hybrid",
        sort: Sort = "relevance",
        page: int = 1,
        per_page: int = 20,
        filters: Filters | None = None,
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
        self.store.refresh()
        parsed = parse(query, allow_empty=True).with_filters(filters or Filters())
        if parsed.is_empty:
            raise QueryError("empty query: type some words, or a filter such as cat:cs.CL")
        notices: list[str] = []
        if mode != "lexical" and parsed.text is not None and not len(self.store.vectors):
            notices.append("semantic index not built yet: showing keyword results (run `papersift index`)")
        browse = parsed.text is None
        depth = max(self.depth, page * per_page)
        total: int | None
        if browse and sort != "trending":  # a listing: newest first, straight from the index
            candidates, total = self.store.lexical.search_counted(parsed, limit=depth, sort="date")
        else:
            candidates, total = self._rank(parsed, mode, BROWSE_DEPTH if browse else depth, counted=True)
        ids = [pid for pid, _ in candidates]
        scores = dict(candidates)
        if sort == "date" and not browse:
            papers = self.catalog.get_many(ids)
            ids.sort(key=lambda pid: _paper_date(papers.get(pid)), reverse=True)
        elif sort == "trending" and self.trending:
            trend = self.trending(ids)
            ids.sort(key=lambda pid: trend.get(pid, 0.0), reverse=True)
        start = (page - 1) * per_page
        page_ids = ids[start : start + per_page]
        papers = self.catalog.get_many(page_ids)
        snippets = self.store.lexical.snippets([pid for pid in page_ids if pid in papers], parsed)
        hits = [
            SearchHit(paper=papers[pid], score=scores[pid], snippet=snippets.get(pid, ""))
            for pid in page_ids
            if pid in papers
        ]
        # lexical, hybrid and browse totals count the papers matching the words/filters; a dense
        # list has no natural end, so its total is the ranked candidates shown
        if total is None:
            total = self.store.lexical.count(parsed) if mode != "dense" or browse else len(ids)
        # Facets over every match are exact but cost a pass over all of them: at 1M papers an
        # ordinary query matches ~40% of the corpus (~20 ms idle), and counts over "papers with
        # any of these words" say little. Past FACET_ALL_MAX matches, count the ranked candidates.
        facets, among = {}, None
        ranked_list = mode == "dense" and not browse  # its "matches" are the candidates themselves
        if hits and total <= FACET_ALL_MAX and not ranked_list:
            facets = {"categories": self.store.lexical.facets(parsed)}
        elif hits:
            facets, among = {"categories": self.store.lexical.facets_among(ids)}, len(ids)
        return SearchPage(
            hits=hits,
            total=max(total, len(ids)),
            page=page,
            per_page=per_page,
            mode=mode,
            query=query,
            facets=facets,
            notices=notices,
            facets_among=among,
        )

    def similar(self, paper_id: str, limit: int = 10) -> list[SimilarHit]:
        """Nearest neighbours by embedding, each with the key terms it shares with the paper.

        Falls back to lexical more-like-this (the paper's own title and abstract as a plain
        query) when the paper has no vector yet.
        """
        self.store.refresh()
        paper = self.catalog.get(paper_id)
        if paper is None:
            raise KeyError(paper_id)
        lexical = self.store.lexical
        vec = self.store.vectors.get(paper.id)
        measure: Measure = "cosine" if vec is not None else "bm25"
        if vec is not None:
            ranked = self.store.vectors.search(vec, limit + 1)
        else:
            terms = " ".join(t.word for t in lexical.key_terms(paper.id, k=12))
            ranked = lexical.search(plain_query(terms), limit=limit + 1) if terms else []
        ranked = [(pid, s) for pid, s in ranked if pid != paper.id][:limit]
        papers = self.catalog.get_many(pid for pid, _ in ranked)
        return [
            SimilarHit(papers[pid], score, lexical.shared_terms(paper.id, pid), measure)
            for pid, score in ranked
            if pid in papers
        ]


def _paper_date(paper: Paper | None) -> date:
    # the index's date field is the same `work_date`, so "sort by date" agrees with date filters
    return (paper.work_date if paper is not None else None) or date.min

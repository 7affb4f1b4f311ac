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
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import date

import numpy as np

from papersift.catalog import Catalog
from papersift.encoder.embed import Encoder
from papersift.index.protocols import IndexStore, Matches
from papersift.paper import Paper
from papersift.query.syntax import ParsedQuery, parse, plain_query
from papersift.query.types import Filters, QueryError
from papersift.search.answer import Answer, Coverage, constrained, impute_missing, keyword_condition
from papersift.search.feedback import FEEDBACK_DOCS, rocchio
from papersift.search.fusion import convex, rrf
from papersift.search.smoothing import SMOOTH_WEIGHT, CandidateVectors, regularise
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
FACET_LIMIT = 20  # categories listed
FACET_MERGE_DEPTH = 1_000  # categories counted per part before adding two parts' counts (more than any corpus has)
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
        smooth_weight: float = SMOOTH_WEIGHT,
        trending: TrendingScores | None = None,
    ):
        self.catalog = catalog
        self.store = store
        self._encoder_factory = encoder
        self._encoder: Encoder | None = None
        self.fusion, self.alpha, self.rrf_k, self.depth = fusion, alpha, rrf_k, depth
        self.feedback_docs = feedback_docs  # 0: no pseudo-relevance feedback
        self.smooth_weight = smooth_weight  # 0: fused scores are not regularised over neighbours
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

    def coverage(self) -> Coverage:
        """How much of the indexed catalog the meaning index covers."""
        vectors = self.store.vectors
        return Coverage(len(vectors), self.store.lexical.doc_count(), vectors.provisional_count())

    def ranked(self, parsed: ParsedQuery, mode: Mode, depth: int | None = None) -> list[tuple[str, float]]:
        """Ranked (id, score) candidates for a parsed query, filters and required words applied exactly."""
        depth = depth or self.depth
        lex = self.store.lexical.search(parsed, limit=depth) if mode != "dense" or parsed.text is None else []
        den = self._meaning(parsed, depth) if mode != "lexical" else []
        if mode == "lexical" or not den:
            return lex
        if mode == "dense":
            return den
        return self._hybrid(lex, den, parsed, depth, self.coverage())[0][:depth]

    def _meaning(self, parsed: ParsedQuery, depth: int, query: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Nearest papers by embedding (of the query's words, or `query` when given) among those
        the filters and the query's required part allow."""
        if parsed.text is None or not len(self.store.vectors):
            return []
        if query is None:
            text = parsed.dense_text()
            if not text:
                return []
            query = self.embed_query(text)
        return self._dense(query, constrained(parsed), depth)

    def _hybrid(
        self,
        lex: list[tuple[str, float]],
        den: list[tuple[str, float]],
        parsed: ParsedQuery,
        depth: int,
        coverage: Coverage,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(fused list, the meaning list it fused) after one round of dense pseudo-relevance
        feedback (D27): the query vector moves toward the top fused papers, meaning is searched
        again under the same constraints, and the lists are fused again. Each fusion's scores are
        regularised over each candidate's nearest fellow candidates (D57), the first one before
        it picks the feedback papers."""
        known = CandidateVectors(self.store.vectors.vectors_of)  # read once for both fusions
        fused = self._smoothed(self._fuse(lex, den, coverage), depth, known)
        text = parsed.dense_text()
        top = known.present([pid for pid, _ in fused[: self.feedback_docs]])
        if top and text:
            den = self._meaning(parsed, depth, rocchio(self.embed_query(text), top))
            fused = self._smoothed(self._fuse(lex, den, coverage), depth, known)
        return fused, den

    def _smoothed(self, fused: list[tuple[str, float]], depth: int, known: CandidateVectors) -> list[tuple[str, float]]:
        """`fused` with its head's scores regularised (search/smoothing.py) over the vectors in `known`.
        Convex fusion only: its scores are in [0, 1] as the weight was tuned for; RRF's are 1/(60 + rank)
        sums, so close together that the same mix reorders them wholesale (SciFact 0.721 -> 0.674)."""
        if self.smooth_weight <= 0 or self.fusion != "convex":
            return fused
        return regularise(fused, known, self.smooth_weight, depth=depth)

    def _fuse(
        self, lex: list[tuple[str, float]], den: list[tuple[str, float]], coverage: Coverage
    ) -> list[tuple[str, float]]:
        """Hybrid list; keyword hits without a vector (a partly built index) keep their keyword rank."""
        if coverage.partial:
            ids = [pid for pid, _ in lex]
            den = impute_missing(lex, den, set(ids) - self.store.vectors.have(ids))
        if self.fusion == "rrf":
            return rrf([lex, den], k=self.rrf_k)
        return convex(lex, den, self.alpha)

    def _meaning_total(self, parsed: ParsedQuery, coverage: Coverage) -> int:
        """How many papers meaning search ranks for this query: those with a vector that the
        filters and the required words allow (it has no other notion of "matching")."""
        allowed = constrained(parsed).filters
        if allowed is None:
            return coverage.with_vectors
        if not coverage.partial:
            return self.store.lexical.count(ParsedQuery(None, allowed))
        return len(self.store.vectors.have(self.store.lexical.filter_ids(allowed) or set()))

    def _keyword_members(self, parsed: ParsedQuery, ids: list[str]) -> set[str]:
        """The subset of `ids` that match the query's words and filters (keyword search would list them).

        A match test, not a ranked search restricted to `ids`: scoring the words over the index
        to keep a hundred papers cost ~30% more CPU at 1M papers (docs/DECISIONS.md D60)."""
        if not ids:
            return set()
        return self.store.lexical.filter_among(keyword_condition(parsed), ids)

    def nearest(self, vector: np.ndarray, parsed: ParsedQuery, depth: int) -> list[tuple[str, float]]:
        """The `depth` papers closest to `vector` among those `parsed`'s filters allow (exact)."""
        return self._dense(vector, parsed, depth)

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
        browse = parsed.text is None
        coverage = self.coverage()
        notices: list[str] = []
        ranking: Mode = mode
        if mode != "lexical" and not browse and not coverage.with_vectors:
            notices.append("semantic index not built yet: showing keyword results (run `papersift index`)")
            ranking = "lexical"
        elif not browse and (note := coverage.notice(mode)):
            notices.append(note)
        if keyword_note := coverage.keyword_notice():
            notices.append(keyword_note)
        depth = max(self.depth, page * per_page)
        answer = self._answer(parsed, ranking, sort, depth, coverage)
        candidates, total = answer.candidates, answer.total
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
        # from the rows just read, not from the index's stored copies (one look-up per page saved)
        abstracts = {pid: papers[pid].abstract for pid in page_ids if pid in papers}
        snippets = self.store.lexical.snippets_of(abstracts, parsed)
        hits = [
            SearchHit(paper=papers[pid], score=scores[pid], snippet=snippets.get(pid, ""))
            for pid in page_ids
            if pid in papers
        ]
        # Facets over every match are exact but cost a pass over all of them: at 1M papers an
        # ordinary query matches ~40% of the corpus (~20 ms idle), and counts over "papers with
        # any of these words" say little. Past FACET_ALL_MAX matches, count the ranked candidates.
        facets, facets_among = {}, None
        ranked_list = answer.kind == "nearest"  # no match set to count: count the ranked candidates
        if hits and total <= FACET_ALL_MAX and not ranked_list:
            facets = {"categories": self._answer_facets(parsed, answer.extras)}
        elif hits:
            facets, facets_among = {"categories": self._candidate_facets(ids)}, len(ids)
        return SearchPage(
            hits=hits,
            total=max(total, len(ids)),
            page=page,
            per_page=per_page,
            mode=mode,
            query=query,
            facets=facets,
            notices=notices,
            facets_among=facets_among,
            kind=answer.kind,
            keyword_matches=answer.keyword_matches,
            coverage=coverage,
            total_exact=answer.exact,
        )

    def _candidate_facets(self, ids: list[str]) -> list[tuple[str, int]]:
        """Category counts of the ranked candidates: from the vector index's filter columns when it
        holds them all (0.7 ms at 1M, most of it finding the ids' slots), else an aggregation over the
        lexical index (2.2 ms; D80)."""
        counts = self.store.vectors.category_counts(ids, FACET_LIMIT)
        return counts if counts is not None else self.store.lexical.facets_among(ids, limit=FACET_LIMIT)

    def _answer_facets(self, parsed: ParsedQuery, extras: list[str]) -> list[tuple[str, int]]:
        """Category counts over the whole answer: the keyword matches plus, in hybrid mode, the papers
        meaning search added (counted among the total, so the facets count them too)."""
        lexical = self.store.lexical
        if not extras:
            return lexical.facets(parsed, limit=FACET_LIMIT)
        counts = Counter(dict(lexical.facets(parsed, limit=FACET_MERGE_DEPTH)))
        counts.update(dict(lexical.facets_among(extras, limit=FACET_MERGE_DEPTH)))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]

    def _answer(self, parsed: ParsedQuery, mode: Mode, sort: Sort, depth: int, coverage: Coverage) -> Answer:
        """The candidates in rank order and the true size of the answer (see `search.answer`).

        - a listing (filters, no words): every paper the filters allow;
        - keyword: the papers matching the words and filters;
        - meaning: every paper with a vector that the filters and required words allow, nearest first;
        - hybrid: the keyword matches plus the `self.depth` nearest allowed papers by meaning, so
          a query no paper's words match has no hybrid answer either (the page offers meaning).
        """
        lexical = self.store.lexical
        if parsed.text is None:
            if sort != "trending":  # newest first, straight from the index
                hits, total = lexical.search_counted(parsed, limit=depth, sort="date")
            else:
                hits, total = lexical.search_counted(parsed, limit=BROWSE_DEPTH)
            return Answer(hits, total)
        if mode == "lexical":
            hits, found = lexical.search_top(parsed, limit=depth)
            return Answer(hits, _shown(found), exact=found.exact)
        if mode == "dense":
            return Answer(self._meaning(parsed, depth), self._meaning_total(parsed, coverage), kind="nearest")
        lex, found = lexical.search_top(parsed, limit=depth)
        matches = _shown(found)
        if not matches:
            return Answer([], 0, keyword_matches=0)
        den = self._meaning(parsed, self.depth)
        if not den:
            return Answer(lex, matches, keyword_matches=matches, exact=found.exact)
        # Fuse a fixed-size head so that page N sees the same order as page 1; deeper keyword
        # matches follow in keyword order (score 0: past the fused head).
        head, den = self._hybrid(lex[: self.depth], den, parsed, self.depth, coverage)
        placed = {pid for pid, _ in head}
        tail = [(pid, 0.0) for pid, _ in lex[self.depth :] if pid not in placed]
        listed = {pid for pid, _ in lex}  # once: rebuilt per candidate it cost ~1 ms a query at 1M
        outside = [pid for pid, _ in den if pid not in listed]
        if not found.exact and 2 * len(outside) < _unit(found.total) and matches > FACET_ALL_MAX:
            # "about 430,000" cannot tell these few papers apart: skip the word check that would count
            # them (12% of a hybrid query at 1M papers); the total stays right to its two digits, and
            # facets count the ranked candidates at this size, which need no extras either (D71)
            return Answer(head + tail, matches, keyword_matches=matches, exact=False)
        members = self._keyword_members(parsed, outside)
        extras = [pid for pid in outside if pid not in members]
        return Answer(head + tail, matches + len(extras), keyword_matches=matches, extras=extras, exact=found.exact)

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
            terms = " ".join(t.word for t in lexical.key_terms(paper, k=12))
            ranked = lexical.search(plain_query(terms), limit=limit + 1) if terms else []
        ranked = [(pid, s) for pid, s in ranked if pid != paper.id][:limit]
        papers = self.catalog.get_many(pid for pid, _ in ranked)
        return [
            SimilarHit(papers[pid], score, lexical.shared_terms(paper, papers[pid]), measure)
            for pid, score in ranked
            if pid in papers
        ]


def _shown(found: Matches) -> int:
    """A match count as it may be shown: an estimate keeps two significant digits (433,563 ->
    430,000), the precision it has (within 6% for nine queries in ten at 1M papers, D71)."""
    if found.exact:
        return found.total
    unit = _unit(found.total)
    return round(found.total / unit) * unit


def _unit(estimate: int) -> int:
    """The rounding step of an estimate shown with two significant digits (1 below 100)."""
    return int(10 ** max(len(str(estimate)) - 2, 0))


def _paper_date(paper: Paper | None) -> date:
    # the index's date field is the same `work_date`, so "sort by date" agrees with date filters
    return (paper.work_date if paper is not None else None) or date.min

"""The shapes the search service returns to every surface (CLI, web pages, JSON API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from papersift.paper import Paper
from papersift.search.answer import Coverage, Kind

Mode = Literal["lexical", "dense", "hybrid"]
Sort = Literal["relevance", "date", "trending"]
Measure = Literal["cosine", "bm25"]  # what a similar paper's score is
MODES: tuple[Mode, ...] = ("lexical", "dense", "hybrid")
SORTS: tuple[Sort, ...] = ("relevance", "date", "trending")
MAX_PAGE = 50  # deeper pages are a crawler, not a reader


@dataclass
class SearchHit:
    """One result. `snippet` is HTML-escaped text with query terms wrapped in <mark>."""

    paper: Paper
    score: float
    snippet: str = ""


@dataclass
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    mode: Mode
    query: str
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    facets_among: int | None = None  # None: facets count every match; N: only the top N results
    kind: Kind = "matches"  # "nearest": meaning search ranks `total` papers; it has no match set
    keyword_matches: int | None = None  # hybrid: how many of `total` match the words (0: none did)
    coverage: Coverage | None = None  # how much of the catalog the meaning index covers
    total_exact: bool = True  # False: `total` and `keyword_matches` are estimates, shown as "about N"

    @property
    def offer_meaning(self) -> bool:
        """Hybrid found no paper whose words match: the surfaces offer meaning-only results."""
        return self.keyword_matches == 0

    @property
    def pages(self) -> int:
        """Reachable pages: all results, but never past MAX_PAGE."""
        return max(1, min(MAX_PAGE, -(-self.total // self.per_page)))


@dataclass
class SimilarHit:
    """A similar paper and why: its score and the key terms both papers share.

    `measure` says what the score is: "cosine" (embedding similarity, -1..1) or "bm25" (the
    lexical fallback's keyword score, unbounded), so no label calls a BM25 score a similarity.
    """

    paper: Paper
    score: float
    shared_terms: list[str] = field(default_factory=list)
    measure: Measure = "cosine"

    @property
    def reason(self) -> str:
        terms = ", ".join(self.shared_terms[:5])
        if self.measure == "cosine":
            label = f"similarity {self.score:.2f}"
        else:
            label = f"keyword score {self.score:.1f} (BM25; no embedding yet)"
        return label + (f"; shared terms: {terms}" if terms else "")

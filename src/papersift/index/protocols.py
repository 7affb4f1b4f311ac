"""The declared interface between the index backends and everything above them.

Two backends implement it side by side: `index.embedded` (tantivy + usearch files in the home)
and `index.milvus` (a Milvus server or milvus-lite). The indexer, the search service, the
recommender and the surfaces only ever see these Protocols, so a backend that drifts from
them fails the type check (`make check`), not a user's query. The structural checks at the
bottom of each backend's store module (`_: type[IndexStore] = EmbeddedStore`) make mypy
verify the whole surface, not just the calls that happen to exist today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

import numpy as np

from papersift.index.payload import Meta
from papersift.paper import Paper
from papersift.query import syntax as q

FacetField = Literal["categories", "year"]
Sort = Literal["relevance", "date"]
Hits = list[tuple[str, float]]


class Matches(NamedTuple):
    """How many papers match a query: `exact`, or estimated (shown to people as "about N")."""

    total: int
    exact: bool = True


@dataclass(frozen=True)
class KeyTerm:
    """A distinctive term of a paper: `term` is the indexed stem, `word` its commonest surface form."""

    term: str
    word: str
    weight: float


@dataclass
class IndexState:
    """The catalog change-log positions each index has absorbed, and the encoder that made the vectors."""

    lexical_seq: int = 0
    dense_seq: int = 0
    encoder: str = ""


class LexicalIndex(Protocol):
    """BM25 over title, abstract and authors, with exact filters, snippets, facets and key terms.

    It returns paper ids, not texts: snippets and key terms are computed from texts the caller
    already holds (catalog rows), so an index need not store (and page in) a copy of them.
    """

    def upsert(self, papers: Iterable[Paper]) -> int: ...
    def delete(self, ids: Iterable[str]) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...
    def reload(self) -> None: ...
    def doc_count(self) -> int: ...
    def search(
        self, parsed: q.ParsedQuery, limit: int = 10, title_boost: float = ..., *, offset: int = 0, sort: Sort = ...
    ) -> Hits: ...
    def search_counted(self, parsed: q.ParsedQuery, limit: int = 10, *, sort: Sort = ...) -> tuple[Hits, int]: ...
    def search_top(self, parsed: q.ParsedQuery, limit: int = 10) -> tuple[Hits, Matches]: ...
    def count(self, parsed: q.ParsedQuery) -> int: ...
    def filter_ids(self, filters: q.Node | q.ParsedQuery | None) -> set[str] | None: ...
    def filter_among(self, filters: q.Node | q.ParsedQuery | None, ids: Iterable[str]) -> set[str]: ...
    def snippets_of(
        self, abstracts: Mapping[str, str], parsed: q.ParsedQuery, max_chars: int = 240
    ) -> dict[str, str]: ...
    def facets(
        self, parsed: q.ParsedQuery, field: FacetField = "categories", limit: int = 20
    ) -> list[tuple[str, int]]: ...
    def facets_among(
        self, ids: Iterable[str], field: FacetField = "categories", limit: int = 20
    ) -> list[tuple[str, int]]: ...
    def key_terms(self, paper: Paper, k: int = 10) -> list[KeyTerm]: ...
    def shared_terms(self, a: Paper, b: Paper, k: int = 5) -> list[str]: ...


class VectorIndex(Protocol):
    """Unit vectors by paper id: exact or approximate cosine search, exactly filtered.

    A vector may be *provisional*: a static-encoder stand-in in the full encoder's space that
    the indexer replaces later (`supports_provisional` says whether the backend can mark them).
    """

    supports_provisional: bool

    def provisional_count(self) -> int: ...
    def provisional_ids(self, limit: int) -> list[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, paper_id: str) -> bool: ...
    def get(self, paper_id: str) -> np.ndarray | None: ...
    def get_many(self, ids: Iterable[str]) -> dict[str, np.ndarray]: ...
    def vectors_of(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `ids` of those that have a vector, their float32 vectors as rows in that order)."""
        ...

    def have(self, ids: Iterable[str]) -> set[str]: ...
    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> Hits: ...
    def search_filtered(self, query: np.ndarray, k: int, filters: q.Node) -> Hits | None: ...
    def category_counts(self, ids: Iterable[str], limit: int) -> list[tuple[str, int]] | None: ...
    def upsert(
        self,
        ids: list[str],
        vectors: np.ndarray,
        meta: list[Meta] | None = None,
        threads: int = 0,
        *,
        provisional: bool = False,
    ) -> None: ...
    def delete(self, ids: Iterable[str]) -> None: ...
    def save(self) -> None: ...


class IndexStore(Protocol):
    """One home's pair of indexes and the change-log positions they reflect."""

    dir: Path
    encoder_name: str
    dim: int
    state: IndexState
    repaired: bool  # a damaged index was moved aside: the lexical side must be rebuilt from the catalog

    @property
    def lexical(self) -> LexicalIndex: ...
    @property
    def vectors(self) -> VectorIndex: ...
    def refresh(self, every_s: float = 1.0) -> None: ...
    def save_state(self) -> None: ...
    def drop(self) -> None: ...
    def close(self) -> None: ...

"""`HnswIndex`'s methods on Milvus: HNSW over unit vectors with inner product (= cosine).

Filtered dense search is native: `search_filtered` compiles the filter AST into the search's
filter expression (Milvus filters inside the HNSW search), and declines only filters it cannot
express exactly (multi-word author names, `_` in a category prefix), which the search service
then resolves to an id set; such a set is sent as `id in [...]` in chunks and the results
merged. Milvus's HNSW search is approximate; `ef` is at least twice the number of hits asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from papersift.index.milvus import expr as ex
from papersift.index.milvus.lexical import HAS_TEXT
from papersift.index.milvus.table import MAX_TOPK, Table, chunks, id_list
from papersift.query import syntax as q

HAS_VEC = "has_vec == true"
MIN_EF = 128


class MilvusVectors:
    """The dense side of a `MilvusStore` (same method names as `HnswIndex`)."""

    def __init__(self, table: Table):
        self.table = table
        self.dim = table.dim

    def __len__(self) -> int:
        """Rows minus rows without a vector (counting the few is cheap; counting the many is not)."""
        return self.table.count(None, cache=True) - self.table.count("has_vec == false", cache=True)

    def __contains__(self, paper_id: str) -> bool:
        return self.get(paper_id) is not None

    def have(self, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` that have a vector (one query per chunk, not one per id)."""
        return {pid for pid, row in self.table.rows(ids, ["id", "has_vec"]).items() if row["has_vec"]}

    def get(self, paper_id: str) -> np.ndarray | None:
        row = self.table.rows([paper_id], ["id", "vec", "has_vec"]).get(paper_id)
        return np.asarray(row["vec"], dtype=np.float32) if row and row["has_vec"] else None

    def get_many(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors of those of `ids` that have one (one query per chunk, not one per id)."""
        rows = self.table.rows(ids, ["id", "vec", "has_vec"])
        return {pid: np.asarray(row["vec"], dtype=np.float32) for pid, row in rows.items() if row["has_vec"]}

    def vectors_of(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `ids` of those that have a vector, their vectors as rows in that order)."""
        found = self.get_many(ids)
        positions = [i for i, pid in enumerate(ids) if pid in found]
        rows = np.array([found[ids[i]] for i in positions], dtype=np.float32).reshape(len(positions), self.dim)
        return np.array(positions, dtype=np.int64), rows

    # Provisional (static-encoder) vectors are not supported here yet: the schema has no field
    # for the mark, so the indexer embeds a Milvus home with the full encoder only.
    supports_provisional = False

    def provisional_count(self) -> int:
        return 0

    def provisional_ids(self, limit: int) -> list[str]:
        return []

    def upsert(
        self,
        ids: list[str],
        vectors: np.ndarray,
        meta: object = None,
        threads: int = 0,
        *,
        provisional: bool = False,
    ) -> None:
        """Insert or replace vectors (rows must be L2-normalised, shape [len(ids), dim]). `meta`
        and `threads` are the embedded index's; the filter fields live in the row already."""
        if provisional:
            raise ValueError("the Milvus backend does not store provisional vectors")
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(ids)}, {self.dim}), got {vectors.shape}")
        matrix = np.asarray(vectors, dtype=np.float32)
        self.table.merge({pid: {"vec": matrix[i].tolist(), "has_vec": True} for i, pid in enumerate(ids)})

    def delete(self, ids: Iterable[str]) -> None:
        """Forget vectors; a row that has no text either disappears."""
        rows = self.table.rows(ids, ["id", "has_text", "has_vec"])
        self.table.delete(pid for pid, r in rows.items() if not r["has_text"])
        zero = np.zeros(self.dim, dtype=np.float32).tolist()
        self.table.merge(
            {pid: {"vec": zero, "has_vec": False} for pid, r in rows.items() if r["has_text"] and r["has_vec"]}
        )

    def save(self) -> None:
        """Writes are durable once acknowledged; seal them into indexed segments (see `commit`)."""
        self.table.flush()

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (id, cosine) for a normalised query; `allowed` restricts to those ids."""
        if k <= 0 or (allowed is not None and not allowed):
            return []
        k = min(k, MAX_TOPK)
        if allowed is None:
            return self._search(query, k, HAS_VEC)
        hits = [
            h
            for part in chunks(sorted(allowed))
            for h in self._search(query, min(k, len(part)), f"{HAS_VEC} and id in {id_list(part)}")
        ]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def search_filtered(self, query: np.ndarray, k: int, filters: q.Node) -> list[tuple[str, float]] | None:
        """Top-k among the papers a filter AST allows, filtered by Milvus; None when the filter
        has no exact Milvus expression (the caller then asks the lexical side for ids)."""
        plan = ex.plan(q.ParsedQuery(None, filters), HAS_TEXT)
        if not plan.cond.exact:
            return None
        if k <= 0:
            return []
        return self._search(query, min(k, MAX_TOPK), f"{HAS_VEC} and ({plan.cond.expr})" if plan.cond.expr else HAS_VEC)

    def category_counts(self, ids: Iterable[str], limit: int) -> list[tuple[str, int]] | None:
        """None: the lexical side of this backend counts facets (one collection holds both)."""
        return None

    def _search(self, query: np.ndarray, k: int, expr: str) -> list[tuple[str, float]]:
        res = self.table.client.search(
            self.table.name,
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="vec",
            filter=expr,
            limit=k,
            output_fields=["id"],
            search_params={"metric_type": "IP", "params": {"ef": max(MIN_EF, 2 * k)}},
        )
        return [(h["id"], float(h["distance"])) for h in res[0]]

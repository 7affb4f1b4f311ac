"""The dense vector index: paper ids -> L2-normalised vectors, searched by an HNSW graph.

Why this shape (measured, docs/DECISIONS.md D15; benchmarks/results/scale.md):
* usearch HNSW (connectivity 16, f16 storage): at 1M papers a single unfiltered top-100 is
  ~1 ms where an exact matrix product is ~60 ms, recall@10 >= 0.99 on our vectors. Below
  `exact_below` vectors we still scan exactly (usearch's SIMD f16 scan, ~3 ms at 30k), so small
  homes keep recall 1.0.
* f16 halves memory (1M x 384 = 768 MB) for cosines within 1e-3 of float32.
* The vectors are read straight from the usearch file's own vector block, through a slot -> row
  map (`vector_block`, D75): `get()` and exact scoring of a filter's allowed rows are a numpy
  gather plus numkong's SIMD f16 dot products (~0.2 us per row; usearch's `get` costs ~2 us per
  key), and the one copy of the vectors is shared by the graph walk and every worker process.
* Filter columns (date, categories; `papersift.index.payload`) beside each vector answer
  `cat:`/`date:`/`year:` filters as array operations, so a filtered semantic search never
  materialises the filter through the lexical index.
* Serving processes memory-map both files (`view`), so the OS shares and pages them; the first
  write in a process loads them into RAM ("copy on write"), because a viewed usearch index is
  read-only (removing from one crashes the process).
* The files, their layout and how a generation is published atomically belong to `vector_files`;
  the graph's settings to `hnsw_graph`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numkong
import numpy as np

from papersift.index.embedded import vector_files
from papersift.index.embedded.hnsw_graph import new_graph, restored
from papersift.index.embedded.slots import SlotIds
from papersift.index.embedded.vector_files import VectorIndexCorrupt
from papersift.index.payload import Meta, Payload
from papersift.query import syntax as q

EXACT_BELOW = 50_000  # up to this many vectors, scan exactly (recall 1.0 in a few ms)
EXACT_ROWS = 20_000  # a filter allowing at most this many papers is scored exactly (~0.2 us/row)
# Past EXACT_ROWS, the graph walk must return ~2k * live / allowed results to find k allowed ones
# (~3-4 us each) while the exact scan costs ~0.14 us per allowed row: the scan wins while
# allowed^2 <= EXACT_RATIO * k * live. At 3M papers a one-month filter (24,826 papers) took
# 88.6 ms through the graph and 3.4 ms exactly (D66).
EXACT_RATIO = 40


class HnswIndex:
    """Vectors keyed by paper id; `open` it, change it, `save()` it."""

    supports_provisional = True

    def __init__(self, directory: Path, dim: int, model: str, *, exact_below: int = EXACT_BELOW):
        self.dir = Path(directory)
        self.dim = dim
        self.model = model
        self.exact_below = exact_below
        self.generation = 0
        self._graph = new_graph(dim)
        self._buffer = np.zeros((0, dim), dtype=np.float16)  # slot -> vector (+ spare rows); may be a memory map
        self._rows: np.ndarray | None = None  # slot -> row of _buffer when _buffer is the usearch block
        self._ids = SlotIds()  # slot <-> paper id ("" once deleted)
        self._payload = Payload()
        self._provisional = np.zeros(0, dtype=bool)  # slot -> provisional (+ spare rows, like _buffer)
        self._provisional_count = 0
        self._viewed = False  # graph and matrix are read-only memory maps
        self._dirty = False

    @classmethod
    def open(cls, directory: Path, dim: int, model: str, *, exact_below: int = EXACT_BELOW) -> HnswIndex:
        """Memory-map the current generation (checking model and shape), or start empty."""
        index = cls(directory, dim, model, exact_below=exact_below)
        loaded = vector_files.load(index.dir, dim, model)
        if loaded is not None:
            index.generation, index._ids, index._graph = loaded.number, loaded.ids, loaded.graph
            index._buffer, index._rows, index._payload = loaded.vectors, loaded.rows, loaded.payload
            index._provisional = loaded.provisional
            index._provisional_count = int(np.count_nonzero(loaded.provisional))
            index._viewed = True
        return index

    @property
    def dirty(self) -> bool:
        """Changes made here that `save()` has not published yet."""
        return self._dirty

    def stale(self) -> bool:
        """True when another process saved a newer generation than the one this object holds."""
        published = vector_files.current(self.dir)
        return published is not None and published != self.generation

    # --- reading -------------------------------------------------------------------------------

    @property
    def _matrix(self) -> np.ndarray:
        return self._buffer[: self._ids.slots]

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, paper_id: str) -> bool:
        return paper_id in self._ids

    def provisional_count(self) -> int:
        """How many of the vectors are provisional (static-encoder stand-ins)."""
        return self._provisional_count

    def provisional_ids(self, limit: int) -> list[str]:
        """Up to `limit` ids whose vector is provisional, oldest first: the upgrade pass's work list."""
        if not self._provisional_count or limit <= 0:
            return []
        return self._ids.at_many(np.flatnonzero(self._provisional[: self._ids.slots])[:limit])

    def have(self, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` that have a vector."""
        return set(self._ids.at_many(self._ids.slots_of(ids)))

    def get(self, paper_id: str) -> np.ndarray | None:
        slot = self._ids.slot_of(paper_id)
        return None if slot is None else _float32(self._take(np.array([slot])))[0]

    def get_many(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors of those of `ids` that have one (one gather, not one copy per id)."""
        wanted = list(dict.fromkeys(ids))
        positions, rows = self.vectors_of(wanted)
        return {wanted[i]: rows[j] for j, i in enumerate(positions.tolist())}

    def vectors_of(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `ids` of those that have a vector, their float32 vectors as rows in that order)."""
        located = self._ids.locate(ids)
        positions = np.flatnonzero(located >= 0)
        return positions, _float32(self._take(located[positions]))

    def category_counts(self, ids: Iterable[str], limit: int) -> list[tuple[str, int]] | None:
        """Facet counts of the papers `ids` from the filter columns; None when a paper has no
        vector or no recorded categories here (the caller asks the lexical index)."""
        wanted = list(dict.fromkeys(ids))
        slots = self._ids.slots_of(wanted)
        if slots.size != len(wanted) or self._payload.unknown_among(slots):
            return None
        return self._payload.category_counts(slots, limit)

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (id, cosine) for a normalised query; `allowed` restricts to those ids exactly."""
        if not len(self._ids) or k <= 0:
            return []
        query = query.astype(np.float32, copy=False)
        if allowed is not None:
            return self._score(query, k, self._ids.slots_of(allowed))
        return self._graph_search(query, k)

    def search_filtered(self, query: np.ndarray, k: int, filters: q.Node) -> list[tuple[str, float]] | None:
        """Exact top-k among the papers a filter AST allows, from the filter columns; None when
        the columns cannot answer this filter (the caller then asks the lexical index)."""
        mask = self._payload.mask(filters)
        if mask is None:
            return None
        allowed = int(np.count_nonzero(mask))
        if allowed == 0 or k <= 0:
            return []
        query = query.astype(np.float32, copy=False)
        live = len(self._ids)
        if allowed <= EXACT_ROWS or allowed * allowed <= EXACT_RATIO * k * live:
            return self._score(query, k, np.flatnonzero(mask))
        # a broad filter: walk the graph's ranking until k allowed papers are found
        want = k * live // allowed
        while True:
            want = min(max(want * 2, k), live)
            matches = self._graph.search(query, want, exact=live <= self.exact_below, threads=1)
            keep = mask[matches.keys.astype(np.int64)]
            if keep.sum() >= k or want >= live:
                ids = self._ids.at_many(matches.keys[keep][:k])
                return [(pid, 1.0 - float(dist)) for pid, dist in zip(ids, matches.distances[keep][:k], strict=True)]

    def _graph_search(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = min(k, len(self._ids))
        matches = self._graph.search(query, k, exact=len(self._ids) <= self.exact_below, threads=1)
        ids = self._ids.at_many(matches.keys)
        return [(pid, 1.0 - float(dist)) for pid, dist in zip(ids, matches.distances, strict=True)]

    def _score(self, query: np.ndarray, k: int, slots: np.ndarray) -> list[tuple[str, float]]:
        """Exact cosines of the given slots (numkong's SIMD f16 dot products), best k."""
        if slots.size == 0:
            return []
        slots.sort()  # sequential reads of the memory map
        rows = self._take(slots)
        scores = np.asarray(numkong.cdist(query.astype(np.float16)[None, :], rows, metric="dot"))[0]
        k = min(k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(pid, float(scores[i])) for pid, i in zip(self._ids.at_many(slots[top]), top, strict=True)]

    def _take(self, slots: np.ndarray) -> np.ndarray:
        """The f16 vectors of `slots` (one gather, through the block's row map when mapped)."""
        return np.take(self._buffer, slots if self._rows is None else self._rows[slots], axis=0)

    # --- writing -------------------------------------------------------------------------------

    def _writable(self) -> None:
        """Load a memory-mapped generation into RAM before the first change."""
        if not self._viewed:
            return
        if not len(self._ids):  # usearch 2.25 segfaults adding to a restored graph whose every node was removed
            self._graph = new_graph(self.dim)
            self._buffer = np.zeros((self._ids.slots, self.dim), dtype=np.float16)
        else:
            graph = restored(vector_files.file_of(self.dir, self.generation, ".usearch"), view=False)
            if graph is None:
                raise VectorIndexCorrupt(f"{self.dir}: generation {self.generation} graph unreadable")
            self._graph = graph
            if self._rows is None:
                self._buffer = np.array(self._buffer)
            else:  # back to slot order in RAM, one gather (a deleted slot's row is never read)
                self._buffer = np.take(self._buffer, np.maximum(self._rows, 0), axis=0)
        self._rows, self._viewed = None, False

    def _reserve(self, rows: int) -> None:
        """Grow the slot matrix geometrically, so appending n vectors costs O(n) overall."""
        if rows > self._buffer.shape[0]:
            grown = np.empty((max(rows, 2 * self._buffer.shape[0], 1024), self.dim), dtype=np.float16)
            grown[: self._ids.slots] = self._matrix
            self._buffer = grown
            flags = np.zeros(grown.shape[0], dtype=bool)
            flags[: self._ids.slots] = self._provisional[: self._ids.slots]
            self._provisional = flags

    def upsert(
        self,
        ids: list[str],
        vectors: np.ndarray,
        meta: list[Meta] | None = None,
        threads: int = 0,
        *,
        provisional: bool = False,
    ) -> None:
        """Insert or replace vectors (rows L2-normalised, shape [len(ids), dim]); last row wins.

        `meta` (one `payload.meta_of(paper)` per id) fills the filter columns; without it the
        papers are searchable but filtered semantic search falls back to the lexical index.
        `provisional` marks the rows as stand-ins that the full encoder will replace."""
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(ids)}, {self.dim}), got {vectors.shape}")
        latest = {pid: row for row, pid in enumerate(ids)}
        if not latest:
            return
        self._writable()
        self.delete(pid for pid in latest if pid in self._ids)  # usearch keys cannot be overwritten
        start = self._ids.slots
        rows = np.fromiter(latest.values(), dtype=np.int64)
        block = vectors[rows].astype(np.float16)
        self._reserve(start + len(block))
        self._buffer[start : start + len(block)] = block
        self._provisional[start : start + len(block)] = provisional
        self._provisional_count += len(block) if provisional else 0
        self._payload.append(len(latest), None if meta is None else [meta[row] for row in rows])
        for pid in latest:
            self._ids.append(pid)
        if self._graph.stats.nodes > len(self._graph):
            # removed nodes' slots get reused by this add, and usearch 2.25 corrupts its heap when
            # several threads fill reused slots (2-3 of 8 random churn runs aborted; D81): one thread
            threads = 1
        self._graph.add(np.arange(start, start + len(latest), dtype=np.uint64), block, threads=threads)
        self._dirty = True

    def delete(self, ids: Iterable[str]) -> None:
        slots = [slot for pid in ids if (slot := self._ids.remove(pid)) is not None]
        if not slots:
            return
        self._writable()
        gone = np.asarray(slots, dtype=np.int64)
        self._provisional_count -= int(np.count_nonzero(self._provisional[gone]))
        self._provisional[gone] = False
        self._payload.forget(slots)
        self._graph.remove(np.asarray(slots, dtype=np.uint64))
        self._dirty = True

    def save(self) -> None:
        """Publish the current contents as a new generation (no-op when nothing changed)."""
        if not self._dirty:
            return
        generation = self.generation + 1
        vector_files.write(
            self.dir,
            generation,
            graph=self._graph,
            matrix=self._matrix,
            ids=self._ids,
            payload=self._payload,
            provisional=self._provisional[: self._ids.slots],
            model=self.model,
        )
        self.generation, self._dirty = generation, False

    def republish(self) -> None:
        """Save the current contents as a new generation even when unchanged: rewrites a generation
        stored in an older layout (a separate vector matrix, before D75) without re-embedding."""
        self._writable()
        self._dirty = True
        self.save()


def _float32(vectors: np.ndarray) -> np.ndarray:
    """f16 rows widened to a plain float32 array, exactly: numkong's SIMD cast is ~20x numpy's astype
    (4 vs 83 us for 100 x 384 values), and a plain array's rows index without the memmap subclass's
    ~3 us each."""
    return np.asarray(numkong.astype(vectors, "float32"))

"""Serve the dense vectors from the usearch file's own vector block: one copy on disk and in RAM.

Why: a saved usearch index already holds every vector (f16) ahead of its graph. Keeping a second,
slot-ordered matrix beside it (`gen-<n>.npy`, the layout before D75) doubled the mapped pages a
serving process touches: ~730 MiB at 1M papers and ~2.2 GiB at 3M of pure duplication.

The block is in usearch's *internal* order, not ours: usearch reuses freed slots after a remove and
multi-threaded adds interleave rows, and it exposes no slot -> offset mapping (neither
`get_keys_at_offsets` nor `get_keys_in_slice` gives it). So `save()` finds, once, the block row that
holds each live vector (a 64-bit fingerprint per row, sort and match; identical vectors are
interchangeable), verifies the match exactly, and writes it as `gen-<n>.rows.npy` (slot -> block
row, -1 for a deleted slot). A file whose layout we do not recognise (a future usearch format, the
64-bit header variant) or a match that fails verification yields None and the caller keeps the old
layout, so correctness never depends on the format guess.

File layout (usearch 2.x `index_dense_gt::save_to_stream`, docs/format.md "Matrix BLOB"):
    uint32 rows, uint32 bytes_per_vector, rows x bytes_per_vector vector bytes, then the index
    BLOB, which starts with the magic "usearch".
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

HEADER_BYTES = 8  # uint32 rows, uint32 bytes per vector
MAGIC = b"usearch"
CHUNK_ROWS = 8_192  # rows hashed / compared at a time: bounded temporaries (~25 MB at dim 384)
_SEED = 0x9E3779B97F4A7C15


def open_vectors(prefix: Path, dim: int, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(vectors, slot -> row map) of the generation whose files start with `prefix` (".../gen-<n>"),
    memory-mapped and checked against its live slots: the usearch block and its `.rows.npy` map,
    or, for a generation written before D75, its slot-ordered `.npy` matrix and no map. ValueError
    when the files do not fit together (damaged or foreign: the caller rebuilds)."""
    rows_path = prefix.with_name(f"{prefix.name}.rows.npy")
    if not rows_path.exists():
        matrix = np.load(prefix.with_name(f"{prefix.name}.npy"), mmap_mode="r", allow_pickle=False)
        if matrix.shape != (alive.size, dim) or matrix.dtype != np.float16:
            raise ValueError(f"{prefix}.npy: {matrix.dtype} {matrix.shape}, expected float16 ({alive.size}, {dim})")
        return matrix, None
    usearch = prefix.with_name(f"{prefix.name}.usearch")
    block = map_block(usearch, dim)
    if block is None:
        raise ValueError(f"{usearch}: vector block not in the usearch layout we know")
    rows = np.load(rows_path, mmap_mode="r", allow_pickle=False)
    problem = check_rows(rows, alive, block.shape[0])
    if problem is not None:
        raise ValueError(f"{rows_path}: {problem}")
    return block, rows


def rows_for(usearch: Path, matrix: np.ndarray, alive: np.ndarray) -> np.ndarray | None:
    """The slot -> row map of a just-saved usearch file for our slot-ordered `matrix`, verified;
    None (with a warning) when the caller must store `matrix` itself instead."""
    block = map_block(usearch, matrix.shape[1])
    rows = None if block is None else locate(block, matrix, alive)
    if rows is None:
        log.warning("%s: vector block not matched; storing a separate vector matrix", usearch)
    return rows


def map_block(path: Path, dim: int) -> np.ndarray | None:
    """A read-only [rows, dim] f16 memory map of the usearch file's vector block, or None when the
    file does not have the layout we know (then nothing here may be trusted)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEADER_BYTES)
            if len(head) < HEADER_BYTES:
                return None
            rows, width = (int(x) for x in np.frombuffer(head, dtype="<u4"))
            if width != 2 * dim:
                return None
            fh.seek(HEADER_BYTES + rows * width)
            if fh.read(len(MAGIC)) != MAGIC:
                return None
    except OSError:
        return None
    if rows == 0:
        return np.zeros((0, dim), dtype="<f2")
    return np.memmap(path, dtype="<f2", mode="r", offset=HEADER_BYTES, shape=(rows, dim))


def locate(block: np.ndarray, matrix: np.ndarray, alive: np.ndarray) -> np.ndarray | None:
    """slot -> block row (int32; -1 where `alive` is False) such that block[row] is bit-for-bit
    matrix[slot] for every live slot; None when some live vector is not in the block."""
    rows = np.full(matrix.shape[0], -1, dtype=np.int32)
    live = np.flatnonzero(alive)
    if not live.size:
        return rows
    if block.shape[0] >= np.iinfo(np.int32).max:
        return None
    weights = _weights(block.shape[1])
    block_hash = _fingerprints(block, np.arange(block.shape[0]), weights)
    order = np.argsort(block_hash, kind="stable")
    sorted_hash = block_hash[order]
    wanted = _fingerprints(matrix, live, weights)
    at = np.minimum(np.searchsorted(sorted_hash, wanted), sorted_hash.size - 1)
    if not np.array_equal(sorted_hash[at], wanted):
        return None
    rows[live] = order[at]
    if not verify(block, matrix, rows, live):
        return None
    return rows


def verify(block: np.ndarray, matrix: np.ndarray, rows: np.ndarray, slots: np.ndarray) -> bool:
    """Every given slot's block row equals its row of `matrix` bit for bit (compared as integers,
    so -0.0 and NaN patterns count as different vectors, as they are)."""
    for start in range(0, slots.size, CHUNK_ROWS):
        part = slots[start : start + CHUNK_ROWS]
        ours = np.take(matrix, part, axis=0).view(np.uint16)
        theirs = np.take(block, rows[part], axis=0).view(np.uint16)
        if not np.array_equal(ours, theirs):
            return False
    return True


def check_rows(rows: np.ndarray, alive: np.ndarray, block_rows: int) -> str | None:
    """Why a stored slot -> row map cannot serve this generation, or None when it is consistent."""
    if rows.dtype != np.int32 or rows.shape != alive.shape:
        return f"rows map {rows.dtype} {rows.shape}, expected int32 ({alive.shape[0]},)"
    if rows.size and (int(rows.max()) >= block_rows or int(rows.min()) < -1):
        return f"rows map points outside the vector block ({block_rows} rows)"
    if not np.array_equal(rows >= 0, alive):
        return "rows map disagrees with the live slots"
    return None


def _weights(dim: int) -> np.ndarray:
    """One odd 64-bit multiplier per f16 lane: the fingerprint is a random linear hash mod 2^64."""
    rng = np.random.default_rng(_SEED)
    return rng.integers(0, 2**63, size=dim, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _fingerprints(vectors: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A 64-bit fingerprint of each of `rows` (collisions only cost a failed verification)."""
    out = np.empty(rows.size, dtype=np.uint64)
    for start in range(0, rows.size, CHUNK_ROWS):
        part = np.take(vectors, rows[start : start + CHUNK_ROWS], axis=0).view(np.uint16)
        with np.errstate(over="ignore"):
            out[start : start + part.shape[0]] = part.astype(np.uint64) @ weights
    return out

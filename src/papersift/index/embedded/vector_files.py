"""The vector index on disk: one module owns its files, their layout and how a generation is published.

Under `directory/`:
    manifest.json       {"generation", "model", "dim", "count", "provisional", "vocab"}: which
                        generation is current
    gen-<n>.usearch     the HNSW graph and its block of vectors (f16); keys are slots
    gen-<n>.rows.npy    slot -> row of that block (-1 for a deleted slot)
    gen-<n>.npy         slot -> vector (f16), instead of rows.npy in generations written before
                        D75 or when the block could not be matched (read as before)
    gen-<n>.ids.npy     slot -> paper id ("" for a deleted slot)
    gen-<n>.days.npy    slot -> date ordinal (filter column)
    gen-<n>.cats.npy    category bits, [words, slots] (filter column; vocabulary in the manifest)
    gen-<n>.prov.npy    slot -> provisional (a static-encoder stand-in awaiting the full model;
                        absent in generations written before provisional vectors existed)

Why generations: `write()` writes a new generation's files (each fsync'd under a temp name, then
renamed), then swaps the manifest atomically, and only then are older generations removed. A crash
at any point leaves the previous generation intact, a reader never sees a half-written file, and a
write that fails (a full disk) removes what it wrote. Readers compare `current()` with the
generation they hold to pick up a new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from usearch.index import Index

from papersift.fsutil import atomic_write_json, atomic_write_via
from papersift.index.embedded import vector_block
from papersift.index.embedded.hnsw_graph import restored, save_graph
from papersift.index.embedded.slots import SlotIds
from papersift.index.payload import Payload


class VectorIndexCorrupt(Exception):
    """The stored vector files are unreadable or inconsistent; rebuild from the catalog."""


@dataclass
class Generation:
    """One published generation, memory-mapped: what `load` reads and a serving index holds."""

    number: int
    ids: SlotIds
    graph: Index
    vectors: np.ndarray  # the usearch block (with `rows`) or a slot-ordered matrix (older layout)
    rows: np.ndarray | None  # slot -> row of `vectors`, None when `vectors` is in slot order
    payload: Payload
    provisional: np.ndarray  # slot -> provisional flag


def file_of(directory: Path, generation: int, suffix: str) -> Path:
    return directory / f"gen-{generation}{suffix}"


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest, or None when the index has never been saved."""
    path = directory / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise VectorIndexCorrupt(f"{path}: unreadable ({exc})") from exc
    return manifest


def current(directory: Path) -> int | None:
    """The published generation's number; None when there is none or the manifest cannot be read
    right now (mid-way or damaged: a reader keeps serving what it has)."""
    try:
        manifest = read_manifest(directory)
    except VectorIndexCorrupt:
        return None
    return None if manifest is None else int(manifest.get("generation", 0))


def load(directory: Path, dim: int, model: str) -> Generation | None:
    """Memory-map the current generation, checking its model, shape and that its files agree;
    None when nothing was ever saved."""
    manifest = read_manifest(directory)
    if manifest is None:
        return None
    if manifest.get("model") != model or manifest.get("dim") != dim:
        raise VectorIndexCorrupt(
            f"{directory / 'manifest.json'}: built with model {manifest.get('model')!r} "
            f"dim {manifest.get('dim')}, expected {model!r} dim {dim}"
        )
    number = int(manifest["generation"])
    try:
        ids = SlotIds(np.load(file_of(directory, number, ".ids.npy"), mmap_mode="r", allow_pickle=False))
        graph = restored(file_of(directory, number, ".usearch"), view=True)
        if graph is None:
            raise ValueError("graph unreadable")
        alive = ids.alive()
        vectors, rows = vector_block.open_vectors(file_of(directory, number, ""), dim, alive)
        provisional = _load_flags(file_of(directory, number, ".prov.npy"), len(ids))
        payload = Payload(
            # mapped like the ids: the first append copies them (a read-only map is never written)
            np.load(file_of(directory, number, ".days.npy"), mmap_mode="r", allow_pickle=False),
            np.load(file_of(directory, number, ".cats.npy"), mmap_mode="r", allow_pickle=False),
            list(manifest.get("vocab", [])),
            alive,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise VectorIndexCorrupt(f"{directory}: generation {number} unreadable ({exc})") from exc
    if graph.ndim != dim or len(graph) != len(ids) or payload.size != ids.slots or provisional.shape != (ids.slots,):
        raise VectorIndexCorrupt(
            f"{directory}: generation {number} is inconsistent "
            f"({ids.slots} slots, {len(ids)} ids, {len(graph)} graph nodes)"
        )
    return Generation(number, ids, graph, vectors, rows, payload, provisional)


def write(
    directory: Path,
    number: int,
    *,
    graph: Index,
    matrix: np.ndarray,
    ids: SlotIds,
    payload: Payload,
    provisional: np.ndarray,
    model: str,
) -> None:
    """Publish generation `number`: every file durably, then the manifest, then remove older
    generations. `matrix` and `provisional` are in slot order, one row per slot of `ids`. On any
    failure what was written of `number` is removed and the previous generation stays current."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write_via(file_of(directory, number, ".usearch"), lambda tmp: save_graph(graph, tmp))
        rows = vector_block.rows_for(file_of(directory, number, ".usearch"), matrix, ids.alive())
        if rows is not None:
            _write_array(file_of(directory, number, ".rows.npy"), rows)
        else:
            _write_array(file_of(directory, number, ".npy"), matrix)
        _write_array(file_of(directory, number, ".ids.npy"), ids.as_array())
        _write_array(file_of(directory, number, ".days.npy"), payload.days)
        _write_array(file_of(directory, number, ".cats.npy"), payload.cats)
        _write_array(file_of(directory, number, ".prov.npy"), provisional)
        atomic_write_json(
            directory / "manifest.json",
            {
                "generation": number,
                "model": model,
                "dim": matrix.shape[1],
                "count": len(ids),
                "provisional": int(np.count_nonzero(provisional)),
                "vocab": payload.vocab,
            },
        )
    except BaseException:
        _discard(directory, number)
        raise
    for old in directory.glob("gen-*"):
        if not old.name.startswith(f"gen-{number}."):
            old.unlink(missing_ok=True)  # readers still mapping it keep their copy until they reopen


def _discard(directory: Path, number: int) -> None:
    """Remove what a failed write left of generation `number`, unless the manifest already names it."""
    if current(directory) == number:
        return
    for stale in [*directory.glob(f"gen-{number}.*"), *directory.glob(f".gen-{number}.*.tmp")]:
        stale.unlink(missing_ok=True)


def _load_flags(path: Path, slots: int) -> np.ndarray:
    """The provisional flags of a generation, all False for one written before they existed."""
    if not path.exists():
        return np.zeros(slots, dtype=bool)
    return np.array(np.load(path, allow_pickle=False), dtype=bool)


def _write_array(path: Path, array: np.ndarray) -> None:
    def save(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)

    atomic_write_via(path, save)

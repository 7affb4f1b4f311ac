"""The usearch HNSW graph behind the vector index: its settings, and making, restoring and saving one.

Why a module of its own: a saved usearch file keeps neither expansion setting, so every graph that
comes back from disk must get ours again (D92), and a failed save says nothing about why; both
rules live here once, for the index that serves (`vectors`) and the files that hold it
(`vector_files`).
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from usearch.index import Index

CONNECTIVITY = 16
EXPANSION_ADD = 64  # 128 doubled build time for +0.001 recall@10 (D15)
EXPANSION_SEARCH = 128


def new_graph(dim: int) -> Index:
    """An empty inner-product graph over f16 vectors of `dim`, with our settings."""
    return Index(
        ndim=dim,
        metric="ip",
        dtype="f16",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def restored(path: Path, *, view: bool) -> Index | None:
    """A saved graph, memory-mapped (`view`) or loaded, with our expansion settings: usearch's file
    keeps neither, and `restore` fell back to its defaults (search 64 instead of EXPANSION_SEARCH,
    add 128, which D15 measured at twice the build time of EXPANSION_ADD)."""
    graph = Index.restore(str(path), view=view)
    if graph is not None:
        # usearch's setters have no annotations, so mypy sees read-only properties
        graph.expansion_add = EXPANSION_ADD  # type: ignore[misc]
        graph.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
    return graph


def save_graph(graph: Index, path: Path) -> None:
    """Write `graph` to `path`. usearch reports a failed write as a bare RuntimeError; when the graph
    no longer fits in the free space, say what it is (ENOSPC), so the CLI gives its one-line "disk
    is full"."""
    try:
        graph.save(str(path))
    except RuntimeError as exc:
        path.unlink(missing_ok=True)
        if shutil.disk_usage(path.parent).free < graph.serialized_length:
            raise OSError(errno.ENOSPC, f"no space left for the vector graph ({exc})") from exc
        raise

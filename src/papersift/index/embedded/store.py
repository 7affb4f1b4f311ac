"""On-disk layout of the search indexes under `<home>/index/` and their catch-up state.

    index/lexical/      tantivy segments (committed atomically by tantivy)
    index/vectors/      dense vectors + HNSW graph, one generation published at a time
                        (see `papersift.index.embedded.vectors`)
    index/state.json    change-log positions each index has absorbed, written *after* the
                        index it describes, so a crash can only make us redo work, never skip it

A corrupt or unreadable index is detected on open, moved aside, and rebuilt from the catalog
with a message — never served. A keyword index of an older papersift's schema is replaced the
same way (deleted, not kept: it holds nothing the catalog does not).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from papersift.fsutil import atomic_write_json
from papersift.index.embedded.lexical import IndexCorrupt, IndexOutdated, TantivyIndex
from papersift.index.embedded.vector_files import VectorIndexCorrupt
from papersift.index.embedded.vectors import HnswIndex
from papersift.index.protocols import IndexState, IndexStore

log = logging.getLogger(__name__)


class EmbeddedStore:
    """Opens (or repairs) the lexical and vector indexes of one home directory."""

    def __init__(self, directory: Path, encoder_name: str, dim: int):
        self.dir = directory
        self.encoder_name = encoder_name
        self.dim = dim
        self.dir.mkdir(parents=True, exist_ok=True)
        self.repaired = False  # set when a damaged index was moved aside and must be rebuilt
        self.state = self._load_state()
        if not (self.dir / "lexical").exists() and self.state.lexical_seq:
            self.state.lexical_seq = 0  # saved now: opening creates an empty index a later open must not trust
            self.save_state()
        self._migrate_npz()
        if not (self.vectors_path / "manifest.json").exists():
            self.state.dense_seq = 0
        self.lexical = self._open_lexical()
        self.vectors = self._open_vectors()
        self._checked = time.monotonic()

    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    @property
    def vectors_path(self) -> Path:
        return self.dir / "vectors"

    def refresh(self, every_s: float = 1.0) -> None:
        """Pick up vectors another process (the indexer) published since we opened them.

        Checked at most every `every_s` seconds (one small file read), so a long-running web
        server serves new semantic results as the dense backlog is embedded. Tantivy reloads the
        lexical side by itself on commit.
        """
        now = time.monotonic()
        if now - self._checked < every_s:
            return
        self._checked = now
        if self.vectors.stale() and not self.vectors.dirty:  # never drop this process's unsaved work
            self.vectors = self._open_vectors()

    def _migrate_npz(self) -> None:
        """Convert the pre-HNSW single-file format (index/vectors.npz) in place, once."""
        old = self.dir / "vectors.npz"
        if not old.exists():
            return
        try:
            with np.load(old, allow_pickle=False) as data:
                ids, matrix, model = [str(x) for x in data["ids"]], data["vectors"], str(data["model"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            log.warning(f"{old}: unreadable old-format vectors ({exc}); papers will be re-embedded")
            old.unlink()
            return
        if model == self.encoder_name and not (self.vectors_path / "manifest.json").exists():
            index = HnswIndex(self.vectors_path, self.dim, self.encoder_name)
            keep = [i for i, pid in enumerate(ids) if pid]
            index.upsert([ids[i] for i in keep], np.asarray(matrix[keep], dtype=np.float32))
            index.save()
            log.warning(f"converted {len(keep):,} vectors to the HNSW format in {self.vectors_path}")
        old.unlink()

    def _quarantine(self, path: Path) -> None:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        shutil.move(str(path), aside)
        self.repaired = True
        log.warning(f"moved the damaged index to {aside}; it will be rebuilt from the catalog")

    def _load_state(self) -> IndexState:
        if not self.state_path.exists():
            return IndexState()
        try:
            state = IndexState(**json.loads(self.state_path.read_text("utf-8")))
        except (ValueError, TypeError) as exc:
            log.warning(f"{self.state_path}: unreadable index state ({exc}); rebuilding indexes")
            self._quarantine(self.state_path)
            return IndexState()
        if state.encoder and state.encoder != self.encoder_name:
            log.warning(f"encoder changed from {state.encoder!r} to {self.encoder_name!r}: re-embedding all papers")
            state.dense_seq = 0
            shutil.rmtree(self.vectors_path, ignore_errors=True)
            (self.dir / "vectors.npz").unlink(missing_ok=True)
        return state

    def _open_lexical(self) -> TantivyIndex:
        """Open the keyword index; one that cannot be served is replaced by an empty one to rebuild.

        The position 0 is saved before the old directory goes, so a crash during the rebuild
        resumes it instead of taking the new, partial index for a complete one."""
        path = self.dir / "lexical"
        try:
            return TantivyIndex.open(path)
        except IndexOutdated as exc:
            log.warning(f"{exc}: rebuilding it from the catalog (once, ~335 µs of CPU per paper)")
            self.state.lexical_seq = 0
            self.save_state()
            aside = path.with_name(f"{path.name}.outdated-{int(time.time())}")
            path.rename(aside)
            shutil.rmtree(aside)
            self.repaired = True
        except IndexCorrupt as exc:
            log.warning(f"lexical index cannot be used ({exc})")
            self.state.lexical_seq = 0
            self.save_state()
            self._quarantine(path)
        return TantivyIndex.open(path)

    def _open_vectors(self) -> HnswIndex:
        try:
            return HnswIndex.open(self.vectors_path, self.dim, self.encoder_name)
        except VectorIndexCorrupt as exc:
            log.warning(str(exc))
            self._quarantine(self.vectors_path)
            self.state.dense_seq = 0
            return HnswIndex(self.vectors_path, self.dim, self.encoder_name)

    def save_state(self) -> None:
        self.state.encoder = self.encoder_name
        atomic_write_json(self.state_path, asdict(self.state))

    def drop(self) -> None:
        """Delete both indexes and their state (throwaway evaluation homes)."""
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        """Release the lexical write lock (uncommitted writes are discarded, as a crash would)."""
        self.lexical.close()


_: type[IndexStore] = EmbeddedStore  # mypy checks the whole IndexStore protocol here

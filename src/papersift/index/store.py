"""On-disk layout of the search indexes under `<home>/index/` and their catch-up state.

    index/lexical/      tantivy segments (committed atomically by tantivy)
    index/vectors.npz   dense vectors (replaced atomically)
    index/state.json    change-log positions each index has absorbed, written *after* the
                        index it describes, so a crash can only make us redo work, never skip it

A corrupt or unreadable index is detected on open, moved aside, and rebuilt from the catalog
with a message — never served.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from papersift.fsutil import atomic_write_json
from papersift.index.lexical import IndexCorrupt, LexicalIndex
from papersift.index.vectors import VectorIndex, VectorIndexCorrupt


@dataclass
class IndexState:
    lexical_seq: int = 0
    dense_seq: int = 0
    encoder: str = ""


class IndexStore:
    """Opens (or repairs) the lexical and vector indexes of one home directory."""

    def __init__(self, directory: Path, encoder_name: str, dim: int, warn: Callable[[str], None] = print):
        self.dir = directory
        self.encoder_name = encoder_name
        self.dim = dim
        self.warn = warn
        self.dir.mkdir(parents=True, exist_ok=True)
        self.repaired = False  # set when a damaged index was moved aside and must be rebuilt
        self.state = self._load_state()
        if not (self.dir / "lexical").exists():
            self.state.lexical_seq = 0
        if not self.vectors_path.exists():
            self.state.dense_seq = 0
        self.lexical = self._open_lexical()
        self.vectors = self._open_vectors()

    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    @property
    def vectors_path(self) -> Path:
        return self.dir / "vectors.npz"

    def _quarantine(self, path: Path) -> None:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        shutil.move(str(path), aside)
        self.repaired = True
        self.warn(f"moved the damaged index to {aside}; it will be rebuilt from the catalog")

    def _load_state(self) -> IndexState:
        if not self.state_path.exists():
            return IndexState()
        try:
            state = IndexState(**json.loads(self.state_path.read_text("utf-8")))
        except (ValueError, TypeError) as exc:
            self.warn(f"{self.state_path}: unreadable index state ({exc}); rebuilding indexes")
            self._quarantine(self.state_path)
            return IndexState()
        if state.encoder and state.encoder != self.encoder_name:
            self.warn(f"encoder changed from {state.encoder!r} to {self.encoder_name!r}: re-embedding all papers")
            state.dense_seq = 0
            self.vectors_path.unlink(missing_ok=True)
        return state

    def _open_lexical(self) -> LexicalIndex:
        path = self.dir / "lexical"
        try:
            return LexicalIndex.open(path)
        except IndexCorrupt as exc:
            self.warn(f"lexical index is damaged ({exc})")
            self._quarantine(path)
            self.state.lexical_seq = 0
            return LexicalIndex.open(path)

    def _open_vectors(self) -> VectorIndex:
        try:
            return VectorIndex.open(self.vectors_path, self.dim, self.encoder_name)
        except VectorIndexCorrupt as exc:
            self.warn(str(exc))
            self._quarantine(self.vectors_path)
            self.state.dense_seq = 0
            return VectorIndex(self.vectors_path, self.dim, self.encoder_name)

    def save_state(self) -> None:
        self.state.encoder = self.encoder_name
        atomic_write_json(self.state_path, asdict(self.state))

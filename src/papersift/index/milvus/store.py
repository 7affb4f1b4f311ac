"""`MilvusStore`: the `EmbeddedStore` surface (`.lexical`, `.vectors`, `.state`, `save_state()`) on
one Milvus collection, so the indexer and the search service need no Milvus-specific code.

The change-log positions the collection has absorbed live in `<home>/index/milvus-state.json`,
written after the data they describe (as the embedded store does) and tied to the URI and
collection name: pointing a home at another collection, or finding the collection gone,
starts indexing from zero rather than trusting positions that describe other data.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from papersift.fsutil import atomic_write_json
from papersift.index.milvus.lexical import MilvusLexical
from papersift.index.milvus.schema import build_schema, described_dim
from papersift.index.milvus.table import Table
from papersift.index.milvus.vectors import MilvusVectors
from papersift.index.protocols import IndexState, IndexStore

STATE_FILE = "milvus-state.json"

log = logging.getLogger(__name__)


class MilvusBackendError(RuntimeError):
    """The Milvus backend cannot be used as configured; the message says what to change."""


def connect(uri: str, token: str | None) -> Any:
    """A `MilvusClient`; a local path (milvus-lite) gets its folder created first."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise MilvusBackendError(
            'backend = "milvus" needs the pymilvus package (and milvus-lite for a local file): '
            "pip install 'papersift[milvus]'"
        ) from exc
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite has no MVCC timestamps; pymilvus warns on every iterator (harmless there)
        logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(
            lambda record: "mvccTs" not in record.getMessage()
        )
    try:
        return MilvusClient(uri=uri, token=token or "")
    except Exception as exc:  # pymilvus raises MilvusException, grpc errors, or lite's own
        raise MilvusBackendError(f"cannot connect to Milvus at {uri}: {exc}") from exc


class MilvusStore:
    """Opens (creating if needed) the papersift collection; rebuilds it when its schema, vector
    size or the encoder changed, since stored rows or vectors would be wrong."""

    repaired = False  # Milvus looks after its own storage; nothing is quarantined here

    def __init__(self, client: Any, collection: str, directory: Path, uri: str, encoder_name: str, dim: int):
        self.client, self.collection, self.dir, self.uri = client, collection, directory, uri
        self.encoder_name, self.dim = encoder_name, dim
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = self._load_state()
        created = self._ensure_collection()
        if created:
            self.state = IndexState()
        table = Table(client, collection, dim)
        self.lexical = MilvusLexical(table)
        self.vectors = MilvusVectors(table)

    @classmethod
    def open(
        cls, uri: str, token: str | None, collection: str, directory: Path, encoder_name: str, dim: int
    ) -> MilvusStore:
        return cls(connect(uri, token), collection, directory, uri, encoder_name, dim)

    @property
    def state_path(self) -> Path:
        return self.dir / STATE_FILE

    def _load_state(self) -> IndexState:
        try:
            data = json.loads(self.state_path.read_text("utf-8"))
        except FileNotFoundError:
            return IndexState()
        except ValueError as exc:
            log.warning(f"{self.state_path}: unreadable index state ({exc}); re-indexing")
            return IndexState()
        if (data.pop("uri", None), data.pop("collection", None)) != (self.uri, self.collection):
            return IndexState()  # positions of another collection
        try:
            return IndexState(**data)
        except TypeError as exc:
            log.warning(f"{self.state_path}: unreadable index state ({exc}); re-indexing")
            return IndexState()

    def _ensure_collection(self) -> bool:
        """True when the collection was (re)created empty."""
        if self.client.has_collection(self.collection):
            dim = described_dim(self.client.describe_collection(self.collection))
            if dim is None:
                raise MilvusBackendError(
                    f"Milvus collection {self.collection!r} at {self.uri} exists but is not a papersift collection; "
                    "choose another name with the milvus_collection setting (PAPERSIFT_MILVUS_COLLECTION)"
                )
            if dim == self.dim and self.state.encoder in ("", self.encoder_name):
                self.client.load_collection(self.collection)
                return False
            log.warning(
                f"Milvus collection {self.collection!r} was built by another papersift version or encoder "
                f"({self.state.encoder or '?'}, dim {dim}); rebuilding it for {self.encoder_name!r}"
            )
            self.client.drop_collection(self.collection)
        schema, index = build_schema(self.client, self.dim)
        self.client.create_collection(self.collection, schema=schema, consistency_level="Strong")
        # sync=False: don't poll index progress (milvus-lite lacks the RPC that polling needs); the
        # server builds indexes as segments are sealed, and load waits for what it must
        self.client.create_index(self.collection, index, sync=False)
        self.client.load_collection(self.collection)
        return True

    def refresh(self, every_s: float = 1.0) -> None:
        """Nothing to reload: Milvus serves other processes' writes (Strong consistency)."""

    def save_state(self) -> None:
        self.state.encoder = self.encoder_name
        atomic_write_json(self.state_path, {"uri": self.uri, "collection": self.collection, **asdict(self.state)})

    def drop(self) -> None:
        """Delete the collection and its state (throwaway evaluation homes)."""
        self.client.drop_collection(self.collection)
        self.state_path.unlink(missing_ok=True)

    def close(self) -> None:
        self.client.close()


_: type[IndexStore] = MilvusStore  # mypy checks the whole IndexStore protocol here

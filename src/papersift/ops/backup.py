"""`papersift backup DEST` / `papersift restore SRC`: a consistent online snapshot of a home.

What is copied, in this order (the order is what makes it consistent without stopping anything):
  1. `index/state.json` (the change-log positions the indexes have absorbed),
  2. the current vector generation (`index/vectors/manifest.json` + its `gen-<n>.*` files) and the
     committed lexical segments (tantivy's `meta.json` + the files it names), retried if the
     indexer publishes meanwhile and verified by opening the copy,
  3. the catalog last: SQLite through its online backup API (one step, one read transaction, so
     a concurrent ingest is either wholly in or wholly out), any other database through
     `catalog.copy` into a SQLite file of the backup.
With the Milvus backend on a milvus-lite directory inside the home (the default `index/milvus.db`),
step 2 copies `index/milvus-state.json` and then each collection's `manifest.json` and the immutable
data, delta and index files it names (milvus-lite 3 replaces its manifest atomically and never
rewrites a named file; a compaction that deletes one meanwhile makes the attempt fail and retry).
Its write-ahead log is left out: it holds only writes after the last flush, and the indexer
flushes before it records a position, so they lie beyond the copied state and are redone.
A Milvus server (a `://` URI) is not copied: it is backed up with Milvus's own tools.
Indexes therefore never describe papers the copied catalog lacks; at worst they lag it, and
`papersift index` on the restored home catches up from the copied positions (work redone, never
skipped). Other files of the home (the secret key that signs sessions, papersift.toml) are copied
too. `backup.json` is written last, atomically: a backup without it is incomplete and
`restore` refuses it.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.catalog import Catalog
from papersift.catalog.copy import copy_database
from papersift.catalog.store import create_engine_for
from papersift.fsutil import atomic_write_json

log = logging.getLogger(__name__)
MANIFEST = "backup.json"
CATALOG_FILE = "catalog.db"
SKIPPED_FILES = (CATALOG_FILE, f"{CATALOG_FILE}-wal", f"{CATALOG_FILE}-shm", f"{CATALOG_FILE}-journal")
ATTEMPTS = 5
MILVUS_STATE = "milvus-state.json"  # index/milvus/store.py's STATE_FILE (ops may not import index backends)


class BackupError(Exception):
    """The backup or restore could not be made; the message says why and what to do."""


@dataclass
class BackupManifest:
    """What a backup holds; restore checks the catalog it copies back against these numbers."""

    created: str
    schema_revision: str | None
    papers: int
    max_seq: int
    index_state: dict[str, object] = field(default_factory=dict)
    vector_generation: int | None = None
    lexical: bool = False
    files: list[str] = field(default_factory=list)
    milvus_lite: str | None = None  # the milvus-lite directory, relative to index/, when it was copied


def home_milvus_lite(index_dir: Path, uri: str | None) -> Path | None:
    """The milvus-lite directory a backup copies: a local path inside the home's index folder."""
    if uri is None or "://" in uri:
        return None
    path = Path(uri).resolve()
    return path if path.is_relative_to(index_dir.resolve()) else None


def backup(
    catalog: Catalog, home: Path, index_dir: Path, dest: Path, milvus_lite: Path | None = None
) -> BackupManifest:
    """Snapshot a (possibly running) home into `dest`, which must be absent or empty; `milvus_lite`
    is the home's milvus-lite directory (see `home_milvus_lite`) when the Milvus backend is in use."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; back up into a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    index_copy = dest / "index"
    state = _copy_index(index_dir, index_copy)
    lite = None
    if milvus_lite is not None and milvus_lite.is_dir():
        lite = str(milvus_lite.resolve().relative_to(index_dir.resolve()))
        source, target = milvus_lite, index_copy / lite
        if not _retry(lambda: copy_milvus_lite(source, target)):
            (index_copy / MILVUS_STATE).unlink(missing_ok=True)  # restored home re-indexes; said, not hidden
            log.warning("the milvus-lite files changed during every copy attempt; the restored home will re-index")
    catalog_url = f"sqlite:///{dest / CATALOG_FILE}"
    if catalog.engine.dialect.name == "sqlite":
        _sqlite_backup(catalog.engine, dest / CATALOG_FILE)
    else:
        copy_database(catalog.engine, catalog_url)
    copied = Catalog.open(catalog_url)
    try:
        papers, max_seq = copied.count(), copied.max_seq()
        revision = _revision(copied.engine)
    finally:
        copied.close()
    files = []
    for f in sorted(home.iterdir()):
        if f.is_file() and f.name not in SKIPPED_FILES:
            shutil.copy2(f, dest / f.name)
            files.append(f.name)
    manifest = BackupManifest(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        schema_revision=revision,
        papers=papers,
        max_seq=max_seq,
        index_state=state,
        vector_generation=_generation(index_copy / "vectors"),
        lexical=(index_copy / "lexical" / "meta.json").exists(),
        files=files,
        milvus_lite=lite,
    )
    atomic_write_json(dest / MANIFEST, asdict(manifest))
    return manifest


def restore(src: Path, home: Path, index_dir: Path, database_url: str, milvus_uri: str | None = None) -> BackupManifest:
    """Restore a backup into an empty home (and an empty database when it is not the home's SQLite).
    A copied milvus-lite directory keeps its positions when the restored home's Milvus URI is that
    directory (its state names the URI it describes: the old home's path is rewritten)."""
    manifest = read_manifest(src)
    if (home / CATALOG_FILE).exists() or (index_dir.exists() and any(index_dir.iterdir())):
        raise BackupError(f"{home} already holds a catalog or indexes; restore into an empty home")
    home.mkdir(parents=True, exist_ok=True)
    backup_url = f"sqlite:///{src / CATALOG_FILE}"
    if database_url == f"sqlite:///{home / CATALOG_FILE}":
        _sqlite_backup(create_engine_for(backup_url), home / CATALOG_FILE)
    else:
        source = create_engine_for(backup_url)
        try:
            copy_database(source, database_url)
        finally:
            source.dispose()
    restored = Catalog.open(database_url)
    try:
        got = (restored.count(), restored.max_seq())
    finally:
        restored.close()
    if got != (manifest.papers, manifest.max_seq):
        raise BackupError(
            f"restored catalog has (papers, max seq) {got}, the backup says {(manifest.papers, manifest.max_seq)}"
        )
    if (src / "index").exists():
        shutil.copytree(src / "index", index_dir, dirs_exist_ok=True)
    state_file = index_dir / MILVUS_STATE
    if manifest.milvus_lite and state_file.exists() and milvus_uri is not None:
        lite = index_dir / manifest.milvus_lite
        if home_milvus_lite(index_dir, milvus_uri) == lite.resolve():
            atomic_write_json(state_file, {**json.loads(state_file.read_text("utf-8")), "uri": milvus_uri})
    for name in manifest.files:
        shutil.copy2(src / name, home / name)
    return manifest


def read_manifest(src: Path) -> BackupManifest:
    path = src / MANIFEST
    if not path.exists():
        raise BackupError(f"{src} has no {MANIFEST}: not a papersift backup, or an interrupted one")
    return BackupManifest(**json.loads(path.read_text("utf-8")))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_backup(engine: Engine, target: Path) -> None:
    """SQLite's online backup API in one step: a consistent copy while others read and write."""
    raw = engine.raw_connection()
    try:
        dst = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(dst)  # type: ignore[union-attr]  # pysqlite's sqlite3.Connection
        finally:
            dst.close()
    finally:
        raw.close()


def _copy_index(index_dir: Path, dest: Path) -> dict[str, object]:
    """state.json first, then the indexes it describes (see the module docstring for why)."""
    dest.mkdir(parents=True, exist_ok=True)
    state_file = index_dir / "state.json"
    state: dict[str, object] = {}
    if state_file.exists():
        state = json.loads(state_file.read_text("utf-8"))
    if (index_dir / MILVUS_STATE).exists():
        shutil.copy2(index_dir / MILVUS_STATE, dest / MILVUS_STATE)  # before the data it describes
    if (index_dir / "vectors" / "manifest.json").exists():
        if not _retry(lambda: _copy_vectors(index_dir / "vectors", dest / "vectors")):
            state["dense_seq"] = 0  # restored home re-embeds; said, not hidden
            log.warning("the vector index changed during every copy attempt; the restored home will re-embed")
    if (index_dir / "lexical" / "meta.json").exists():
        if not _retry(lambda: _copy_lexical(index_dir / "lexical", dest / "lexical")):
            state["lexical_seq"] = 0
            log.warning("the lexical index changed during every copy attempt; it will be rebuilt on restore")
    if state:
        atomic_write_json(dest / "state.json", state)
    return state


def _retry(attempt: Callable[[], None]) -> bool:
    for i in range(ATTEMPTS):
        try:
            attempt()
            return True
        except (FileNotFoundError, ValueError) as exc:  # the indexer published (and cleaned up) meanwhile
            log.info("index copy attempt %d: %s; retrying", i + 1, exc)
            time.sleep(0.2 * (i + 1))
    return False


def _copy_vectors(src: Path, dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    manifest = (src / "manifest.json").read_bytes()
    generation = int(json.loads(manifest)["generation"])
    for f in sorted(src.glob(f"gen-{generation}.*")):
        shutil.copy2(f, dest / f.name)
    (dest / "manifest.json").write_bytes(manifest)
    if not (dest / f"gen-{generation}.usearch").exists():
        raise FileNotFoundError(f"generation {generation} vanished during the copy")


def _copy_lexical(src: Path, dest: Path) -> None:
    import tantivy  # only a backup needs to open a copy directly

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    meta = (src / "meta.json").read_bytes()
    segments = {s["segment_id"].replace("-", "") for s in json.loads(meta).get("segments", [])}
    for f in src.iterdir():
        if f.is_file() and f.name.split(".")[0] in segments:
            shutil.copy2(f, dest / f.name)
    (dest / "meta.json").write_bytes(meta)
    try:
        tantivy.Index.open(str(dest)).searcher()
    except BaseException as exc:  # tantivy panics are BaseException (pyo3)
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise ValueError(f"copied lexical index does not open ({exc})") from exc


def copy_milvus_lite(src: Path, dest: Path) -> None:
    """Each collection's manifest first, then the files it names (see the module docstring); then
    the copy is opened with milvus-lite and must hold every collection."""
    shutil.rmtree(dest, ignore_errors=True)
    expected: list[str] = []
    for coll in sorted(p for p in (src / "collections").iterdir() if p.is_dir()):
        manifest = (coll / "manifest.json").read_bytes()
        out = dest / "collections" / coll.name
        out.mkdir(parents=True)
        shutil.copy2(coll / "schema.json", out / "schema.json")
        for part, files in json.loads(manifest)["partitions"].items():
            pdir, pout = coll / "partitions" / part, out / "partitions" / part
            data = list(files.get("data_files", []))
            for rel in [*data, *files.get("delta_files", [])]:
                (pout / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(pdir / rel, pout / rel)
            stems = {Path(rel).stem for rel in data}
            indexes = pdir / "indexes"
            for f in sorted(indexes.iterdir()) if indexes.is_dir() else []:
                if f.name.split(".")[0] in stems:  # sidecars are named <data file stem>.<field>.<type>.idx
                    (pout / "indexes").mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, pout / "indexes" / f.name)
        (out / "manifest.json").write_bytes(manifest)
        expected.append(coll.name)
    _open_milvus_lite(dest, expected)


def _open_milvus_lite(path: Path, expected: list[str]) -> None:
    """The copy must open and hold every collection (ValueError otherwise, so the copy is retried)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - the milvus extra makes these files
        raise BackupError("copying a milvus-lite index needs the milvus extra (pymilvus, milvus-lite)") from exc
    try:
        client = MilvusClient(str(path))
        try:
            missing = [name for name in expected if not client.has_collection(name)]
        finally:
            client.close()
    except Exception as exc:  # pymilvus and milvus-lite raise their own types; any means "does not open"
        raise ValueError(f"copied milvus-lite index does not open ({exc})") from exc
    if missing:
        raise ValueError(f"copied milvus-lite index lacks collections {missing}")


def _generation(vectors: Path) -> int | None:
    try:
        return int(json.loads((vectors / "manifest.json").read_text("utf-8"))["generation"])
    except (FileNotFoundError, ValueError, KeyError):
        return None

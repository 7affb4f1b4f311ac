"""`papersift backup` / `restore` through the real CLI: identical export, search results and accounts
after a round trip (catalog on SQLite and on PostgreSQL), and a consistent snapshot taken while an
ingest and an indexer are writing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from papersift.catalog import Catalog
from papersift.catalog.store import create_engine_for
from papersift.community import Community
from papersift.config import load_settings
from papersift.context import AppContext
from papersift.encoder.embed import load_encoder
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.indexer import index_lexical, run_indexer
from papersift.paper import Paper, Version, make_paper
from tests.community.factories import make_context
from tests.postgres import PostgresServer

PAPERSIFT = [sys.executable, "-m", "papersift"]


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [*PAPERSIFT, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def results(home: Path, env: dict[str, str] | None = None) -> list[object]:
    out = []
    for mode in ("lexical", "dense", "hybrid"):
        for query in ("attention", "experts for text"):
            hits = json.loads(ok(cli(home, "search", query, "--mode", mode, "--json", env=env)))
            out.append([(h["id"], round(h["score"], 6)) for h in hits["results"]])
    return out


def test_round_trip_is_identical(home: Path, tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> None:
    ctx = make_context(home)
    run_indexer(ctx.catalog, ctx.indexes, load_encoder("minilm-int8", threads=1))
    Community(ctx.catalog, home).accounts.create_user("ada@example.org", "password one")
    ctx.close()
    export, found = ok(cli(home, "export")), results(home)
    assert export.count("\n") == 6 and any(found)

    manifest = json.loads(ok(cli(home, "backup", str(tmp_path / "b"), "--json")))
    assert manifest["papers"] == 6 and manifest["vector_generation"] == 1 and manifest["lexical"]
    assert "secret_key" in manifest["files"]  # sessions signed before the backup stay valid

    restored = tmp_path / "restored"
    env = {}
    if database_url.startswith("postgresql"):
        server: PostgresServer = request.getfixturevalue("postgres")
        env["PAPERSIFT_DATABASE_URL"] = server.create_database()
    else:
        env["PAPERSIFT_DATABASE_URL"] = f"sqlite:///{restored / 'catalog.db'}"
    ok(cli(restored, "restore", str(tmp_path / "b"), env=env))
    assert ok(cli(restored, "export", env=env)) == export
    assert results(restored, env) == found
    settings = load_settings(restored).model_copy(update={"database_url": env["PAPERSIFT_DATABASE_URL"]})
    again = AppContext(settings)
    assert again.community.accounts.authenticate("ada@example.org", "password one", "127.0.0.1") is not None
    again.close()

    assert "empty home" in cli(restored, "restore", str(tmp_path / "b"), env=env).stderr
    assert "not empty" in cli(home, "backup", str(tmp_path / "b")).stderr
    assert "not a papersift backup" in cli(tmp_path / "other", "restore", str(tmp_path)).stderr


BATCHES, PER_BATCH = 30, 200


def batch(b: int) -> list[Paper]:
    return [
        make_paper(
            source="drill",
            title=f"Batch {b} paper {i} about graphs",
            abstract="We study graphs.",
            arxiv_id=f"2501.{b:02d}{i:03d}v1",
            authors=["Ada Lovelace"],
            categories=["cs.DS"],
            versions=[Version(1, date(2025, 1, 1))],
        )
        for i in range(PER_BATCH)
    ]


def test_backup_while_ingest_and_index_write(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{home / 'catalog.db'}"
    Catalog.open(url).upsert(batch(0))
    done = threading.Event()

    def ingest() -> None:
        catalog = Catalog(create_engine_for(url))
        for b in range(1, BATCHES):
            catalog.upsert(batch(b))
        catalog.close()
        done.set()

    def index() -> None:
        catalog = Catalog(create_engine_for(url))
        store = EmbeddedStore(home / "index", "minilm-int8", 384)
        while not done.is_set():
            index_lexical(catalog, store)
        store.close()
        catalog.close()

    threads = [threading.Thread(target=ingest), threading.Thread(target=index)]
    for t in threads:
        t.start()
    manifest = json.loads(ok(cli(home, "backup", str(tmp_path / "b"), "--json")))
    for t in threads:
        t.join()
    assert not done.is_set() or manifest["papers"] <= BATCHES * PER_BATCH  # taken while writing (usually)

    restored = tmp_path / "restored"
    ok(cli(restored, "restore", str(tmp_path / "b")))
    catalog = Catalog.open(f"sqlite:///{restored / 'catalog.db'}")
    ids = sorted(p.id for p in catalog.iter_all())
    whole = manifest["papers"] // PER_BATCH
    assert manifest["papers"] % PER_BATCH == 0  # whole ingest batches only, never half of one
    assert ids == sorted(p.id for b in range(whole) for p in batch(b))
    assert int(manifest["index_state"].get("lexical_seq", 0)) <= catalog.max_seq()  # indexes never ahead
    catalog.close()
    ok(cli(restored, "index", "--lexical-only"))
    hits = json.loads(ok(cli(restored, "search", f'"Batch {whole - 1} paper 7 about"', "--mode", "lexical", "--json")))
    assert hits["results"][0]["id"] == f"2501.{whole - 1:02d}007"

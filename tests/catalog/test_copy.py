"""`papersift catalog copy --to URL`: a SQLite home moved to a real PostgreSQL server, through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from papersift.catalog import Catalog
from papersift.community import Community
from papersift.config import load_settings
from papersift.context import AppContext
from tests.community.factories import make_context
from tests.postgres import PostgresServer

PAPERSIFT = [sys.executable, "-m", "papersift"]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True, timeout=300)


def export(catalog: Catalog) -> list[dict[str, object]]:
    return [p.to_dict() for p in catalog.iter_all()]


def test_copy_sqlite_home_to_postgresql(home: Path, postgres: PostgresServer) -> None:
    ctx = make_context(home)
    community = Community(ctx.catalog, home)
    ada = community.accounts.create_user("ada@example.org", "password one")
    community.votes.vote(ada, "2405.00002")
    col = community.collections.create(ada, "Reading", public=True)
    community.collections.add(ada, col.id, "2405.00001")
    ctx.catalog.delete("2405.00003")  # a tombstone is part of the change log too
    before, changes = export(ctx.catalog), ctx.catalog.changes_since(0)
    ctx.close()

    url = postgres.create_database()
    done = cli(home, "catalog", "copy", "--to", url, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] and report["rows"]["papers"] == 6 and report["rows"]["users"] == 1

    moved = AppContext(load_settings(home).model_copy(update={"database_url": url}))
    assert export(moved.catalog) == before
    assert moved.catalog.changes_since(0) == changes  # indexes built on the SQLite home stay valid
    community = Community(moved.catalog, home)
    assert community.accounts.authenticate("ada@example.org", "password one", "127.0.0.1") is not None
    assert community.votes.counts(["2405.00002"]) == {"2405.00002": 1}
    grace = community.accounts.create_user("grace@example.org", "password two")  # sequences moved past copied ids
    assert grace.id > ada.id
    moved.close()

    again = cli(home, "catalog", "copy", "--to", url)
    assert again.returncode == 1 and "not empty" in again.stderr


def test_copy_rejects_a_bad_url(home: Path) -> None:
    make_context(home).close()
    done = cli(home, "catalog", "copy", "--to", "not a url")
    assert done.returncode == 2 and "not a database URL" in done.stderr

"""`papersift doctor` through the CLI on real homes: what it finds and what it tells the operator to do."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from tests.community.factories import make_context
from tests.ops.test_backup import cli


def checks(home: Path) -> tuple[int, dict[str, dict[str, str]]]:
    proc = cli(home, "doctor", "--json")
    return proc.returncode, {c["name"]: c for c in json.loads(proc.stdout)}


def test_doctor_reports_lag_coverage_schema_and_permissions(home: Path) -> None:
    ctx = make_context(home)
    assert ctx.community.secret  # the home's session-signing key
    ctx.close()
    code, found = checks(home)
    assert code == 0
    assert found["schema"]["status"] == "ok" and found["home"]["status"] == "ok"
    assert found["lexical index"]["status"] == "warn" and "6 catalog change(s)" in found["lexical index"]["found"]
    assert found["lexical index"]["fix"] == "run `papersift index`"

    assert cli(home, "index", "--lexical-only").returncode == 0
    code, found = checks(home)
    assert found["lexical index"]["status"] == "ok" and found["dense index"]["status"] == "warn"
    assert found["vectors"]["found"].startswith("0 vectors for 6 papers")

    (home / "secret_key").chmod(0o644)
    engine = sa.create_engine(f"sqlite:///{home / 'catalog.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
    engine.dispose()
    code, found = checks(home)
    assert found["home"]["status"] == "warn" and "chmod 600" in found["home"]["fix"]
    assert found["schema"]["status"] == "warn" and "papersift backup" in found["schema"]["fix"]


def test_doctor_fails_on_an_unreachable_database(home: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PAPERSIFT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, found = checks(home)
    assert code == 1 and found["catalog"]["status"] == "fail"


def test_doctor_says_an_older_papersifts_keyword_index_will_be_rebuilt(home: Path) -> None:
    import shutil

    from papersift.catalog import Catalog
    from tests.index.old_lexical import write_old_index

    make_context(home).close()
    assert cli(home, "index", "--lexical-only").returncode == 0
    lexical = home / "index" / "lexical"
    shutil.rmtree(lexical)
    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    write_old_index(lexical, catalog.get_many(c.id for c in catalog.changes_since(0, 1000)).values())
    catalog.close()
    _, found = checks(home)
    assert found["lexical index"]["status"] == "warn" and "older papersift" in found["lexical index"]["found"]
    assert "papersift index --lexical-only" in found["lexical index"]["fix"]
    assert (lexical / "meta.json").exists()  # doctor only looks
    assert cli(home, "index", "--lexical-only").returncode == 0
    _, found = checks(home)
    assert found["lexical index"]["status"] == "ok"

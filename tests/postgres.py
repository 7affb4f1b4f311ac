"""A real, throwaway PostgreSQL server for the tests and benchmarks (pytest plugin + helper).

`PostgresServer.start()` runs Debian's `initdb` into a fresh temporary directory and starts
`postgres` on a free loopback port (socket in the same directory), trust authentication for
the one local user, nothing listening beyond 127.0.0.1. PostgreSQL refuses to run as root, so
under root (CI) the cluster is created and run as the `postgres` system user via `runuser`.
Every test gets its own database (`CREATE DATABASE`, optionally from a template), so tests
never see each other's rows.

Fixtures: `postgres` (one server per session) and `database_url` (parametrised: every test
using it runs on SQLite and on PostgreSQL). Without the server binaries the PostgreSQL cases
skip, except under CI (`CI=true`), where a missing server is a failure.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ["sqlite", "postgresql"]
_names = itertools.count(1)


def find_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl: `$PAPERSIFT_PG_BINDIR`, Debian's versioned dir, or PATH."""
    env = os.environ.get("PAPERSIFT_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One initdb'd cluster in a temporary directory, started on 127.0.0.1:<port>."""

    USER = "papersift"

    def __init__(self, bindir: Path, *, durable: bool = False):
        self.bindir = bindir
        self.durable = durable  # fsync on (benchmarks); tests run with fsync off, it is a throwaway cluster
        self.dir = Path(tempfile.mkdtemp(prefix="papersift-pg-"))
        self.port = _free_port()
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.process: subprocess.Popen[bytes] | None = None

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> PostgresServer:
        data = self.dir / "data"
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            self._cmd(str(self.bindir / "initdb"), "-D", str(data), "-U", self.USER, "--auth=trust", "-E", "UTF8"),
            check=True,
            capture_output=True,
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.dir),
            "max_connections": "200",
            "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
        }
        options = [f"-c{k}={v}" for k, v in settings.items()]
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - handed to the server process
        self.process = subprocess.Popen(
            self._cmd(str(self.bindir / "postgres"), "-D", str(data), *options), stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.dir / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                self._admin("SELECT 1")
                return self
            except OSError:
                time.sleep(0.1)
            except Exception:  # noqa: BLE001 - "the database system is starting up": retry
                time.sleep(0.1)
        raise RuntimeError("postgres did not accept connections within 30 s")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.USER}@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.USER} dbname=postgres", autocommit=True) as c:
            c.execute(sql)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new empty (or template-copied) database; returns its SQLAlchemy URL."""
        name = name or f"t{os.getpid()}_{next(_names)}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: "smart" shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def missing(reason: str) -> None:
    """Skip, or fail under CI where every prerequisite must be present."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole test session."""
    bindir = find_bindir()
    if bindir is None:
        missing("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed (pip install -e '.[postgres]')")
    assert bindir is not None
    server = PostgresServer(bindir).start()
    yield server
    server.stop()


def url_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty catalog database of the given backend for one test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh catalog database, once on SQLite and once on PostgreSQL; also PAPERSIFT_DATABASE_URL."""
    url = url_for(request.param, request, tmp_path)
    monkeypatch.setenv("PAPERSIFT_DATABASE_URL", url)
    return url

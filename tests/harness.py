"""What tests, drills and benchmarks share: `papersift serve` in a subprocess on a free loopback port
(started, waited for until it answers, stopped), the command line of every drill and benchmark
(`--shared`, `--out`), the first records of a shared collection, and the load average to print
next to every figure. One copy, so a change to how serve starts (or how readiness is judged) is
made once.

Drills and benchmarks import it as `tests.harness`, with the repository root on sys.path.
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PAPERSIFT = [sys.executable, "-m", "papersift"]


def shared_data() -> Path:
    """The shared data sets: $PAPERSIFT_SHARED_DATA, else ../shared/data beside the repository."""
    return Path(os.environ.get("PAPERSIFT_SHARED_DATA") or REPO.parent / "shared" / "data")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    """The 1/5/15-minute load averages, as printed next to every timing."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def parser(doc: str | None) -> argparse.ArgumentParser:
    """A drill's or benchmark's command line: its docstring as help, `--shared` and `--out`."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=shared_data(), help="the shared data sets")
    ap.add_argument("--out", type=Path, help="write the result table (Markdown) here")
    return ap


def first_records(shared: Path, n: int, collection: str = "arxiv-daily-cs") -> list[str]:
    """The first `n` lines (records) of a collection's corpus.jsonl.gz, as they are."""
    with gzip.open(shared / collection / "corpus.jsonl.gz", "rt", encoding="utf-8") as src:
        return [line for _, line in zip(range(n), src, strict=False)]


def write_result(out: Path | None, title: str, command: str, text: str) -> None:
    """Print a result and, with --out, write it with its title and the command that produced it."""
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"# {title}\n\nCommand: `{command}`\n\n{text}\n", "utf-8")


def papersift_or_exit(home: Path, *args: str) -> None:
    """Run `papersift --home HOME ARGS...` to build a drill's or benchmark's home; a failure ends
    the run with the command's stderr (a broken build measures nothing)."""
    proc = subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {proc.stderr[-2000:]}")


def create_accounts(ctx: Any, n: int, prefix: str, label: str) -> list[dict[str, Any]]:
    """`n` accounts (`{prefix}{i}@example.org`), each with an API token and one collection named
    `label`, for load and crash clients: [{"user_id", "email", "password", "token", "collection"}]."""
    accounts = []
    for i in range(n):
        email, password = f"{prefix}{i}@example.org", f"{label.lower()} test password {i}"
        user = ctx.community.accounts.create_user(email, password)
        _, token = ctx.community.accounts.create_token(user, label.lower())
        collection = ctx.community.collections.create(user, label)
        accounts.append(
            {"user_id": user.id, "email": email, "password": password, "token": token, "collection": collection.id}
        )
    return accounts


@dataclass
class Server:
    """A running `papersift serve` subprocess."""

    proc: subprocess.Popen[Any]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_serve(
    home: Path,
    *options: str,
    port: int | None = None,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    ready: str = "/healthz",
    timeout: float = 180,
) -> Server:
    """`python -m papersift --home HOME [options] serve` on 127.0.0.1, returned once `ready` answers
    200. Raises RuntimeError (after stopping it) when it exits or does not answer within `timeout`."""
    port = port or free_port()
    cmd = [*PAPERSIFT, "--home", str(home), *options, "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning"]
    server = Server(subprocess.Popen(cmd, env=dict(env) if env is not None else None, stderr=stderr), port)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(server.base + ready, timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"papersift serve did not start (exit code {server.proc.poll()})")
        time.sleep(0.2)


@contextmanager
def served(home: Path, *options: str, **kwargs: Any) -> Iterator[Server]:
    """`start_serve(...)` for the length of a with-block, stopped at its end."""
    server = start_serve(home, *options, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def lexical_ids(home: Path) -> list[str]:
    """Every id in a home's embedded lexical index, sorted, duplicates kept (so they show)."""
    import tantivy

    index = tantivy.Index.open(str(home / "index" / "lexical"))
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs)).hits
    return sorted(searcher.doc(addr)["id"][0] for _, addr in hits)


def vectors(home: Path) -> dict[str, Any]:
    """Every vector of a home's current embedded vector generation (float32 arrays by paper id)."""
    import numpy as np

    from papersift.index.embedded.vectors import HnswIndex

    index = HnswIndex.open(home / "index" / "vectors", 384, "minilm-int8")
    out = {}
    for pid in [i for i in index._ids if i]:  # noqa: SLF001 - drills inspect the stored generation
        vec = index.get(pid)
        assert vec is not None
        out[pid] = np.asarray(vec, dtype=np.float32)
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (a serve master and its workers), from /proc."""
    out = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            out += process_tree(int(child))
    return out


def memory_mib(pid: int, under: Path | None = None) -> dict[str, float]:
    """RSS, PSS and USS of one process (MiB, /proc/PID/smaps_rollup); with `under`, also the RSS and
    PSS of its mappings of files below that directory (an index mapped by several workers shows a
    PSS that is a fraction of its RSS: the pages are shared). Empty when the process is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    kib = {k: int(v.split()[0]) for k, _, v in (ln.partition(":") for ln in rollup.splitlines()[1:]) if v.strip()}
    out = {
        "rss": kib["Rss"] / 1024,
        "pss": kib["Pss"] / 1024,
        "uss": (kib["Private_Clean"] + kib["Private_Dirty"]) / 1024,
    }
    if under is not None:
        prefix, mapped, rss, pss = str(under), False, 0, 0
        try:
            smaps = Path(f"/proc/{pid}/smaps").read_text().splitlines()
        except OSError:
            return out
        for line in smaps:
            head = line.split()
            if head and not head[0].endswith(":"):  # a mapping's header line: address perms offset dev inode path
                mapped = len(head) >= 6 and head[5].startswith(prefix)
            elif mapped and head[0] == "Rss:":
                rss += int(head[1])
            elif mapped and head[0] == "Pss:":
                pss += int(head[1])
        out["index_rss"], out["index_pss"] = rss / 1024, pss / 1024
    return out

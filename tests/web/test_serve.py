"""`papersift serve` as a real process on loopback: --workers 2 and --config.

With two uvicorn workers, which worker holds a connection is read from /proc (the server-side
socket's inode in /proc/net/tcp, found among a worker's file descriptors), so the tests can put
one client on each worker and check that sessions, CSRF tokens, votes and sign-in throttles
are the same on both (all of them live in the shared database or the home's secret key) and that
request metrics are summed over both.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlencode

import feedparser
import httpx

from papersift.cli.web_cmds import SERVING_ENCODER_THREADS
from papersift.community.accounts import MAX_FAILURES_PER_ACCOUNT
from papersift.encoder.embed import load_encoder
from papersift.index.indexer import run_indexer
from tests import harness
from tests.community.factories import make_context
from tests.harness import Server, memory_mib

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def served(home: Path, *options: str, workers: int = 1) -> AbstractContextManager[Server]:
    """The shared harness's server, with no PAPERSIFT_* variable of the test run leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    return harness.served(home, *options, workers=workers, env=env, stderr=None)


def _descendants(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *_descendants(int(child))]
    return out


def _socket_owner(server_port: int, client_port: int, pids: list[int]) -> int:
    """The process holding the server side of the loopback connection from `client_port`."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    inode = next(
        fields[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (fields := line.split())[1] == local and fields[2] == remote
    )
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


class Browser:
    """One keep-alive connection (so one worker) with its own cookie jar."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def csrf(self, path: str) -> str:
        status, text = self.request("GET", path)
        match = _CSRF.search(text)
        assert status == 200 and match, path
        return match.group(1)


def _one_browser_per_worker(port: int, server_pid: int, workers: int = 2) -> dict[int, Browser]:
    """New connections until `workers` different worker processes hold one each (a worker still
    importing the app on a loaded machine accepts nothing yet, so keep trying for a while)."""
    placed: dict[int, Browser] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        browser = Browser(port)
        browser.request("GET", "/account/signin")
        assert browser.conn.sock is not None
        owner = _socket_owner(port, browser.conn.sock.getsockname()[1], _descendants(server_pid))
        if owner in placed:
            browser.conn.close()
        else:
            placed[owner] = browser
        if len(placed) == workers:
            return placed
        time.sleep(0.1)
    raise AssertionError(f"for 120 s every connection went to {list(placed)}")


def test_two_workers_share_sessions_csrf_votes_and_throttles(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_context(home).close()
    with served(home, workers=2) as server:
        port = server.port
        placed = _one_browser_per_worker(port, server.proc.pid)
        a, b = placed.values()
        for worker in placed:  # each worker's query encoder runs on one thread (D79)
            environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
            assert f"PAPERSIFT_ENCODER_THREADS={SERVING_ENCODER_THREADS}".encode() in environ

        # sign up on worker A; B uses A's session cookie and the CSRF token A's page issued
        token = a.csrf("/account/signup")
        signup = {"email": "ada@example.org", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token}
        assert a.request("POST", "/account/signup", signup)[0] == 303
        assert a.request("POST", "/account/signin", signup)[0] == 303
        b.cookies = dict(a.cookies)
        status, account = b.request("GET", "/account")
        assert status == 200 and "ada@example.org" in account
        assert b.request("POST", "/papers/2405.00001/vote", {"csrf_token": token})[0] == 303
        _, page = a.request("GET", "/papers/2405.00001")
        assert 'aria-pressed="true"' in page and '<span class="count">1</span>' in page

        # sign-in failures alternate between the workers; the limit counts all of them
        fresh = [Browser(port), Browser(port)]
        fresh[0].conn, fresh[1].conn = a.conn, b.conn  # same workers, no session cookie
        wrong = {"email": "ada@example.org", "password": "wrong password"}
        for i in range(MAX_FAILURES_PER_ACCOUNT):
            who = fresh[i % 2]
            status, _ = who.request("POST", "/account/signin", {**wrong, "csrf_token": who.csrf("/account/signin")})
            assert status == 400, status
        for who in fresh:
            right = {"email": "ada@example.org", "password": PASSWORD, "csrf_token": who.csrf("/account/signin")}
            assert who.request("POST", "/account/signin", right)[0] == 429  # throttled on both workers

        # request metrics are summed over the workers: either worker's /metrics counts both
        before = _healthz_count(a)
        for who, times in ((a, 3), (b, 2)):
            for _ in range(times):
                assert who.request("GET", "/healthz")[0] == 200
        assert _healthz_count(b) == _healthz_count(a) == before + 5


def _healthz_count(browser: Browser) -> float:
    status, text = browser.request("GET", "/metrics")
    assert status == 200
    line = 'papersift_http_requests_total{method="GET",route="/healthz",status="200"} '
    return sum(float(row[len(line) :]) for row in text.splitlines() if row.startswith(line))


def test_config_file_serve_uses_its_base_url_and_env_overrides_it(tmp_path: Path) -> None:
    """`--config FILE serve` serves FILE's settings (a feed link carries its base_url);
    PAPERSIFT_* variables beat the file (checked on the CLI, where the database URL shows)."""
    home = tmp_path / "home"
    make_context(home).close()
    config = tmp_path / "elsewhere.toml"
    config.write_text('base_url = "https://sift.example.org/lab"\n')
    with served(home, "--config", str(config)) as server:
        feed = feedparser.parse(httpx.get(server.base + "/feeds/category/cs.CL.atom").content)
    links = [feed.feed.link, *(e.link for e in feed.entries)]
    assert len(feed.entries) == 4 and all(link.startswith("https://sift.example.org/lab/") for link in links), links

    other_db = tmp_path / "from-file.db"
    env_db = tmp_path / "from-env.db"
    config.write_text(f'database_url = "sqlite:///{other_db}"\ningest_batch_size = 7\n')
    csv = tmp_path / "one.csv"
    csv.write_text("title,abstract\nA paper,Text.\n")
    run = [sys.executable, "-m", "papersift", "--home", str(home), "--config", str(config)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    subprocess.run([*run, "ingest", "csv", str(csv)], env=clean, check=True, capture_output=True)
    assert other_db.exists() and not env_db.exists()
    overridden = {**clean, "PAPERSIFT_DATABASE_URL": f"sqlite:///{env_db}"}
    subprocess.run([*run, "ingest", "csv", str(csv)], env=overridden, check=True, capture_output=True)
    assert env_db.exists()
    bad = subprocess.run(
        [*run, "stats"], env={**clean, "PAPERSIFT_INGEST_BATCH_SIZE": "lots"}, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "PAPERSIFT_INGEST_BATCH_SIZE" in bad.stderr.upper()


def test_two_workers_map_one_copy_of_the_index_files(tmp_path: Path) -> None:
    """Each worker memory-maps the index files (vector generation and lexical segments) instead of
    reading them into its own memory, so the page cache holds one copy that all workers share: the
    proportional share (PSS) of those mappings is below their resident size (RSS) in every worker."""
    home = tmp_path / "home"
    ctx = make_context(home)
    run_indexer(ctx.catalog, ctx.indexes, load_encoder("minilm-int8", threads=1))
    ctx.close()
    generation = json.loads((home / "index" / "vectors" / "manifest.json").read_text())["generation"]
    with served(home, workers=2) as server:
        placed = _one_browser_per_worker(server.port, server.proc.pid)
        for browser in placed.values():
            assert browser.request("GET", "/search?q=language+models")[0] == 200  # hybrid: both indexes open
        for pid in placed:
            maps = Path(f"/proc/{pid}/maps").read_text()
            for name in (f"gen-{generation}.rows.npy", f"gen-{generation}.usearch", ".store"):
                assert name in maps, f"worker {pid} does not map {name}"
            memory = memory_mib(pid, home / "index")
            assert 0 < memory["index_pss"] < memory["index_rss"], memory


def test_workers_listening_socket_hands_tcp_nodelay_to_every_connection() -> None:
    """Without TCP_NODELAY, Nagle and the client's delayed ACK held each keep-alive response of a
    multi-worker server back by ~40 ms; the listening socket's option reaches accepted connections."""
    import socket

    import uvicorn

    from papersift.cli.web_cmds import listening_socket

    config = uvicorn.Config("papersift.web.app:app_from_env", host="127.0.0.1", port=harness.free_port(), workers=2)
    server = listening_socket(config)
    try:
        server.listen()
        with socket.create_connection(server.getsockname()):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        server.close()

"""Links follow where the site is served (issue 12 §4): without a base_url setting, `serve`
derives it from --host/--port and says so; a configured base_url wins."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.test_cli_catalog import PAPERSIFT, cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_and_fetch_feed(home: Path, env: dict[str, str]) -> tuple[str, str, int]:
    """Start `serve` on a free port, fetch a search feed; returns (feed, serve's stderr, port)."""
    port = _free_port()
    proc = subprocess.Popen(
        [*PAPERSIFT, "--home", str(home), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                feed = httpx.get(base + "/feeds/search.atom", params={"q": "graph"}, timeout=2)
                if feed.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.3)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    return feed.text, " ".join(stderr.split()), port


def test_links_follow_the_port_unless_base_url_is_set(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "init")
    env = {k: v for k, v in os.environ.items() if k != "PAPERSIFT_BASE_URL"}
    feed, stderr, port = _serve_and_fetch_feed(home, env)
    assert f"http://127.0.0.1:{port}/" in feed and "127.0.0.1:8000" not in feed
    assert f"links use http://127.0.0.1:{port}" in stderr
    feed, stderr, _ = _serve_and_fetch_feed(home, {**env, "PAPERSIFT_BASE_URL": "https://papers.example.org"})
    assert "https://papers.example.org/" in feed and "links use" not in stderr

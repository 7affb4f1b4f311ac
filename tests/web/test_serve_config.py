"""`papersift --config FILE serve`: the served app uses FILE's settings (issue 10, item 8).

Before the fix the CLI passed only PAPERSIFT_HOME to the uvicorn workers, which reloaded the
settings without the file, so `base_url` (and every other setting in it) was lost when serving.
This runs the real command in a subprocess on a free loopback port and reads a feed's links.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BASE_URL = "https://papers.example.org/lab"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_uses_the_config_file_given_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()  # serving a home that does not exist is an error (issue 12)
    config = tmp_path / "elsewhere.toml"  # not <home>/papersift.toml: only --config names it
    config.write_text(f'base_url = "{BASE_URL}"\n', "utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    cmd = [sys.executable, "-m", "papersift", "--home", str(home), "--config", str(config), "serve"]
    server = subprocess.Popen(
        [*cmd, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        feed = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                feed = httpx.get(f"http://127.0.0.1:{port}/feeds/trending.atom", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert feed is not None, f"server did not answer: {server.stderr.read().decode() if server.stderr else ''}"
        assert feed.status_code == 200
        assert f'href="{BASE_URL}/feeds/trending.atom"' in feed.text
        assert "127.0.0.1:8000" not in feed.text
    finally:
        server.terminate()
        server.wait(timeout=30)

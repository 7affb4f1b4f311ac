#!/usr/bin/env python3
"""The first search after a restart: start `papersift serve`, wait until it is up and idle, time
the first search page, then a few more.

    PYTHONPATH=src .venv/bin/python benchmarks/first_search.py [--home DIR] [--workers 1] [--runs 3]

Without --home a demo home is made in a temporary directory (`papersift demo load`). Each run
starts a fresh server process (so nothing is cached in it; the OS page cache is warm after the
first run, as after an ordinary restart), waits for /healthz and for its processes to go quiet,
then times `GET /search?q=...` (the HTML page, hybrid) as a visitor's browser would, and a
second, different search for comparison. Loopback only; every server is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_http import first_request_ms, free_port, start, wait_ready  # noqa: E402

QUERIES = ("vision language model", "diffusion models for video generation")


def page(query: str) -> str:
    return "/search?" + urlencode({"q": query})


def run(home: Path, workers: int) -> dict[str, float]:
    port = free_port()
    t0 = time.perf_counter()
    server = start(home, workers, port)
    try:
        ready = wait_ready(port, server.pid)
        first = first_request_ms(port, page(QUERIES[0]))
        second = first_request_ms(port, page(QUERIES[1]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "start_to_ready_s": ready,
        "first_search_ms": first,
        "second_search_ms": second,
        "since_start_s": time.perf_counter() - t0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="papersift-first-") as tmp:
        home = args.home or Path(tmp) / "home"
        if args.home is None:
            subprocess.run([sys.executable, "-m", "papersift", "--home", str(home), "demo", "load"], check=True)
        runs = [run(home, args.workers) for _ in range(args.runs)]
    print(json.dumps({"runs": runs, "load": os.getloadavg()[0]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

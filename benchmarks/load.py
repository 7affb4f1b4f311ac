#!/usr/bin/env python3
"""Load test: Locust users against `papersift serve` on loopback, per-route latency and server RSS.

    PYTHONPATH=src .venv/bin/python benchmarks/load.py [--shared ../shared/data] [--papers 1000]
        [--users 50] [--run-time 120] [--workers 1] [--out benchmarks/results/load.md]

Builds a home from the first `--papers` records of arxiv-daily-cs (ingest + full index), creates
one account (password, API token, collection) per simulated user, starts `papersift serve` on
127.0.0.1, waits for /healthz, then runs Locust headless (benchmarks/load/locustfile.py) for
`--run-time` seconds. Reported: per route requests, failures, req/s, p50/p95/p99 (Locust's
client-side times, ms), and the server's RSS (all its processes) at the start and end of the run.
Never binds anything but 127.0.0.1; bounded by --run-time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

HERE = Path(__file__).resolve().parent
PAPERSIFT = [sys.executable, "-m", "papersift"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_home(home: Path, corpus: Path, users: int) -> dict[str, object]:
    for args in (["ingest", "beir", str(corpus)], ["index"]):
        proc = subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{args[0]} failed: {proc.stderr[-2000:]}")
    from papersift.config import load_settings
    from papersift.context import AppContext

    ctx = AppContext(load_settings(home))
    accounts = []
    for i in range(users):
        email, password = f"user{i}@example.org", f"load test password {i}"
        user = ctx.community.accounts.create_user(email, password)
        _, token = ctx.community.accounts.create_token(user, "load")
        collection = ctx.community.collections.create(user, "Load")
        accounts.append({"email": email, "password": password, "token": token, "collection": collection.id})
    papers = list(ctx.catalog.iter_all())
    words = Counter(w for p in papers for w in re.findall(r"[a-z]{6,}", p.title.lower()))
    ctx.close()
    return {"users": accounts, "ids": [p.id for p in papers], "words": [w for w, _ in words.most_common(200)]}


def rss_mib(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / (1 << 20)
    except psutil.NoSuchProcess:
        return 0.0


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--papers", type=int, default=1000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn-rate", type=float, default=5.0)
    ap.add_argument("--run-time", type=int, default=120)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="papersift-load-"))
    corpus, home = work / "corpus.jsonl", work / "home"
    with gzip.open(args.shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as src:
        corpus.write_text("".join(line for _, line in zip(range(args.papers), src, strict=False)), "utf-8")
    fixture = work / "fixture.json"
    fixture.write_text(json.dumps(build_home(home, corpus, args.users)), "utf-8")
    port = free_port()
    server = subprocess.Popen(
        [*PAPERSIFT, "--home", str(home), "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(args.workers), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    samples: list[float] = []
    stop = threading.Event()
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        httpx.get(f"{base}/api/search?q=learning&mode=hybrid", timeout=60)  # load the encoder once
        rss_start = rss_mib(server.pid)

        def sample() -> None:
            while not stop.wait(2.0):
                samples.append(rss_mib(server.pid))

        threading.Thread(target=sample, daemon=True).start()
        before = load()
        prefix = work / "locust"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "load" / "locustfile.py"), "--headless"]
            + ["-u", str(args.users), "-r", str(args.spawn_rate), "--run-time", f"{args.run_time}s"]
            + ["--host", base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10"],
            env={**os.environ, "PAPERSIFT_LOAD_FIXTURE": str(fixture)},
            capture_output=True,
            check=False,
        )
        stop.set()
        rss_end = rss_mib(server.pid)
        after = load()
        with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    lines = ["| route | requests | failures | req/s | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['Name']} | {int(r['Request Count']):,} | {int(r['Failure Count']):,} | "
            f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} |"
        )
    note = (
        f"{args.users} users (spawn {args.spawn_rate}/s), {args.run_time} s, "
        f"`serve --workers {args.workers}` on 127.0.0.1, "
        f"{args.papers:,} arxiv-daily-cs papers (dense + lexical indexed). Server RSS (all processes): start "
        f"{rss_start:.0f} MiB, end {rss_end:.0f} MiB, max {max(samples, default=rss_end):.0f} MiB. "
        f"Load average before: {before}; after: {after} (Locust and the server share the 2 busy cores)."
    )
    text = "\n".join(lines) + "\n\n" + note
    print(text)
    if args.out:
        command = (
            f"PYTHONPATH=src .venv/bin/python benchmarks/load.py --papers {args.papers} --users {args.users} "
            f"--run-time {args.run_time} --workers {args.workers}"
        )
        args.out.write_text(f"# Load test (Locust)\n\nCommand: `{command}`\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

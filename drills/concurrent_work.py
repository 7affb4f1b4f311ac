#!/usr/bin/env python3
"""Concurrent-work drill: `serve` under a steady search load while `ingest` adds papers and `index`
embeds them, all on one home.

    PYTHONPATH=src .venv/bin/python drills/concurrent_work.py [--shared ../shared/data] [--base 2000]
        [--added 1000] [--clients 4] [--out drills/results/concurrent.md]

The home starts with the first `--base` arxiv-daily-cs records, fully indexed. `serve` runs on
127.0.0.1 while `--clients` threads send searches (lexical, hybrid) and daily-feed requests back
to back. Phase "before": 30 s of load alone. Phase "during": the next `--added` records are
ingested while `papersift index` runs in a loop beside it, until the ingest is done and one last
index run completes. Reported: requests, failures and p50/p99 per phase; whether a new paper is
found by its title (lexical) and by meaning (dense) afterwards; and any "database is locked" in
the output of every process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

PAPERSIFT = [sys.executable, "-m", "papersift"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--base", type=int, default=2000)
    ap.add_argument("--added", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="papersift-concurrent-"))
    home = work / "home"
    with gzip.open(args.shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as src:
        lines = [line for _, line in zip(range(args.base + args.added), src, strict=False)]
    (work / "base.jsonl").write_text("".join(lines[: args.base]), "utf-8")
    (work / "added.jsonl").write_text("".join(lines[args.base :]), "utf-8")
    newest = json.loads(lines[-1])
    logs: list[str] = []

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*PAPERSIFT, "--home", str(home), *a], capture_output=True, text=True)
        logs.append(proc.stderr)
        return proc

    assert run("ingest", "beir", str(work / "base.jsonl")).returncode == 0
    assert run("index").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [
            *PAPERSIFT,
            "--home",
            str(home),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    phase = ["warmup"]
    results: list[tuple[str, float, int]] = []
    stop = threading.Event()
    urls = [
        "/api/search?q=graph+neural+networks&mode=lexical",
        "/api/search?q=robot+grasping&mode=hybrid",
        "/api/daily",
    ]

    def client(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            n = i
            while not stop.is_set():
                url = urls[n % len(urls)]
                n += 1
                t0 = time.perf_counter()
                try:
                    status = c.get(url).status_code
                except httpx.HTTPError:
                    status = 0
                results.append((phase[0], time.perf_counter() - t0, status))

    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        httpx.get(f"{base}{urls[1]}", timeout=120)  # encoder loaded before measuring
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        phase[0] = "before"
        time.sleep(30)
        phase[0] = "during"
        t_during = time.perf_counter()
        ingest = subprocess.Popen(
            [*PAPERSIFT, "--home", str(home), "ingest", "beir", str(work / "added.jsonl")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        index_runs = 0
        while True:
            done = ingest.poll() is not None
            proc = run("index")
            index_runs += 1
            if proc.returncode != 0:
                print(f"index run failed: {proc.stderr[-500:]}", file=sys.stderr)
            if done:
                break
        logs.append(ingest.stderr.read() if ingest.stderr else "")
        during_s = time.perf_counter() - t_during
        phase[0] = "after"
        lexical = httpx.get(
            f"{base}/api/search", params={"q": f'"{newest["title"]}"', "mode": "lexical"}, timeout=60
        ).json()
        time.sleep(2)  # the server picks up a new vector generation within a second
        dense = httpx.get(f"{base}/api/search", params={"q": newest["title"], "mode": "dense"}, timeout=60).json()
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
        logs.append(server.stderr.read() if server.stderr else "")
        shutil.rmtree(work, ignore_errors=True)
    rows = ["| phase | requests | failed | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    for name in ("before", "during"):
        lat = [d * 1000 for p, d, _ in results if p == name]
        failed = sum(1 for p, _, s in results if p == name and s != 200)
        rows.append(f"| {name} | {len(lat):,} | {failed} | {statistics.median(lat):.0f} | {pct(lat, 0.99):.0f} |")
    first = [h["paper"]["id"] for h in lexical.get("results", [])[:1]]
    top10 = [h["paper"]["id"] for h in dense.get("results", [])[:10]]
    locked = sum(text.count("database is locked") for text in logs)
    note = (
        f"Home: {args.base:,} arxiv-daily-cs papers indexed; during: +{args.added:,} ingested while `index` ran "
        f"{index_runs} times ({during_s:.0f} s). {args.clients} client threads on 127.0.0.1, back to back. "
        f"Newest paper {newest['_id']}: lexical top hit by its title: {first == [newest['_id']]}; "
        f"dense top-10 by its title: {newest['_id'] in top10}. "
        f'"database is locked" in any process output: {locked}. '
        f"Load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    text = "\n".join(rows) + "\n\n" + note
    print(text)
    if args.out:
        command = (
            f"PYTHONPATH=src .venv/bin/python drills/concurrent_work.py --base {args.base} --added {args.added} "
            f"--clients {args.clients}"
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Concurrent serve + ingest + index drill\n\nCommand: `{command}`\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

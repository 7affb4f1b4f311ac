#!/usr/bin/env python3
"""Concurrent-work drill: `serve` under a steady search load while `ingest` adds papers and `index`
embeds them, all on one home.

    PYTHONPATH=src .venv/bin/python drills/concurrent_work.py [--shared ../shared/data] [--base 2000]
        [--added 1000] [--clients 4] [--home DIR --added-from arxiv-quant-ph] [--lexical-only]
        [--out drills/results/concurrent.md]

The home starts with the first `--base` arxiv-daily-cs records, fully indexed; or, with `--home`,
as a copy of an existing indexed home (e.g. all 60k arxiv-daily-cs papers), the added records
then coming from `--added-from` (another collection, so they are new). `--lexical-only` runs
`index --lexical-only` (for a home whose papers were never embedded; dense is then not checked).
`serve` runs on
127.0.0.1 while `--clients` threads send searches (lexical, hybrid) and daily-feed requests back
to back. Phase "before": 30 s of load alone. Phase "during": the next `--added` records are
ingested while `papersift index` runs in a loop beside it, until the ingest is done and one last
index run completes. Reported: requests, failures and p50/p99 per phase; whether a new paper is
found by its title (lexical) and by meaning (dense) afterwards; and any "database is locked" in
the output of every process.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import PAPERSIFT, first_records, load, parser, start_serve, write_result  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--base", type=int, default=2000)
    ap.add_argument("--added", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--home", type=Path, help="start from a copy of this indexed home instead of --base records")
    ap.add_argument("--added-from", default="arxiv-daily-cs", help="collection of the added records (with --home)")
    ap.add_argument("--lexical-only", action="store_true", help="index without embeddings; dense is not checked")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="papersift-concurrent-"))
    home = work / "home"
    if args.home:
        shutil.copytree(args.home, home)
        lines = first_records(args.shared, args.added, args.added_from)
        base_text = f"copy of {args.home.name}"
    else:
        lines = first_records(args.shared, args.base + args.added)
        (work / "base.jsonl").write_text("".join(lines[: args.base]), "utf-8")
        lines = lines[args.base :]
        base_text = f"{args.base:,} arxiv-daily-cs papers"
    (work / "added.jsonl").write_text("".join(lines), "utf-8")
    newest = json.loads(lines[-1])
    index_cmd = ["index", "--lexical-only"] if args.lexical_only else ["index"]
    logs: list[str] = []

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*PAPERSIFT, "--home", str(home), *a], capture_output=True, text=True)
        logs.append(proc.stderr)
        return proc

    if not args.home:
        assert run("ingest", "beir", str(work / "base.jsonl")).returncode == 0
        assert run("index").returncode == 0
    papers_before = json.loads(run("stats", "--json").stdout)["papers"]
    server_log = (work / "serve.log").open("w+", encoding="utf-8")
    server = start_serve(home, stderr=server_log)
    base = server.base
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
            proc = run(*index_cmd)
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
        dense = (
            {}
            if args.lexical_only
            else httpx.get(f"{base}/api/search", params={"q": newest["title"], "mode": "dense"}, timeout=60).json()
        )
        papers_after = json.loads(run("stats", "--json").stdout)["papers"]
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        server.stop()
        server_log.seek(0)
        logs.append(server_log.read())
        server_log.close()
        shutil.rmtree(work, ignore_errors=True)
    rows = ["| phase | requests | failed | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    for name in ("before", "during"):
        lat = [d * 1000 for p, d, _ in results if p == name]
        failed = sum(1 for p, _, s in results if p == name and s != 200)
        rows.append(f"| {name} | {len(lat):,} | {failed} | {statistics.median(lat):.0f} | {pct(lat, 0.99):.0f} |")
    first = [h["paper"]["id"] for h in lexical.get("results", [])[:1]]
    top10 = [h["paper"]["id"] for h in dense.get("results", [])[:10]]
    locked = sum(text.count("database is locked") for text in logs)
    dense_text = "not checked (--lexical-only)" if args.lexical_only else str(newest["_id"] in top10)
    note = (
        f"Home: {base_text} ({papers_before:,} papers, {' '.join(index_cmd)}); during: +{args.added:,} records of "
        f"{args.added_from if args.home else 'arxiv-daily-cs'} ingested ({papers_after:,} papers after) while "
        f"`{' '.join(index_cmd)}` ran {index_runs} times ({during_s:.0f} s). {args.clients} client threads on "
        f"127.0.0.1, back to back. Newest paper {newest['_id']}: lexical top hit by its title: "
        f"{first == [newest['_id']]}; dense top-10 by its title: {dense_text}. "
        f'"database is locked" in any process output: {locked}. Load average at the end: {load()}.'
    )
    if args.home:
        source = f"--home {args.home} --added-from {args.added_from}"
    else:
        source = f"--base {args.base}"
    command = (
        f"PYTHONPATH=src .venv/bin/python drills/concurrent_work.py {source} --added {args.added} "
        f"--clients {args.clients}" + (" --lexical-only" if args.lexical_only else "")
    )
    write_result(args.out, "Concurrent serve + ingest + index drill", command, "\n".join(rows) + "\n\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())

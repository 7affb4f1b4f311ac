#!/usr/bin/env python3
"""Load test: Locust users against `papersift serve` on loopback; per-route latency, server memory
per process, and (with --ramp) the breaking point.

    PYTHONPATH=src .venv/bin/python benchmarks/load.py [--papers 1000 | --home DIR] [--work DIR]
        [--users 50] [--run-time 120] [--workers 1] [--ramp 25,50,100 --step-time 60]
        [--prepare-only] [--out benchmarks/results/load.md]

Home: built from the first `--papers` records of arxiv-daily-cs (ingest + full index), or a copy of
an existing indexed home (`--home`, e.g. all 60k papers). One account per simulated user is created
(password, API token, collection). With `--work DIR` the prepared home and accounts are kept there
and reused by the next run (`--prepare-only` stops after preparing, so a timed run can start at
once later). `serve --workers N` then runs on 127.0.0.1 and Locust runs headless
(benchmarks/load/locustfile.py). Reported per route: requests, failures, req/s, p50/p95/p99
(Locust's client-side times, ms); per server process: RSS, PSS and USS at the start and end
(/proc/PID/smaps_rollup) and the RSS/PSS of its mappings of the index files (shared between
workers when PSS < RSS); the server's total RSS over the run (a leak shows as growth).
`--ramp U1,U2,...` instead runs one `--step-time` step per user count, stopping after the first
step whose p99 passes 1 s, and reports per step the throughput, p50/p99, the server processes'
CPU use (100% = one core) and the machine's idle CPU, to tell which gives way first.
Never binds anything but 127.0.0.1; bounded by --run-time / --step-time.
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import (  # noqa: E402
    PAPERSIFT,
    Server,
    create_accounts,
    first_records,
    load,
    memory_mib,
    papersift_or_exit,
    parser,
    process_tree,
    start_serve,
    write_result,
)

HERE = Path(__file__).resolve().parent


def prepare(work: Path, source: Path | None, papers: int, shared: Path, users: int) -> tuple[Path, Path]:
    """(home, fixture): reused from `work` when it already holds enough accounts."""
    home, fixture = work / "home", work / "fixture.json"
    if fixture.exists() and len(json.loads(fixture.read_text("utf-8"))["users"]) >= users:
        return home, fixture
    shutil.rmtree(home, ignore_errors=True)
    if source is not None:
        shutil.copytree(source, home)
    else:
        corpus = work / "corpus.jsonl"
        corpus.write_text("".join(first_records(shared, papers)), "utf-8")
        for args in (["ingest", "beir", str(corpus)], ["index"]):
            papersift_or_exit(home, *args)
    from papersift.config import load_settings
    from papersift.context import AppContext

    ctx = AppContext(load_settings(home))
    accounts = create_accounts(ctx, users, "user", "Load")
    ids, words = [], Counter[str]()
    for paper in ctx.catalog.iter_all():
        ids.append(paper.id)
        words.update(re.findall(r"[a-z]{6,}", paper.title.lower()))
    ctx.close()
    fixture.write_text(json.dumps({"users": accounts, "ids": ids, "words": [w for w, _ in words.most_common(200)]}))
    return home, fixture


def home_contents(home: Path) -> str:
    stats = json.loads(subprocess.run([*PAPERSIFT, "--home", str(home), "stats", "--json"], capture_output=True).stdout)
    manifest = home / "index" / "vectors" / "manifest.json"
    vectors = json.loads(manifest.read_text())["count"] if manifest.exists() else 0
    return f"{stats['papers']:,} arxiv-daily-cs papers, all lexically indexed, {vectors:,} with vectors"


def locust(base: str, fixture: Path, users: int, spawn_rate: float, seconds: int, prefix: Path) -> list[dict[str, str]]:
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(HERE / "load" / "locustfile.py"), "--headless"]
        + ["-u", str(users), "-r", str(spawn_rate), "--run-time", f"{seconds}s"]
        + ["--host", base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10"],
        env={**os.environ, "PAPERSIFT_LOAD_FIXTURE": str(fixture)},
        capture_output=True,
        check=False,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def warm_up(base: str, workers: int) -> None:
    """Load the encoder and open the indexes in every worker before measuring: concurrent dense
    searches (a busy worker leaves the next connection to another), then a pause."""
    with httpx.Client(base_url=base, timeout=300) as client:
        client.get("/api/search?q=learning&mode=hybrid")
        if workers > 1:
            threads = [
                threading.Thread(target=client.get, args=(f"/api/search?q=warm+{i}&mode=hybrid",))
                for i in range(4 * workers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(5)


def rss_series(samples: list[tuple[float, float]], seconds: float) -> str:
    """The total RSS at each tenth of the run (the sample nearest each mark): growth vs a plateau."""
    if not samples:
        return "-"
    marks = [seconds * k / 10 for k in range(1, 11)]
    return ", ".join(f"{min(samples, key=lambda s: abs(s[0] - m))[1]:.0f}" for m in marks) + " MiB"


def rss_total(pid: int) -> float:
    return sum(memory_mib(p).get("rss", 0.0) for p in process_tree(pid))


Memory = dict[int, dict[str, float]]


def memory_table(start: Memory, end: Memory, roles: dict[int, str]) -> list[str]:
    lines = [
        "| process | RSS MiB start / end | PSS MiB start / end | USS MiB start / end "
        "| index files RSS / PSS MiB (end) |",
        "|---|---|---|---|---|",
    ]
    for pid in sorted(set(start) | set(end)):
        a, b = start.get(pid, {}), end.get(pid, {})
        role = roles.get(pid, "worker (started later)")
        lines.append(
            f"| {role} {pid} | {a.get('rss', 0):.0f} / {b.get('rss', 0):.0f} | {a.get('pss', 0):.0f} / "
            f"{b.get('pss', 0):.0f} | {a.get('uss', 0):.0f} / {b.get('uss', 0):.0f} | "
            f"{b.get('index_rss', 0):.0f} / {b.get('index_pss', 0):.0f} |"
        )
    return lines


def _role(pid: int, master: int) -> str:
    try:
        cmdline = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        cmdline = ""
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if pid != master:
        return "worker"
    return "master" if len(process_tree(master)) > 1 else "server (one process)"


def route_table(rows: list[dict[str, str]]) -> list[str]:
    lines = ["| route | requests | failures | req/s | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['Name']} | {int(r['Request Count']):,} | {int(r['Failure Count']):,} | "
            f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} |"
        )
    return lines


def ramp(server: Server, fixture: Path, steps: list[int], seconds: int, work: Path) -> list[str]:
    """One Locust run per user count until p99 > 1 s. Per step: CPU of each server process and of
    Locust itself (100 = one core), the machine's idle CPU, and the three slowest routes by p99,
    to tell what gives way first (a busy worker while cores idle = too few workers; no idle CPU =
    the machine; write routes alone slow = the catalog's writer lock)."""
    lines = [
        "| users | req/s | failures | p50 ms | p95 ms | p99 ms | server CPU % per process | Locust CPU % "
        "| machine idle CPU % | slowest routes by p99 (ms) | load average after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    try:
        _steps(server, fixture, steps, seconds, work, lines)
    except KeyboardInterrupt:  # a time limit (timeout -s INT) ends the ramp; what was measured stays
        lines.append(f"| (stopped by SIGINT before the next step) |{' |' * 10}")
    return lines


def _steps(server: Server, fixture: Path, steps: list[int], seconds: int, work: Path, lines: list[str]) -> None:
    for users in steps:
        procs = [psutil.Process(p) for p in process_tree(server.proc.pid)]
        for p in procs:
            p.cpu_percent(None)
        psutil.cpu_times_percent(None)
        child_before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        rows = locust(server.base, fixture, users, max(5.0, users / 10), seconds, work / f"ramp-{users}")
        child_after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - t0
        locust_cpu = 100 * (child_after.ru_utime + child_after.ru_stime - child_before.ru_utime - child_before.ru_stime)
        cpu = [p.cpu_percent(None) for p in procs]
        idle = psutil.cpu_times_percent(None).idle
        agg = next(r for r in rows if r["Name"] == "Aggregated")
        slowest = sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: -float(r["99%"]))[:3]
        slow = "; ".join(f"{r['Name']} {r['99%']}" for r in slowest)
        lines.append(
            f"| {users} | {float(agg['Requests/s']):.1f} | {int(agg['Failure Count']):,} | {agg['50%']} | "
            f"{agg['95%']} | {agg['99%']} | {' + '.join(f'{c:.0f}' for c in cpu)} | {locust_cpu / wall:.0f} | "
            f"{idle:.0f} | {slow} | {load()} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
        if float(agg["99%"]) > 1000:
            break


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--papers", type=int, default=1000)
    ap.add_argument("--home", type=Path, help="copy this indexed home instead of building one from --papers")
    ap.add_argument("--work", type=Path, help="keep the prepared home and accounts here (reused when present)")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn-rate", type=float, default=5.0)
    ap.add_argument("--run-time", type=int, default=120)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--ramp", help="comma-separated user counts: find the breaking point instead")
    ap.add_argument("--step-time", type=int, default=60)
    ap.add_argument("--prepare-only", action="store_true")
    args = ap.parse_args()
    steps = [int(u) for u in args.ramp.split(",")] if args.ramp else []
    work = args.work or Path(tempfile.mkdtemp(prefix="papersift-load-"))
    work.mkdir(parents=True, exist_ok=True)
    home, fixture = prepare(work, args.home, args.papers, args.shared, max([args.users, *steps]))
    if args.prepare_only:
        print(f"prepared {home} and {fixture}")
        return 0
    contents = home_contents(home)
    server = start_serve(home, workers=args.workers)
    samples: list[tuple[float, float]] = []  # (seconds into the run, MiB)
    stop = threading.Event()
    try:
        warm_up(server.base, args.workers)
        index_dir = home / "index"
        tree = process_tree(server.proc.pid)
        roles = {p: _role(p, server.proc.pid) for p in tree}
        mem_start = {p: memory_mib(p, index_dir) for p in tree}
        rss_start = rss_total(server.proc.pid)
        began = time.monotonic()

        def sample() -> None:
            while not stop.wait(2.0):
                samples.append((time.monotonic() - began, rss_total(server.proc.pid)))

        threading.Thread(target=sample, daemon=True).start()
        before = load()
        if steps:
            table = ramp(server, fixture, steps, args.step_time, work)
        else:
            table = route_table(locust(server.base, fixture, args.users, args.spawn_rate, args.run_time, work / "run"))
        stop.set()
        mem_end = {p: memory_mib(p, index_dir) for p in process_tree(server.proc.pid)}
        rss_end = rss_total(server.proc.pid)
        after = load()
    finally:
        server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    what = f"ramp {args.ramp}, {args.step_time} s per step" if steps else f"{args.users} users, {args.run_time} s"
    note = (
        f"{what} (spawn {args.spawn_rate}/s), `serve --workers {args.workers}` on 127.0.0.1; home: {contents}. "
        f"Server RSS (all processes), after a warm-up that loads the encoder in every worker: start "
        f"{rss_start:.0f} MiB, end {rss_end:.0f} MiB, max {max((m for _, m in samples), default=rss_end):.0f} MiB; "
        f"by tenth of the run: {rss_series(samples, args.run_time if not steps else len(steps) * args.step_time)}. "
        f"Load average before: {before}; after: {after} (Locust and the server share the machine's 2 cores)."
    )
    source = f"--home {args.home}" if args.home else f"--papers {args.papers}"
    mode = (
        f"--ramp {args.ramp} --step-time {args.step_time}"
        if steps
        else f"--users {args.users} --run-time {args.run_time}"
    )
    command = f"PYTHONPATH=src .venv/bin/python benchmarks/load.py {source} {mode} --workers {args.workers}"
    text = "\n".join(table) + "\n\n" + "\n".join(memory_table(mem_start, mem_end, roles)) + "\n\n" + note
    write_result(args.out, "Load test (Locust)" + (": breaking point" if steps else ""), command, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

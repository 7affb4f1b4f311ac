"""Drive a real `papersift serve --workers N` over HTTP on loopback (used by scale.py --http).

What is measured, exactly: the server is started as an operator would (`python -m papersift
--home H serve --workers N`), warm-up included; `first_ms` is the first search request once
/healthz answers and the server's processes have gone quiet (`ready_s` after start); then every
query is sent once as `GET /api/search?q=...&mode=hybrid&per_page=20` (page of 20 with
snippets, facets, total, vote counts, JSON) by C client threads over keep-alive connections, each
client-count row with its own queries (a row replaying an earlier row's queries would find their
embeddings in the worker's query cache: 2-3 ms of CPU a search that a fresh query pays).
Reported: requests/s, client-side p50/p99 (ms), the server-side p50/p99 from the app's
Server-Timing header, the server's CPU per request (all its processes, from /proc), and the
memory of the whole server process tree from /proc: RSS summed over processes (counts shared
index pages once per process) and PSS (shared pages split between the processes that map them:
the honest total).
The client threads run on the same 2 cores, so q/s is a lower bound for the server alone; the
client's own CPU seconds are reported beside it. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from papersift.evaluate.beir import percentile


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(home: Path, workers: int, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "papersift", "--home", str(home), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server's whole process tree."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_ready(port: int, pid: int, timeout_s: float = 900.0) -> float:
    """Seconds until the server answers /healthz and its processes have gone quiet (every
    worker has finished warming up: uvicorn's workers share one socket, so one answering worker
    says nothing about the others)."""
    started = time.perf_counter()
    answered = False
    last = tree_cpu_s(pid)
    while time.perf_counter() - started < timeout_s:
        time.sleep(1.0)
        if not answered:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                answered = conn.getresponse().status == 200
                conn.close()
            except OSError:
                continue
        now = tree_cpu_s(pid)
        if answered and now - last < 0.05:
            return time.perf_counter() - started
        last = now
    raise SystemExit(f"server on port {port} did not start within {timeout_s:.0f} s")


def search_path(query: str) -> str:
    return "/api/search?" + urlencode({"q": query, "mode": "hybrid", "per_page": 20})


def first_request_ms(port: int, path: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - t0) * 1000


def load(port: int, queries: list[str], clients: int) -> dict[str, float]:
    """Every query once, spread over `clients` threads; q/s and latencies."""
    todo = list(reversed([search_path(q) for q in queries]))
    lock = threading.Lock()
    client_ms: list[float] = []
    server_ms: list[float] = []
    failures = 0

    def worker() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not todo:
                    break
                path = todo.pop()
            t0 = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            took = (time.perf_counter() - t0) * 1000
            timing = response.getheader("server-timing") or ""
            with lock:
                client_ms.append(took)
                if "dur=" in timing:
                    server_ms.append(float(timing.split("dur=")[1].split(";")[0].split(",")[0]))
                failures += response.status != 200
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "qps": len(client_ms) / wall,
        "client_p50_ms": percentile(client_ms, 0.5),
        "client_p99_ms": percentile(client_ms, 0.99),
        "server_p50_ms": percentile(server_ms, 0.5) if server_ms else float("nan"),
        "server_p99_ms": percentile(server_ms, 0.99) if server_ms else float("nan"),
        "client_cpu_s": time.process_time() - cpu0,
        "wall_s": wall,
        "failures": float(failures),
    }


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn's supervisor and its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def memory_mib(pid: int) -> dict[str, float]:
    """RSS, PSS, anonymous and file-backed resident memory summed over the server's processes."""
    total = {"rss": 0.0, "pss": 0.0, "anon": 0.0, "file": 0.0, "processes": 0.0}
    for p in process_tree(pid):
        try:
            rollup = (Path("/proc") / str(p) / "smaps_rollup").read_text()
        except OSError:
            continue
        fields = {line.split(":")[0]: float(line.split()[1]) / 1024 for line in rollup.splitlines()[1:]}
        total["rss"] += fields.get("Rss", 0.0)
        total["pss"] += fields.get("Pss", 0.0)
        total["anon"] += fields.get("Anonymous", 0.0)
        total["file"] += fields.get("Rss", 0.0) - fields.get("Anonymous", 0.0)
        total["processes"] += 1
    return total


def measure(home: Path, queries: list[str], workers: int, clients: tuple[int, ...]) -> dict[str, float]:
    """Start a server with `workers` workers, measure, stop it (always). `queries` are split into
    one equal slice per client count, in order: no query is sent twice."""
    port = free_port()
    server = start(home, workers, port)
    figures: dict[str, float] = {}
    try:
        figures["ready_s"] = wait_ready(port, server.pid)
        figures["first_ms"] = first_request_ms(port, search_path("warm start " + queries[0]))
        per_row = len(queries) // len(clients)
        for row, c in enumerate(clients):
            cpu0 = tree_cpu_s(server.pid)
            for key, value in load(port, queries[row * per_row : (row + 1) * per_row], c).items():
                figures[f"c{c}_{key}"] = value
            # the server's own CPU per search, all processes: what throughput on N cores is bounded by
            figures[f"c{c}_server_cpu_ms"] = (tree_cpu_s(server.pid) - cpu0) * 1000 / per_row
        for key, value in memory_mib(server.pid).items():
            figures[f"mem_{key}"] = value
        figures["load"] = os.getloadavg()[0]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return figures

"""Web latency: start `papersift serve` on 127.0.0.1 and load it with wrk (or a bounded httpx loop).

Reports, per page: server-side p50/p99 (the app's `Server-Timing` header, 200 sequential
requests) and, at 1/10/50 concurrent clients, client-side p50/p99 and requests/s. Traffic goes
to loopback only; every run is bounded in time (`--duration`) and the server is stopped at the
end. Without `--home`, a temporary home is built from the HF daily-papers corpus (ingest +
index, a few minutes on 2 cores).

    python benchmarks/web_latency.py [--home DIR] [--duration 10] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import PAPERSIFT, shared_data, start_serve  # noqa: E402

CORPUS = shared_data() / "hf-daily-papers" / "corpus.jsonl.gz"
PAGES = {
    "home (daily feed)": "/",
    "search page (hybrid)": "/search?q=vision+language+model",
    "search page (lexical)": "/search?q=vision+language+model&mode=lexical",
    "paper page": "/papers/2405.15738",
    "API daily feed": "/api/daily",
}
CONCURRENCY = (1, 10, 50)


def build_home(home: Path) -> None:
    for args in (["ingest", "beir", str(CORPUS)], ["index"]):
        subprocess.run([*PAPERSIFT, "--home", str(home), *args], check=True)


def server_side(base: str, path: str, n: int = 200) -> tuple[float, float]:
    """p50/p99 of the app's own timing over n sequential requests (after 20 warm-up requests)."""
    times = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(n + 20):
            r = client.get(path)
            r.raise_for_status()
            if i >= 20:
                times.append(float(r.headers["server-timing"].split("dur=")[1]))
    q = statistics.quantiles(times, n=100)
    return statistics.median(times), q[98]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, clients: int, duration: int) -> tuple[float, float, float]:
    out = subprocess.run(
        ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{duration}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return p50, p99, rps


async def httpx_load(url: str, clients: int, duration: int, cap: int = 20_000) -> tuple[float, float, float]:
    """Fallback load generator: `clients` concurrent loops, stopped by time or request cap."""
    latencies: list[float] = []
    stop = time.monotonic() + duration
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=clients)) as client:

        async def loop() -> None:
            while time.monotonic() < stop and len(latencies) < cap:
                t = time.perf_counter()
                await client.get(url)
                latencies.append((time.perf_counter() - t) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(loop() for _ in range(clients)))
        elapsed = time.monotonic() - began
    q = statistics.quantiles(latencies, n=100)
    return statistics.median(latencies), q[98], len(latencies) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="existing home with an indexed catalog")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run (default 10)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    home = args.home
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="papersift-bench-")) / "home"
        build_home(home)
    tool = "wrk" if shutil.which("wrk") else "httpx"
    server = start_serve(home, workers=args.workers, ready="/")
    base = server.base
    try:
        print(f"server: {args.workers} worker(s), load generator: {tool}, {args.duration}s per run, loopback\n")
        print(
            "| page | server p50 ms | server p99 ms | "
            + " | ".join(f"c={c} p50 ms | c={c} p99 ms | c={c} req/s" for c in CONCURRENCY)
            + " |"
        )
        print("|---" * (3 + 3 * len(CONCURRENCY)) + "|")
        for name, path in PAGES.items():
            sp50, sp99 = server_side(base, path)
            cells = [f"{sp50:.1f}", f"{sp99:.1f}"]
            for clients in CONCURRENCY:
                if tool == "wrk":
                    p50, p99, rps = wrk(base + path, clients, args.duration)
                else:
                    p50, p99, rps = asyncio.run(httpx_load(base + path, clients, args.duration))
                cells += [f"{p50:.1f}", f"{p99:.1f}", f"{rps:.0f}"]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

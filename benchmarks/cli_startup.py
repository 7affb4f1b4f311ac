"""CLI start-up time: wall time of `papersift --help` (and `search --help`) in a fresh interpreter.

Each run is a new `python -m papersift` process, so the figure includes interpreter start-up and
every import the command line pays before printing. The target (issue 12) is under 0.5 s on an
idle machine; the machine load is recorded next to the figures because on a shared, loaded box
the wall times inflate accordingly. Also lists which heavy libraries a `--help` run imports
(there should be none of fastapi, scipy, onnxruntime, tantivy, sqlalchemy, numpy).

Usage: python benchmarks/cli_startup.py [--runs N] [--out benchmarks/results/cli_startup.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["--help"], ["search", "--help"], ["ingest", "--help"])
HEAVY = ("fastapi", "scipy", "onnxruntime", "tantivy", "sqlalchemy", "numpy", "jinja2", "pydantic")
PROBE = (
    "import sys, runpy; sys.argv = ['papersift', '--help']\n"
    "try:\n    runpy.run_module('papersift', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
)


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "papersift", *args], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--out", type=Path, default=None)
    opts = parser.parse_args()
    heavy = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    imported = heavy.stderr.strip().rpartition("HEAVY=")[2] or "none"
    lines = [
        f"command: python benchmarks/cli_startup.py --runs {opts.runs}",
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        f"heavy libraries imported by `papersift --help`: {imported}",
        "",
        "| command | min s | median s | max s |",
        "|---|---|---|---|",
    ]
    for args in COMMANDS:
        times = [wall(args) for _ in range(opts.runs)]
        name = "papersift " + " ".join(args)
        lines.append(f"| `{name}` | {min(times):.3f} | {statistics.median(times):.3f} | {max(times):.3f} |")
    lines.append("")
    lines.append(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    text = "\n".join(lines) + "\n"
    print(text)
    if opts.out:
        opts.out.write_text(text)


if __name__ == "__main__":
    main()

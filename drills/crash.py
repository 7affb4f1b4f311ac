#!/usr/bin/env python3
"""Crash-anywhere drill: SIGKILL `ingest` and `index` at seeded random moments, restart, and compare
the end state with an uninterrupted run.

    PYTHONPATH=src .venv/bin/python drills/crash.py [--shared ../shared/data] [--papers 1000]
        [--kills 30] [--seed 13] [--out drills/results/crash.md]

Corpus: the first `--papers` records of arxiv-daily-cs (real arXiv metadata). For each command a
*chain* starts from a fresh home (ingest: empty; index: a copy of the clean catalog with no
index), the command is started and killed after a random delay, restarted, killed again ... until
a run finishes by itself; then the home is compared with the clean run and a new chain starts,
until `--kills` kills have landed. Compared:
  * ingest: `papersift export` byte-identical, change-log length (max seq) equal;
  * index: the lexical index's id list (duplicates would show), the vector ids, and every vector
    (max |difference| reported; identical means bit-equal f16).
A mismatch is any difference; the table reports kills, chains, mismatches and what differed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import PAPERSIFT, first_records, lexical_ids, load, parser, vectors, write_result  # noqa: E402


def run(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True, env=env)


def timed(home: Path, args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = run(home, *args, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"clean run failed: {' '.join(args)}\n{proc.stderr}")
    return time.perf_counter() - t0


def chain(home: Path, args: list[str], env: dict[str, str], rng: random.Random, start: float, span: float) -> int:
    """Start, kill after a random delay, restart ... until a run ends by itself; returns the kills."""
    kills = 0
    while True:
        proc = subprocess.Popen(
            [*PAPERSIFT, "--home", str(home), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        delay = rng.uniform(start, span)
        try:
            _, err = proc.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        if proc.returncode != 0:
            raise SystemExit(f"restarted run failed ({' '.join(args)}): {err.decode()[-2000:]}")
        return kills


def compare_index(clean: Path, home: Path) -> list[str]:
    problems = []
    a, b = lexical_ids(clean), lexical_ids(home)
    if a != b:
        problems.append(f"lexical ids differ ({len(a)} vs {len(b)}, duplicates {len(b) - len(set(b))})")
    va, vb = vectors(clean), vectors(home)
    if sorted(va) != sorted(vb):
        problems.append(f"vector ids differ ({len(va)} vs {len(vb)})")
    else:
        diff = max((float(np.max(np.abs(va[k] - vb[k]))) for k in va), default=0.0)
        if diff > 0:
            problems.append(f"vectors differ: max |d| {diff:.2e}")
    return problems


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--papers", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--only", choices=["ingest", "index"])
    args = ap.parse_args()
    rng = random.Random(args.seed)
    env = {**os.environ, "PAPERSIFT_ENCODER_THREADS": "1"}
    work = Path(tempfile.mkdtemp(prefix="papersift-crash-"))
    corpus = work / "corpus.jsonl"
    corpus.write_text("".join(first_records(args.shared, args.papers)), "utf-8")
    ingest = ["ingest", "beir", str(corpus)]
    clean = work / "clean"
    t_ingest = timed(clean, ingest, env)
    clean_export = run(clean, "export", env=env).stdout
    shutil.copy(clean / "catalog.db", work / "catalog-only.db")
    t_index = timed(clean, ["index"], env)
    t_start = timed(clean, ["stats", "--json"], env)  # interpreter start + imports: kills before are cheap
    before = load()
    rows = []
    for name, args_, span in (("ingest", ingest, t_ingest), ("index", ["index"], t_index)):
        if args.only and name != args.only:
            continue
        kills = chains = mismatches = 0
        notes: list[str] = []
        while kills < args.kills:
            home = work / f"{name}-{chains}"
            home.mkdir()
            if name == "index":
                shutil.copy(work / "catalog-only.db", home / "catalog.db")
            kills += chain(home, args_, env, rng, t_start * 0.8, span * 1.1)
            chains += 1
            if name == "ingest":
                problems = [] if run(home, "export", env=env).stdout == clean_export else ["export differs"]
            else:
                problems = compare_index(clean, home)
            if problems:
                mismatches += 1
                notes += problems
            print(f"{name}: chain {chains}, kills so far {kills}, problems {problems}", file=sys.stderr)
            shutil.rmtree(home)
        rows.append((name, kills, chains, mismatches, "; ".join(dict.fromkeys(notes)) or "-", span))
    shutil.rmtree(work)
    table = ["| command | SIGKILLs | chains (each ends in a completed run) | mismatches | clean run s | notes |"]
    table.append("|---|---|---|---|---|---|")
    table += [f"| `{n}` | {k} | {c} | {m} | {s:.1f} | {note} |" for n, k, c, m, note, s in rows]
    note = (
        f"Corpus: first {args.papers:,} records of arxiv-daily-cs; seed {args.seed}; kill delays uniform in "
        f"[0.8 x start-up ({t_start:.1f} s), 1.1 x the clean run]. Load average before: {before}; after: {load()}."
    )
    only = f" --only {args.only}" if args.only else ""
    command = (
        f"PYTHONPATH=src .venv/bin/python drills/crash.py --papers {args.papers} --kills {args.kills} "
        f"--seed {args.seed}{only}"
    )
    write_result(args.out, "Crash-anywhere drill", command, "\n".join(table) + "\n\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())

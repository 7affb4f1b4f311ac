#!/usr/bin/env python3
"""Disk-full drill: ingest and index with the home on a small tmpfs until it fills.

    sudo PYTHONPATH=src .venv/bin/python drills/disk_full.py [--shared ../shared/data] [--papers 5000]
        [--size-mib 6] [--out drills/results/disk_full.md]

Needs root (it mounts a size-limited tmpfs). Steps and what is checked:
  1. `ingest` on a volume too small for the corpus: exit 1 with a one-line "disk is full" message
     (no traceback); the catalog passes `PRAGMA integrity_check`, holds whole ingest batches only
     (a multiple of the batch size), and `stats`/`export` still work on it.
  2. Space freed (the tmpfs is grown), the same `ingest` re-run: exit 0 and `export` byte-identical
     to a clean run on an ordinary disk.
  3. `index --lexical-only` with the volume filled up again by a ballast file: a clear error; the
     index state never claims more than the index holds and lexical search still answers.
  4. Ballast removed, `index --lexical-only` re-run: exit 0, the index holds exactly the catalog's ids.
Dense phase (vector save), on a second home on the same volume holding the first `--dense-papers`
records: the first 3/4 are ingested and fully indexed (vector generation 1), the rest ingested and
lexically indexed (so only the dense phase is left), then
  5. `index` with the volume filled by ballast: the papers are embedded, saving generation 2 fails:
     a clear error (no traceback); the manifest still names generation 1, no file of the failed
     generation is left behind, and dense search still answers from generation 1.
  6. Ballast removed, `index` re-run: exit 0; vector ids and every vector bit-identical to a clean
     run of the same commands on an ordinary disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import PAPERSIFT, first_records, lexical_ids, load, parser, vectors, write_result  # noqa: E402


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True)


def fill(volume: Path, leave: int) -> Path:
    """A ballast file taking all but `leave` bytes of the volume."""
    ballast = volume / "ballast"
    ballast.unlink(missing_ok=True)
    free = os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize
    with open(ballast, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return ballast


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    last = [line for line in proc.stderr.splitlines() if line.strip()]
    return (lines or last or ["(nothing on stderr)"])[-1][:200]


def dense_phase(work: Path, volume: Path, records: list[str]) -> list[tuple[str, str, str]]:
    """Steps 5-6: the vector save of `index` on a full disk, then the re-run after freeing space."""
    first, rest = work / "dense-first.jsonl", work / "dense-rest.jsonl"
    cut = len(records) * 3 // 4
    first.write_text("".join(records[:cut]), "utf-8")
    rest.write_text("".join(records[cut:]), "utf-8")
    clean = work / "dense-clean"  # the same commands on an ordinary disk: vectors depend on the batch they
    for part in (first, rest):  # were embedded in (int8 activations are quantised per batch), so same batches
        assert cli(clean, "ingest", "beir", str(part)).returncode == 0
        assert cli(clean, "index", "--lexical-only").returncode == 0
        assert cli(clean, "index").returncode == 0
    home = volume / "dense-home"
    assert cli(home, "ingest", "beir", str(first)).returncode == 0
    assert cli(home, "index").returncode == 0
    assert cli(home, "ingest", "beir", str(rest)).returncode == 0
    assert cli(home, "index", "--lexical-only").returncode == 0  # so only the dense phase is left to fail
    state = json.loads((home / "index" / "state.json").read_text())
    lexical_done = state["lexical_seq"] > state["dense_seq"]
    vdir = home / "index" / "vectors"
    manifest_before = json.loads((vdir / "manifest.json").read_text())
    files_before = sorted(f.name for f in vdir.iterdir())
    ballast = fill(volume, 64 * 1024)
    failed = cli(home, "index")
    manifest = json.loads((vdir / "manifest.json").read_text())
    files = sorted(f.name for f in vdir.iterdir())
    query = json.loads(records[0])["title"]
    dense = cli(home, "search", query, "--mode", "dense", "--json")
    hits = json.loads(dense.stdout).get("results", []) if dense.returncode == 0 else []
    served = len(vectors(home))
    rows = [
        (
            f"5. `index` (dense phase) with 64 KiB free: {len(records) - cut} papers to embed on top of generation "
            f"{manifest_before['generation']} ({manifest_before['count']} vectors); lexical phase done before: "
            f"{lexical_done}",
            f"exit {failed.returncode}; traceback: {'Traceback' in failed.stderr}; `{one_line(failed)}`",
            f"manifest unchanged: {manifest == manifest_before} (generation {manifest['generation']}, "
            f"{manifest['count']} vectors); files as before the run: {files == files_before}"
            + ("" if files == files_before else f" (now {files})")
            + f"; dense search answers: {dense.returncode == 0 and bool(hits)}, from {served} vectors",
        )
    ]
    ballast.unlink()
    again = cli(home, "index")
    want, got = vectors(clean), vectors(home)
    same_ids = sorted(want) == sorted(got)
    diff = max((float(np.max(np.abs(want[k] - got[k]))) for k in want), default=0.0) if same_ids else float("nan")
    rows.append(
        (
            "6. ballast removed, `index` re-run",
            f"exit {again.returncode}",
            f"vector ids == clean run's ({len(want)}): {same_ids}; max |difference| of vectors: {diff:g}; "
            f"lexical ids == clean run's: {lexical_ids(home) == lexical_ids(clean)}",
        )
    )
    return rows


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--papers", type=int, default=5000)
    ap.add_argument("--size-mib", type=int, default=6)
    ap.add_argument("--dense-papers", type=int, default=200)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root to mount a size-limited tmpfs", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="papersift-diskfull-"))
    corpus = work / "corpus.jsonl"
    records = first_records(args.shared, max(args.papers, args.dense_papers))
    corpus.write_text("".join(records[: args.papers]), "utf-8")
    before = load()
    clean = work / "clean"
    assert cli(clean, "ingest", "beir", str(corpus)).returncode == 0
    clean_export = cli(clean, "export").stdout
    mnt = work / "volume"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mib}m", "tmpfs", str(mnt)], check=True)
    home = mnt / "home"
    rows: list[tuple[str, str, str]] = []
    try:
        full = cli(home, "ingest", "beir", str(corpus))
        db = sqlite3.connect(f"file:{home / 'catalog.db'}?mode=ro", uri=True)
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        kept = db.execute("SELECT count(*) FROM papers").fetchone()[0]
        db.close()
        stats_ok = cli(home, "stats", "--json").returncode == 0
        rows.append(
            (
                f"1. ingest {args.papers:,} papers on a {args.size_mib} MiB volume",
                f"exit {full.returncode}; traceback: {'Traceback' in full.stderr}; `{one_line(full)}`",
                f"integrity_check {integrity}; {kept:,} papers kept (whole 1,000-paper batches: {kept % 1000 == 0}); "
                f"stats works: {stats_ok}",
            )
        )
        subprocess.run(["mount", "-o", f"remount,size={args.size_mib * 20}m", str(mnt)], check=True)
        again = cli(home, "ingest", "beir", str(corpus))
        same = cli(home, "export").stdout == clean_export
        rows.append(
            ("2. space freed, same ingest re-run", f"exit {again.returncode}", f"export identical to clean run: {same}")
        )
        ballast = fill(mnt, 256 * 1024)
        idx = cli(home, "index", "--lexical-only")
        search = cli(home, "search", "learning", "--mode", "lexical", "--json")
        state = (home / "index" / "state.json").read_text() if (home / "index" / "state.json").exists() else "{}"
        rows.append(
            (
                "3. `index --lexical-only` with 256 KiB free",
                f"exit {idx.returncode}; traceback: {'Traceback' in idx.stderr}; `{one_line(idx)}`",
                f"lexical search answers: {search.returncode == 0}; state.json: {state.strip()[:80] or '{}'}",
            )
        )
        ballast.unlink()
        done = cli(home, "index", "--lexical-only")
        catalog_ids = sorted(line.split('"id": "', 1)[1].split('"', 1)[0] for line in clean_export.splitlines())
        rows.append(
            (
                "4. ballast removed, index re-run",
                f"exit {done.returncode}",
                f"lexical index ids == catalog ids: {lexical_ids(home) == catalog_ids}",
            )
        )
        rows += dense_phase(work, mnt, records[: args.dense_papers])
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    table = ["| step | outcome | state afterwards |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    note = f"Load average before: {before}; after: {load()}."
    command = "sudo PYTHONPATH=src .venv/bin/python drills/disk_full.py"
    command += f" --papers {args.papers} --size-mib {args.size_mib} --dense-papers {args.dense_papers}"
    write_result(args.out, "Disk-full drill", command, "\n".join(table) + "\n\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
"""

from __future__ import annotations

import argparse
import gzip
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

PAPERSIFT = [sys.executable, "-m", "papersift"]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True)


def lexical_ids(home: Path) -> list[str]:
    import tantivy

    index = tantivy.Index.open(str(home / "index" / "lexical"))
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs)).hits
    return sorted(searcher.doc(addr)["id"][0] for _, addr in hits)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    last = [line for line in proc.stderr.splitlines() if line.strip()]
    return (lines or last or ["(nothing on stderr)"])[-1][:200]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--papers", type=int, default=5000)
    ap.add_argument("--size-mib", type=int, default=6)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root to mount a size-limited tmpfs", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="papersift-diskfull-"))
    corpus = work / "corpus.jsonl"
    with gzip.open(args.shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as src:
        corpus.write_text("".join(line for _, line in zip(range(args.papers), src, strict=False)), "utf-8")
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
        ballast = mnt / "ballast"
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        with open(ballast, "wb") as fh:
            fh.truncate(0)
            fh.write(b"\0" * max(0, free - 256 * 1024))  # leave 256 KiB
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
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    table = ["| step | outcome | state afterwards |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(table)
    print(text)
    if args.out:
        command = "sudo PYTHONPATH=src .venv/bin/python drills/disk_full.py"
        command += f" --papers {args.papers} --size-mib {args.size_mib}"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Disk-full drill\n\nCommand: `{command}`\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

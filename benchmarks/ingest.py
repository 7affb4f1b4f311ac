#!/usr/bin/env python3
"""Catalog ingest throughput and memory on the real shared collections.

    .venv/bin/python benchmarks/ingest.py [--shared ../shared/data] [--out benchmarks/results/ingest.md]
                                          [--repeat N] [--only LABEL]

For each collection/format: records read, written, rejected, seconds, records/s, and the
resident-memory curve sampled during the run (flat memory = streaming works). The target in
the catalog issue is >= 5,000 records/s for the 60k-record arxiv-daily-cs corpus. The machine
is shared, so `--repeat N` runs each collection N times and reports the best and the median
rate, and the load average before and after is printed with the table.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from papersift.catalog import Catalog  # noqa: E402
from papersift.ingest import ingest  # noqa: E402
from papersift.sources import SourceContext  # noqa: E402
from tests.harness import load, parser  # noqa: E402

RUNS = [  # (label, format, path relative to shared data)
    ("arxiv-daily-cs", "beir", "arxiv-daily-cs/corpus.jsonl.gz"),
    ("arxiv-quant-ph", "beir", "arxiv-quant-ph/corpus.jsonl.gz"),
    ("hf-daily-papers", "beir", "hf-daily-papers/corpus.jsonl.gz"),
    ("scifact", "beir", "scifact/corpus.jsonl"),
    ("arxiv-daily raw", "arxiv-daily", "arxiv-daily-cs/raw"),
    ("hf-daily raw", "hf-daily", "hf-daily-papers/raw"),
    ("arxiv-abs", "arxiv-abs", "arxiv-abs/raw_abs_files.tar.gz"),
    ("kaggle sample", "arxiv-kaggle", "arxiv-kaggle-sample/arxiv-metadata-oai-snapshot.sample.json"),
    ("oai fixture", "arxiv-oai", "arxiv-oai-fixtures/listrecords---should-list-identifiers-from-arxiv.1.200.xml"),
]


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(fmt: str, path: Path) -> dict[str, float | str]:
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_mib())
            time.sleep(0.2)

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog.open(f"sqlite:///{tmp}/c.db")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        report = ingest(catalog, fmt, [str(path)], SourceContext())
        seconds = time.perf_counter() - t0
        stop.set()
        sampler.join()
        t1 = time.perf_counter()
        again = ingest(catalog, fmt, [str(path)], SourceContext())
        reseconds = time.perf_counter() - t1
        catalog.close()
    quarter = max(1, len(samples) // 4)
    return {
        "records": report.records,
        "inserted": report.written.inserted,
        "rejected": report.rejected,
        "seconds": seconds,
        "rate": report.records / seconds if seconds else 0.0,
        "rss_q1": max(samples[:quarter] or [0]),
        "rss_q4": max(samples[-quarter:] or [0]),
        "reingest_changed": again.written.inserted + again.written.updated,
        "reingest_s": reseconds,
    }


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--repeat", type=int, default=1, help="runs per collection (best and median reported)")
    ap.add_argument("--only", help="run only the collection with this label")
    args = ap.parse_args()
    lines = [
        "| collection | format | records | new | rejected | seconds (best) | records/s best | records/s median "
        "| RSS MiB (1st/last quarter) | re-ingest changed | re-ingest s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    before = load()
    for label, fmt, rel in RUNS:
        path = args.shared / rel
        if args.only and label != args.only:
            continue
        if not path.exists():
            print(f"skip {label}: {path} missing", file=sys.stderr)
            continue
        runs = [run(fmt, path) for _ in range(max(1, args.repeat))]
        r = max(runs, key=lambda x: x["rate"])
        median = statistics.median(x["rate"] for x in runs)
        lines.append(
            f"| {label} | {fmt} | {r['records']:,} | {r['inserted']:,} | {r['rejected']:,} | "
            f"{r['seconds']:.2f} | {r['rate']:,.0f} | {median:,.0f} | {r['rss_q1']:.0f} / {r['rss_q4']:.0f} | "
            f"{r['reingest_changed']} | {r['reingest_s']:.2f} |"
        )
        print(lines[-1], file=sys.stderr)
    table = "\n".join(lines)
    note = f"Load average (1/5/15 min) before: {before}; after: {load()}. Runs per collection: {args.repeat}."
    print(f"{table}\n\n{note}")
    if args.out:
        repeat = f" --repeat {args.repeat}" if args.repeat > 1 else ""
        command = f"`.venv/bin/python benchmarks/ingest.py{repeat}`"
        args.out.write_text(f"# Ingest benchmark\n\nCommand: {command}\n\n{table}\n\n{note}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

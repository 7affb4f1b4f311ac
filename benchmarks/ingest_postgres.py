#!/usr/bin/env python3
"""Ingest throughput on PostgreSQL next to SQLite, same corpus, same code path.

    PYTHONPATH=src .venv/bin/python benchmarks/ingest_postgres.py [--shared ../shared/data]
        [--collection arxiv-daily-cs] [--repeat N] [--out benchmarks/results/ingest_postgres.md]

PostgreSQL is a throwaway cluster started by `tests/postgres.py` (Debian's server binaries,
loopback only) with its durable defaults (fsync, synchronous_commit, full_page_writes on),
so both databases pay for durable commits. Each run ingests the collection into an empty
catalog (first ingest), then again (re-ingest: everything merges to "unchanged").
The machine is shared: the load average is printed next to the figures.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.postgres (the cluster helper), tests.harness

from papersift.catalog import Catalog  # noqa: E402
from papersift.ingest import ingest  # noqa: E402
from papersift.sources import SourceContext  # noqa: E402
from tests.harness import load, parser  # noqa: E402
from tests.postgres import PostgresServer, find_bindir  # noqa: E402

COLLECTIONS = {"arxiv-daily-cs": "arxiv-daily-cs/corpus.jsonl.gz", "scifact": "scifact/corpus.jsonl"}


def run(url: str, path: Path) -> tuple[int, float, float]:
    catalog = Catalog.open(url)
    t0 = time.perf_counter()
    report = ingest(catalog, "beir", [str(path)], SourceContext())
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = ingest(catalog, "beir", [str(path)], SourceContext())
    second = time.perf_counter() - t1
    assert again.written.inserted + again.written.updated == 0, "re-ingest changed rows"
    catalog.close()
    return report.records, first, second


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--collection", default="arxiv-daily-cs", choices=sorted(COLLECTIONS))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    path = args.shared / COLLECTIONS[args.collection]
    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL server binaries not found (apt-get install postgresql)", file=sys.stderr)
        return 2
    server = PostgresServer(bindir, durable=True).start()
    before = load()
    rows = ["| database | records | first ingest s (best) | records/s best | records/s median | re-ingest s (best) |"]
    rows.append("|---|---|---|---|---|---|")
    try:
        for name in ("sqlite", "postgresql"):
            runs = []
            for _ in range(args.repeat):
                if name == "sqlite":
                    with tempfile.TemporaryDirectory() as tmp:
                        runs.append(run(f"sqlite:///{tmp}/c.db", path))
                else:
                    runs.append(run(server.create_database(), path))
                print(name, runs[-1], file=sys.stderr)
            records = runs[0][0]
            best = min(r[1] for r in runs)
            median = statistics.median(records / r[1] for r in runs)
            rows.append(
                f"| {name} | {records:,} | {best:.1f} | {records / best:,.0f} | {median:,.0f} | "
                f"{min(r[2] for r in runs):.1f} |"
            )
    finally:
        server.stop()
    note = (
        f"Load average (1/5/15 min) before: {before}; after: {load()}. Runs per database: {args.repeat}. "
        f"PostgreSQL {bindir.parent.name} on 127.0.0.1 (same machine), psycopg 3, fsync on."
    )
    text = "\n".join(rows) + "\n\n" + note
    print(text)
    if args.out:
        command = f"PYTHONPATH=src .venv/bin/python benchmarks/ingest_postgres.py --collection {args.collection} "
        command += f"--repeat {args.repeat}"
        args.out.write_text(
            f"# Ingest throughput: PostgreSQL vs SQLite ({args.collection})\n\nCommand: `{command}`\n\n{text}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

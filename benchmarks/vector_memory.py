#!/usr/bin/env python3
"""Resident pages per mapped index file of one serving process, and the one-copy vector upgrade (D75).

    PYTHONPATH=src .venv/bin/python benchmarks/vector_memory.py --home HOME [--queries 300] [--json]
    PYTHONPATH=src .venv/bin/python benchmarks/vector_memory.py --home HOME --rewrite
    PYTHONPATH=src .venv/bin/python benchmarks/vector_memory.py --vectors HOME/index/vectors [--queries 300 | --rewrite]

Default: opens the home as a `serve` worker does, runs `--queries` hybrid searches (queries cut
from the home's own titles, as benchmarks/heap.py), the same queries with a category filter and
with a one-year filter (exact filtered scoring reads vectors by slot), and one `get_many` of the
hits per query, then prints, for every file of the home mapped into the process, its resident
(Rss) and proportional (Pss) MiB from /proc/self/smaps, plus the anonymous total. A page mapped
twice in one process (the usearch file, by usearch and by our block map) counts once in Pss.
Before D75 the vectors were resident twice: `gen-<n>.usearch` and `gen-<n>.npy`.

`--vectors DIR`: the vector index alone (no catalog, lexical index or encoder), for a copy of a
big home's `index/vectors`: each query is a stored paper's vector, searched unfiltered, with a
category filter and with a one-year filter, plus a `get_many` of the hits.

`--rewrite`: republishes the home's current vector generation in the current layout without
re-embedding (loads it into RAM, saves it as the next generation; the same as the next index
change would do) and prints the time of the whole save and of the block matching alone. Run it
with no indexer working on the home; serving processes pick the new generation up by `stale()`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.index.embedded import vector_block
from papersift.index.embedded.vectors import HnswIndex
from papersift.query.syntax import parse

MIB = 1024


def mapped_files(root: Path) -> dict[str, dict[str, float]]:
    """{file path relative to root: {"rss_mib", "pss_mib"}} of the mappings of files under root,
    summed over their mappings (tantivy's segment files per kind), plus "(anonymous)" for all
    anonymous memory and "(files under root, total)"."""
    figures: dict[str, dict[str, float]] = defaultdict(lambda: {"rss_mib": 0.0, "pss_mib": 0.0})
    current = "(other)"
    prefix = str(root.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and ":" not in head[0]:  # a mapping's header line
            path = head[5].strip() if len(head) == 6 else ""
            if path.startswith(prefix):
                current = str(Path(path).relative_to(prefix))
                if current.startswith("index/lexical/"):  # tantivy segments, summed per kind of file
                    current = f"index/lexical/*{Path(current).suffix}"
            elif path and not path.startswith("["):
                current = "(other files)"
            else:
                current = "(anonymous)"
        elif head[0] in ("Rss:", "Pss:"):
            figures[current][f"{head[0][:-1].lower()}_mib"] += int(head[1]) / MIB
    for name, values in list(figures.items()):
        if not name.startswith("("):
            for key, value in values.items():
                figures["(files under root, total)"][key] += value
    return {name: {k: round(v, 1) for k, v in values.items()} for name, values in sorted(figures.items())}


def serve_queries(ctx: AppContext, queries: int) -> int:
    vectors = ctx.indexes.vectors
    ids = [pid for pid, _ in vectors.search(ctx.encoder.encode_query("a survey"), queries)]
    titles = [" ".join(p.title.split()[:5]) for p in ctx.catalog.get_many(ids).values() if p.title]
    for title in titles:
        for text in (title, f"{title} cat:cs", f"{title} year:2021"):
            page = ctx.search.search(text, mode="hybrid", per_page=20)
            vectors.get_many([hit.paper.id for hit in page.hits])
    return len(titles)


def serve_vector_queries(index: HnswIndex, queries: int) -> int:
    rng = np.random.default_rng(0)
    probe = rng.standard_normal(index.dim).astype(np.float32)
    seeds = [pid for pid, _ in index.search(probe / np.linalg.norm(probe), queries)]
    for pid in seeds:
        query = index.get(pid)
        assert query is not None
        for filters in ("cat:cs", "year:2021"):
            index.search_filtered(query, 20, parse(filters).filters)
        index.get_many([hit for hit, _ in index.search(query, 20)])
    return len(seeds)


def rewrite(vectors: HnswIndex) -> dict[str, object]:
    before = vectors.generation
    t0 = time.perf_counter()
    vectors.republish()
    save_s = time.perf_counter() - t0
    prefix = vectors.dir / f"gen-{vectors.generation}"
    figures: dict[str, object] = {"generation": [before, vectors.generation], "count": len(vectors), "save_s": save_s}
    rows_path = prefix.with_name(f"{prefix.name}.rows.npy")
    if not rows_path.exists():
        figures["layout"] = "separate matrix (block not matched: see the warning)"
        return figures
    rows = np.load(rows_path)
    usearch = prefix.with_name(f"{prefix.name}.usearch")
    block = vector_block.map_block(usearch, vectors.dim)
    assert block is not None
    matrix = np.zeros((rows.size, vectors.dim), dtype=np.float16)  # what save() held: slot order
    matrix[rows >= 0] = block[rows[rows >= 0]]
    t0 = time.perf_counter()
    again = vector_block.rows_for(usearch, matrix, rows >= 0)
    figures["match_s"] = time.perf_counter() - t0
    figures["layout"] = "usearch block + rows map" if again is not None else "block not matched"
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--home", type=Path)
    where.add_argument("--vectors", type=Path, help="a vector index directory alone (has manifest.json)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rewrite", action="store_true", help="republish the vectors in the current layout")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.vectors is not None:
        manifest = json.loads((args.vectors / "manifest.json").read_text())
        index = HnswIndex.open(args.vectors, int(manifest["dim"]), str(manifest["model"]))
        if args.rewrite:
            print_figures(rewrite(index), args)
        else:
            queries = serve_vector_queries(index, args.queries)
            print_figures({"queries": queries, "mapped": mapped_files(args.vectors)}, args)
        return 0
    ctx = AppContext(load_settings(args.home))
    if args.rewrite:
        figures: dict[str, object] = rewrite(ctx.indexes.vectors)
    else:
        ctx.indexes.lexical.doc_count()
        figures = {"titles": serve_queries(ctx, args.queries), "mapped": mapped_files(args.home)}
    ctx.close()
    print_figures(figures, args)
    return 0


def print_figures(figures: dict[str, object], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            if isinstance(value, dict):
                for name, row in value.items():
                    print(f"{name:40s} rss {row['rss_mib']:8.1f} MiB   pss {row['pss_mib']:8.1f} MiB")
            else:
                print(f"{key}: {value}")


if __name__ == "__main__":
    raise SystemExit(main())

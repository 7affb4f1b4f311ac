#!/usr/bin/env python3
"""Rebuild the bundled demo corpus from ../shared/data (reproducible, deterministic output).

Demo = every arXiv cs.* paper that is both in the arXiv daily listings (`arxiv-daily-cs`) and
on Hugging Face Daily Papers (`hf-daily-papers`): recent papers with community upvotes, all
CC0 arXiv metadata. The two records of each paper are merged by the catalog exactly as a user's
ingest would merge them, exported as papersift JSONL, and embedded with the default encoder.

    .venv/bin/python scripts/build_demo_corpus.py [--shared ../shared/data] [--skip-vectors]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from papersift.catalog import Catalog
from papersift.demo import PAPERS, VECTORS
from papersift.encoder.embed import load_encoder, paper_text
from papersift.paper import Paper
from papersift.sources import SourceContext, get_source

ENCODER = "minilm-int8"


def read(fmt: str, path: Path, collection: str) -> dict[str, Paper]:
    papers: dict[str, Paper] = {}
    for item in get_source(fmt)(str(path), SourceContext(options={"collection": collection})):
        if isinstance(item, Paper):
            papers[item.id] = item
        else:
            print(f"note: {item}", file=sys.stderr)
    return papers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--skip-vectors", action="store_true")
    args = ap.parse_args()
    daily = read("beir", args.shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "arxiv-daily-cs")
    hf = read("beir", args.shared / "hf-daily-papers" / "corpus.jsonl.gz", "hf-daily-papers")
    both = sorted(set(daily) & set(hf))
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog.open(f"sqlite:///{tmp}/demo.db")
        catalog.upsert([daily[i] for i in both])
        catalog.upsert([hf[i] for i in both])
        merged = [catalog.get(i) for i in both]
        catalog.close()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:  # mtime=0: byte-identical rebuilds
        for p in merged:
            gz.write((json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    PAPERS.write_bytes(buf.getvalue())
    print(f"{len(merged)} papers -> {PAPERS} ({PAPERS.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    if not args.skip_vectors:
        encoder = load_encoder(ENCODER)
        vectors = encoder.encode([paper_text(p.title, p.abstract) for p in merged], batch_size=32)
        with open(VECTORS, "wb") as fh:
            np.savez_compressed(
                fh, ids=np.array(both, dtype=str), vectors=vectors.astype(np.float16), model=np.array(encoder.name)
            )
        print(f"{len(both)} vectors -> {VECTORS} ({VECTORS.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

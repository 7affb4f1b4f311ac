#!/usr/bin/env python3
"""Dump per-query ranking features of the five shared collections once, so fusion and re-ranking
levers can be replayed in numpy in seconds (benchmarks/relevance_replay.py).

Per collection (an .npz + .pkl under --out): every paper's id and stored MiniLM vector, abstract
length in tokens; per query: its embedding (as the product embeds it), and top --depth (id, score)
lists of: the product's BM25F ranking, title-only BM25, abstract-only BM25, and two sequential
dependence clause sets (Metzler & Croft 2005) over the BM25F `text` field: ordered adjacent
query-word pairs (phrase, slop 0) and unordered pairs within a window (phrase, slop 8).

    PYTHONPATH=src nice -n 15 .venv/bin/python benchmarks/relevance_dump.py \
        --homes /tmp/bench-homes-14 --out /tmp/replay14
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
from tantivy import Occur, Query

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import load_collection
from papersift.index.analysis import analyze
from papersift.index.embedded.lexical_schema import SCHEMA
from papersift.query.syntax import plain_query

COLLECTIONS = "scifact,nfcorpus-preprocessed,cacm,cisi,cranfield"


def pair_query(tokens: list[str], slop: int) -> Query | None:
    pairs = [
        Query.phrase_query(SCHEMA, "text", [a, b], slop=slop)
        for a, b in zip(tokens, tokens[1:], strict=False)
        if a != b
    ]
    return Query.boolean_query([(Occur.Should, p) for p in pairs]) if pairs else None


def run(searcher, query: Query | None, depth: int) -> list[tuple[str, float]]:
    if query is None:
        return []
    hits = searcher.search(query, depth, count=False).hits
    return [(searcher.doc(addr)["id"][0], float(s)) for s, addr in hits]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--homes", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--collections", default=COLLECTIONS)
    ap.add_argument("--depth", type=int, default=1000)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.collections.split(","):
        coll = load_collection(args.shared / name)
        ctx = AppContext(load_settings(args.homes / name))
        store, lexical = ctx.indexes, ctx.indexes.lexical
        papers = {p.id: p for p in ctx.catalog.iter_all() if p.id in store.vectors}
        ids = list(papers)
        whole = np.stack([store.vectors.get(pid) for pid in ids]).astype(np.float32)
        length = np.array([len(analyze(papers[p].abstract or "")) for p in ids], np.float32)
        searcher = lexical._index.searcher()
        queries = {}
        for qid, text in coll.queries.items():
            parsed = plain_query(text)
            lexical.compiler.ranked_fields = ("text", "authors")
            feats = {"lex": lexical.search(parsed, limit=args.depth)}
            lexical.compiler.ranked_fields = ("title",)
            feats["ti"] = lexical.search(parsed, limit=args.depth, title_boost=1.0)
            lexical.compiler.ranked_fields = ("abstract",)
            feats["ab"] = lexical.search(parsed, limit=args.depth)
            lexical.compiler.ranked_fields = ("text", "authors")
            tokens = analyze(text, "text")
            feats["od"] = run(searcher, pair_query(tokens, 0), args.depth)
            feats["uw"] = run(searcher, pair_query(tokens, 8), args.depth)
            feats["qvec"] = ctx.search.embed_query(parsed.dense_text() or "")
            feats["ntok"] = len(tokens)
            queries[qid] = feats
        strip = len(coll.name) + 1
        with open(args.out / f"{name}.pkl", "wb") as f:
            pickle.dump(
                {"ids": [p[strip:] for p in ids], "prefix": coll.name + ":", "queries": queries, "qrels": coll.qrels}, f
            )
        np.savez(args.out / f"{name}.npz", whole=whole, length=length)
        print(name, len(ids), len(queries), flush=True)
        ctx.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Multi-vector passages for long abstracts (issue 14, lever 3): is a paper better scored by
its best passage than by one vector of its first 256 tokens?

    PYTHONPATH=src nice -n 10 .venv/bin/python benchmarks/relevance_passages.py \
        --homes /tmp/bench-homes-14 [--collections cranfield,cisi] [--cache /tmp/passages-14] \
        [--out benchmarks/results/relevance_passages.md]

Uses the relevance benchmark's homes (catalog, lexical index and whole-abstract vectors already
built) read-only. Each abstract is cut at sentence ends into windows of about PASSAGE_TOKENS
MiniLM tokens, each window embedded as "title. window" (the title gives the passage its
topic); a paper whose "title. abstract" fits in one window keeps only its whole vector.
Passage vectors are cached per collection under --cache (encoding is the slow part).

The hybrid ranking is replayed exactly as the product runs it (the product's lexical index,
query embedding, `fusion.convex` and `feedback.rocchio` from the top 3 fused), with only the
dense score of a paper changed:
  - whole: cosine to the whole-abstract vector (what ships; must reproduce relevance.md);
  - max: the best of the whole vector and every passage;
  - mix: (whole + best passage) / 2.
Exact scoring over every vector (numpy), so index structure plays no part.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.evaluate.beir import load_collection, score
from papersift.query.syntax import plain_query
from papersift.search.feedback import FEEDBACK_DOCS, rocchio
from papersift.search.fusion import convex

PASSAGE_TOKENS = 96  # target window; whole sentences, so windows run ~64-128 tokens
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")  # lower-case collections (Cranfield) too
VARIANTS = ("whole", "max", "mix")


def pieces(sentence: str, tokens: int, target: int) -> list[tuple[str, int]]:
    """A sentence longer than `target` tokens cut at word boundaries into about-`target` chunks."""
    if tokens <= target:
        return [(sentence, tokens)]
    words = sentence.split()
    parts = -(-tokens // target)
    step = -(-len(words) // parts)
    return [(" ".join(words[i : i + step]), tokens // parts) for i in range(0, len(words), step)]


def windows(sentences: list[str], lengths: list[int], target: int) -> list[str]:
    """Consecutive sentences grouped until a window would pass `target` tokens."""
    split = [p for s, n in zip(sentences, lengths, strict=True) for p in pieces(s, n, target)]
    sentences, lengths = [s for s, _ in split], [n for _, n in split]
    out: list[str] = []
    cur: list[str] = []
    size = 0
    for sentence, n in zip(sentences, lengths, strict=True):
        if cur and size + n > target:
            out.append(" ".join(cur))
            cur, size = [], 0
        cur.append(sentence)
        size += n
    if cur:
        out.append(" ".join(cur))
    return out


def passages_of(ctx: AppContext, ids: list[str], cache: Path) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(passage vectors, owner row of each, cost figures), cached in `cache`."""
    if cache.exists():
        data = np.load(cache)
        return data["vectors"], data["owner"], {k: float(data[k]) for k in ("seconds", "tokens", "long_docs")}
    encoder = ctx.encoder
    papers = ctx.catalog.get_many(ids)
    texts: list[str] = []
    owner: list[int] = []
    long_docs = 0
    for row, pid in enumerate(ids):
        paper = papers[pid]
        abstract = (paper.abstract or "").strip()
        title = (paper.raw_title if paper.raw_title is not None else paper.title).strip()
        whole = f"{title}. {abstract}" if title else abstract
        if not abstract or len(encoder.tokenize([whole])[0]) <= PASSAGE_TOKENS + 32:  # type: ignore[attr-defined]
            continue
        long_docs += 1
        sentences = [s for s in SENTENCE_END.split(abstract) if s.strip()]
        lengths = [len(t) - 2 for t in encoder.tokenize(sentences)]  # type: ignore[attr-defined]
        for window in windows(sentences, lengths, PASSAGE_TOKENS):
            texts.append(f"{title}. {window}" if title else window)
            owner.append(row)
    tokens = sum(len(t) for t in encoder.tokenize(texts))  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    vectors = encoder.encode(texts) if texts else np.zeros((0, 384), np.float32)
    seconds = time.perf_counter() - t0
    np.savez(
        cache, vectors=vectors, owner=np.asarray(owner, np.int64), seconds=seconds, tokens=tokens, long_docs=long_docs
    )
    return vectors, np.asarray(owner, np.int64), {"seconds": seconds, "tokens": float(tokens), "long_docs": long_docs}


class DenseScorer:
    """Exact dense scores of every paper for one query vector, by one of VARIANTS."""

    def __init__(self, ids: list[str], whole: np.ndarray, passages: np.ndarray, owner: np.ndarray):
        self.ids, self.whole, self.passages, self.owner = ids, whole, passages, owner
        self.starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else np.zeros(0, np.int64)

    def top(self, q: np.ndarray, variant: str, k: int = 100) -> list[tuple[str, float]]:
        s = self.whole @ q
        if variant != "whole" and len(self.owner):
            best = np.maximum.reduceat(self.passages @ q, self.starts)
            rows = self.owner[self.starts]
            if variant == "max":
                s[rows] = np.maximum(s[rows], best)
            else:
                s[rows] = (s[rows] + best) / 2
        top = np.argpartition(-s, min(k, len(s) - 1))[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        return [(self.ids[i], float(s[i])) for i in top]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--collections", default="cranfield,cisi,cacm,scifact,nfcorpus-preprocessed")
    ap.add_argument("--homes", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/papersift-passages"))
    ap.add_argument(
        "--alphas", default="0.5", help="dense weights of the convex fusion to measure (default: the product's)"
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = [
        "| collection | papers | long abstracts | passages | encode s | tokens | variant | dense nDCG@10 "
        "| hybrid nDCG@10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.collections.split(","):
        collection = load_collection(args.shared / name)
        ctx = AppContext(load_settings(args.homes / name))
        store = ctx.indexes
        ids = [p.id for p in ctx.catalog.iter_all()]
        ids = [pid for pid in ids if pid in store.vectors]
        whole = np.stack([store.vectors.get(pid) for pid in ids]).astype(np.float32)  # type: ignore[misc]
        pvec, owner, cost = passages_of(ctx, ids, args.cache / f"{name}.npz")
        scorer = DenseScorer(ids, whole, pvec, owner)
        row_of = {pid: i for i, pid in enumerate(ids)}
        prefix = f"{collection.name}:"
        strip = len(prefix)
        queries = {qid: plain_query(text) for qid, text in collection.queries.items()}
        lexical = {qid: store.lexical.search(p, limit=100) for qid, p in queries.items()}
        qvec = {qid: ctx.search.embed_query(p.dense_text() or "") for qid, p in queries.items()}
        for variant, alpha in [(v, float(a)) for v in VARIANTS for a in args.alphas.split(",")]:
            dense_run, hybrid_run = {}, {}
            for qid in queries:
                den = scorer.top(qvec[qid], variant)
                fused = convex(lexical[qid], den, alpha)
                top = [whole[row_of[pid]] for pid, _ in fused[:FEEDBACK_DOCS]]
                fused = convex(lexical[qid], scorer.top(rocchio(qvec[qid], top), variant), alpha)
                dense_run[qid] = {pid[strip:]: s for pid, s in den}
                hybrid_run[qid] = {pid[strip:]: s for pid, s in fused[:100]}
            d, h = score(collection.qrels, dense_run), score(collection.qrels, hybrid_run)
            rows.append(
                f"| {name} | {len(ids)} | {int(cost['long_docs'])} | {len(owner)} | {cost['seconds']:.0f} | "
                f"{int(cost['tokens'])} | {variant}, alpha {alpha:g} | {d['ndcg@10']:.4f} | {h['ndcg@10']:.4f} |"
            )
            print(rows[-1], file=sys.stderr)
        ctx.close()
    table = "\n".join(rows)
    print(table)
    if args.out:
        args.out.write_text(f"{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Synthetic arXiv-like corpora of any size, built from real text and real embeddings.

    .venv/bin/python benchmarks/scale_corpus.py --papers 100000 --out DIR [--shared ../shared/data]

Writes DIR/corpus.jsonl.gz (the layout of ../shared/data/arxiv-daily-cs, ingested with the
`beir` source), DIR/vectors.npy (float16, row i = record i) and DIR/ids.txt (record i's id),
then prints a structure check.

How a record is made (deterministic for a given --seed):
* text: a *seed* paper is drawn from the demo corpus (3,417 real cs.* papers whose real
  MiniLM-int8 vectors ship in src/papersift/demo/vectors.npz) and a *partner* from the seed's
  10 nearest real neighbours. The title joins the head of the seed's title to the tail of the
  partner's; the abstract keeps the seed's first sentence, then mixes the seed's and partner's
  other sentences, plus one or two sentences of a random paper of the whole real pool
  (arxiv-daily-cs + arxiv-quant-ph, ~91k abstracts), so the vocabulary is the pool's.
  Authors, categories and primary category are the seed's; a quarter of records get an
  author of a random pool paper.
* vector (the documented synthetic method): normalize(w * v_seed + (1 - w) * v_partner +
  NOISE * g / sqrt(384)) with w ~ U(0.5, 1) and g standard normal. Mixing two real neighbours
  keeps vectors on the real data's manifold (topics, cluster sizes); the noise keeps the
  ~300 descendants of each seed at 1M apart. The printed check compares the nearest-neighbour
  cosine distribution of these vectors with the real ones.
* ids/dates: new-style arXiv ids (YYMM.NNNN before 2015, YYMM.NNNNN since, as arXiv) numbered
  within each month; submission dates
  2007-04..2026-10, yearly volume growing 12%/year like arXiv's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from papersift.demo import PAPERS, VECTORS

NOISE = 0.5  # chosen so same-size synthetic nn1 cosine is near the real one (printed check)
FIRST_DAY, LAST_DAY = date(2007, 4, 1), date(2026, 10, 31)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def load_pool(shared: Path) -> list[dict]:
    """Real records (title, text, authors) of the shared arXiv corpora: the text pool."""
    pool = []
    for name in ("arxiv-daily-cs", "arxiv-quant-ph"):
        path = shared / name / "corpus.jsonl.gz"
        if not path.exists():
            sys.exit(f"scale_corpus: {path} is missing (pass --shared DIR holding the shared data)")
        pool += [r for r in _read_jsonl(path) if r.get("title") and r.get("text")]
    return pool


def load_seeds() -> tuple[list[dict], np.ndarray]:
    """Demo papers with their real vectors, in matching order."""
    papers = {p["id"]: p for p in _read_jsonl(PAPERS)}
    with np.load(VECTORS, allow_pickle=False) as data:
        ids = [str(x) for x in data["ids"]]
        vectors = np.asarray(data["vectors"], dtype=np.float32)
    keep = [i for i, pid in enumerate(ids) if pid in papers and papers[pid].get("abstract")]
    return [papers[ids[i]] for i in keep], vectors[keep]


def month_plan(n: int, rng: np.random.Generator) -> list[date]:
    """n submission dates with arXiv-like growth (12%/year), sorted."""
    days = (LAST_DAY - FIRST_DAY).days + 1
    offsets = np.arange(days)
    weights = np.exp(0.12 * offsets / 365.25)
    picked = np.sort(rng.choice(offsets, size=n, p=weights / weights.sum()))
    return [FIRST_DAY + timedelta(days=int(d)) for d in picked]


def nearest_partners(vectors: np.ndarray, k: int = 10) -> np.ndarray:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    return np.argsort(-sims, axis=1)[:, :k]


def make_vectors(
    seed_idx: np.ndarray, partner_idx: np.ndarray, seeds: np.ndarray, rng: np.random.Generator, chunk: int = 100_000
) -> np.ndarray:
    out = np.empty((len(seed_idx), seeds.shape[1]), dtype=np.float16)
    for start in range(0, len(seed_idx), chunk):
        s, p = seed_idx[start : start + chunk], partner_idx[start : start + chunk]
        w = rng.uniform(0.5, 1.0, size=(len(s), 1)).astype(np.float32)
        noise = rng.standard_normal((len(s), seeds.shape[1])).astype(np.float32) * (NOISE / np.sqrt(seeds.shape[1]))
        v = w * seeds[s] + (1 - w) * seeds[p] + noise
        out[start : start + len(s)] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def make_record(pid: str, day: date, seed: dict, partner: dict, extra: dict, rnd: random.Random) -> dict:
    words, other = seed["title"].split(), partner["title"].split()
    cut = rnd.randint(min(2, len(words)), max(2, len(words) - 1))
    title = " ".join(words[:cut] + other[min(cut, len(other) - 1) :]) if len(other) > 1 else seed["title"]
    mine, theirs = _SENTENCE.split(seed["abstract"]), _SENTENCE.split(partner["abstract"])
    body = rnd.sample(mine[1:], k=len(mine[1:]) // 2) + rnd.sample(theirs, k=(len(theirs) + 1) // 2)
    foreign = _SENTENCE.split(extra["text"])
    body += rnd.sample(foreign, k=min(len(foreign), rnd.randint(1, 2)))
    rnd.shuffle(body)
    authors = list(seed.get("authors") or [])
    if extra.get("authors") and rnd.random() < 0.25:
        authors.append(rnd.choice(extra["authors"]))
    return {
        "_id": pid,
        "title": title,
        "text": " ".join([mine[0], *body]),
        "authors": authors,
        "categories": seed.get("categories") or [],
        "primary_category": seed.get("primary_category"),
        "date": day.isoformat(),
    }


def generate(n: int, out: Path, shared: Path, seed: int = 42) -> dict[str, float]:
    """Write corpus.jsonl.gz + vectors.npy for n records into `out`; returns the structure check."""
    rng, rnd = np.random.default_rng(seed), random.Random(seed)
    pool = load_pool(shared)
    seeds, seed_vectors = load_seeds()
    partners = nearest_partners(seed_vectors)
    seed_idx = rng.integers(0, len(seeds), size=n)
    partner_idx = partners[seed_idx, rng.integers(0, partners.shape[1], size=n)]
    out.mkdir(parents=True, exist_ok=True)
    per_month: dict[tuple[int, int], int] = defaultdict(int)
    tmp = out / ".corpus.jsonl.gz.tmp"
    ids = []
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as fh:
        for i, day in enumerate(month_plan(n, rng)):
            per_month[(day.year, day.month)] += 1
            number = per_month[(day.year, day.month)]
            width = 5 if day.year >= 2015 else 4
            if number >= 10**width:
                sys.exit(f"scale_corpus: more than {10**width - 1} papers in {day:%Y-%m}; arXiv ids cannot number them")
            ids.append(f"{day.year % 100:02d}{day.month:02d}.{number:0{width}d}")
            record = make_record(
                ids[-1], day, seeds[seed_idx[i]], seeds[partner_idx[i]], pool[rnd.randrange(len(pool))], rnd
            )
            fh.write(json.dumps(record) + "\n")
    tmp.replace(out / "corpus.jsonl.gz")
    (out / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    vectors = make_vectors(seed_idx, partner_idx, seed_vectors, rng)
    np.save(out / "vectors.npy", vectors)
    return structure_check(seed_vectors, vectors.astype(np.float32), rng)


def structure_check(
    real: np.ndarray, synthetic: np.ndarray, rng: np.random.Generator, probes: int = 300
) -> dict[str, float]:
    """Mean cosine to the 1st and 10th nearest neighbour, real vs synthetic (same probe count)."""

    def nn(matrix: np.ndarray) -> tuple[float, float]:
        picks = rng.choice(len(matrix), size=min(probes, len(matrix)), replace=False)
        first, tenth = [], []
        for start in range(0, len(picks), 50):
            sims = matrix[picks[start : start + 50]] @ matrix.T
            sims[np.arange(sims.shape[0]), picks[start : start + 50]] = -1.0
            top = -np.sort(-np.partition(sims, -10, axis=1)[:, -10:], axis=1)
            first += top[:, 0].tolist()
            tenth += top[:, 9].tolist()
        return float(np.mean(first)), float(np.mean(tenth))

    real_1, real_10 = nn(real)
    same_size = synthetic[rng.choice(len(synthetic), size=min(len(real), len(synthetic)), replace=False)]
    small_1, small_10 = nn(same_size)
    syn_1, syn_10 = nn(synthetic)
    return {
        "real_nn1": real_1,
        "real_nn10": real_10,
        "synthetic_same_size_nn1": small_1,
        "synthetic_same_size_nn10": small_10,
        "synthetic_nn1": syn_1,
        "synthetic_nn10": syn_10,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    check = generate(args.papers, args.out, args.shared, args.seed)
    print(json.dumps({k: round(v, 4) for k, v in check.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Simulated libraries from real arXiv listings, and their cached MiniLM vectors.

The arXiv daily-listing corpus (shared/data/arxiv-daily-cs) has each paper's primary category
and the day it was first listed. A "library" is every paper of one primary category listed in
three consecutive months (the most recent LIBRARY_CAP of them, as the recommender caps a real
library); the papers to find are that category's papers of the fourth month; the candidates
are *all* papers listed in the fourth month. The crawl followed different categories at
different times, so two periods are used, each with the small categories it covers well.

Embedding ~14k abstracts takes minutes on 2 cores, so vectors are cached (by paper id) in
`$PAPERSIFT_BENCH_CACHE` (default /tmp/papersift-recommend-vectors.npz) and reused.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ARXIV = SHARED / "arxiv-daily-cs" / "corpus.jsonl.gz"
HF = SHARED / "hf-daily-papers" / "corpus.jsonl.gz"
CACHE = Path(os.environ.get("PAPERSIFT_BENCH_CACHE", "/tmp/papersift-recommend-vectors.npz"))
PERIODS = {"A": (("2025-03", "2025-04", "2025-05"), "2025-06"), "B": (("2026-01", "2026-02", "2026-03"), "2026-04")}
LIBRARY_CAP = 300  # the most recent papers of a library (the recommender's own cap is larger)
MIN_LIBRARY, MIN_HELD_OUT, MAX_HELD_OUT_SHARE = 40, 10, 0.10
NEGATIVES = 1000  # random papers of the library months: the onboarding benchmark's rating pool


@dataclass
class Record:
    id: str
    title: str
    abstract: str
    authors: list[str]
    category: str
    day: date


@dataclass
class Task:
    """One simulated library: recommend `held_out` from `candidates`, given `library`."""

    name: str
    library: list[Record]
    held_out: set[str]
    candidates: list[Record]
    negatives: list[Record]
    today: date  # the first day of the test month: library ages are measured from here


def load_records(path: Path = ARXIV) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [
        Record(
            r["_id"],
            r["title"],
            r["text"],
            r.get("authors") or [],
            r["primary_category"],
            date.fromisoformat(r["date"]),
        )
        for r in rows
    ]


def hf_upvotes(path: Path = HF) -> dict[str, int]:
    """HF daily-papers upvotes by arXiv id (the popularity signal where it is known)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {d["_id"]: int(d.get("upvotes") or 0) for d in map(json.loads, fh)}


def make_tasks(records: list[Record], seed: int = 13, negatives: int = NEGATIVES) -> list[Task]:
    """The simulated libraries; each gets `negatives` random papers of its library months (pass
    the recommender's own discover.recommend.NEGATIVES to measure what it does). The first
    NEGATIVES of them are the same whatever `negatives` is, so runs with more stay comparable."""
    tasks = []
    for label, (lib_months, test_month) in PERIODS.items():
        month = {r.id: r.day.isoformat()[:7] for r in records}
        candidates = [r for r in records if month[r.id] == test_month]
        past = [r for r in records if month[r.id] in lib_months]
        drawn = random.Random(f"{seed}:{label}").sample(past, min(negatives, NEGATIVES))
        if negatives > NEGATIVES:  # more: the same first NEGATIVES, then others (a uniform sample all the same)
            taken = {r.id for r in drawn}
            rest = [r for r in past if r.id not in taken]
            drawn += random.Random(f"{seed}:{label}:more").sample(rest, negatives - NEGATIVES)
        for category in sorted({r.category for r in past}):
            library = sorted((r for r in past if r.category == category), key=lambda r: (r.day, r.id))
            held = {r.id for r in candidates if r.category == category}
            if (
                len(library) < MIN_LIBRARY
                or len(held) < MIN_HELD_OUT
                or len(held) > MAX_HELD_OUT_SHARE * len(candidates)
            ):
                continue
            first = date.fromisoformat(test_month + "-01")
            kept = library[-LIBRARY_CAP:]
            ids = {r.id for r in kept}
            # unlabeled, like a real catalog's: other categories and this one's papers beyond the cap
            tasks.append(
                Task(f"{category} {test_month}", kept, held, candidates, [r for r in drawn if r.id not in ids], first)
            )
    return tasks


def vectors_for(records: list[Record]) -> dict[str, np.ndarray]:
    """MiniLM (int8) vectors of these records, embedding only those not cached yet."""
    from papersift.encoder.embed import load_encoder, paper_text

    cached: dict[str, np.ndarray] = {}
    if CACHE.exists():
        with np.load(CACHE, allow_pickle=False) as data:
            cached = dict(zip((str(i) for i in data["ids"]), data["vectors"], strict=True))
    missing = list({r.id: r for r in records if r.id not in cached}.values())
    if missing:
        encoder = load_encoder("minilm-int8")
        started = time.perf_counter()
        for i in range(0, len(missing), 512):
            chunk = missing[i : i + 512]
            vecs = encoder.encode([paper_text(r.title, r.abstract) for r in chunk])
            cached.update(zip((r.id for r in chunk), vecs, strict=True))
            ids = list(cached)
            np.savez(CACHE, ids=np.array(ids), vectors=np.stack([cached[k] for k in ids]))
            rate = (i + len(chunk)) / (time.perf_counter() - started)
            print(f"embedded {i + len(chunk)}/{len(missing)} ({rate:.0f}/s)", flush=True)
    return cached


if __name__ == "__main__":
    all_tasks = make_tasks(load_records())
    needed = [r for t in all_tasks for r in (*t.library, *t.candidates, *t.negatives)]
    print(f"{len(all_tasks)} tasks: {', '.join(t.name for t in all_tasks)}; {len({r.id for r in needed})} papers")
    vectors_for(needed)

"""Related-work quality on real arXiv listings (`arxiv-daily-cs`), through `RelatedService`.

A seeded random sample of the corpus is ingested into a throwaway home and indexed (lexical +
MiniLM int8 vectors; the home is kept in $PAPERSIFT_BENCH_HOME, default
/tmp/papersift-related-bench, and reused when its sample matches). Two tasks:

1. Draft = a real paper's abstract (title not given). Reported: MRR of the paper itself, the
   share of queries where it comes first, category precision@20 (results other than the paper
   itself that share its primary category) and category+month precision@20 (same primary
   category and same listing month), next to what a random pick would give (the sample's share
   of papers with that category / category+month).
2. A `.bib` of N papers of one primary category (a real BibTeX file with eprint ids and titles,
   no abstracts); 20% of them are hidden and the rest are the references. Reported: recall of
   the hidden papers among the top K results that are not already cited, next to the recall a
   random pick of K papers of that same category would have (K / papers of the category left).

Usage: python benchmarks/related.py [--sample 4000] [--queries 200] [--bib-size 50] [--bibs 12]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.paper import Paper, make_paper
from papersift.search.references import parse_references

DATA = Path(os.environ.get("PAPERSIFT_SHARED_DATA", "/work/shared/data")) / "arxiv-daily-cs" / "corpus.jsonl.gz"
HOME = Path(os.environ.get("PAPERSIFT_BENCH_HOME", "/tmp/papersift-related-bench"))
SEED = 17


def load_sample(n: int) -> list[Paper]:
    with gzip.open(DATA, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    rows.sort(key=lambda r: r["_id"])
    picked = random.Random(SEED).sample(rows, n)
    return [
        make_paper(
            source="arxiv-daily",
            arxiv_id=r["_id"],
            title=r["title"],
            abstract=r["text"],
            authors=r["authors"],
            categories=r["categories"],
            announced=date.fromisoformat(r["date"]),
        )
        for r in picked
    ]


def open_home(papers: list[Paper]) -> AppContext:
    marker = HOME / "sample.txt"
    wanted = f"{len(papers)} {SEED}"
    ctx = AppContext(load_settings(HOME))
    if not (marker.exists() and marker.read_text() == wanted):
        ctx.catalog.upsert(papers)
        started = time.monotonic()
        run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
        print(f"indexed {len(papers)} papers in {time.monotonic() - started:.0f} s", file=sys.stderr)
        marker.write_text(wanted)
    return ctx


def month(p: Paper) -> str:
    d = p.listing_date or p.work_date
    return d.isoformat()[:7] if d else ""


def draft_task(ctx: AppContext, papers: list[Paper], n_queries: int) -> dict[str, float]:
    cats = Counter(p.primary_category for p in papers)
    cat_months = Counter((p.primary_category, month(p)) for p in papers)
    rr, firsts, p_cat, p_cat_month, base_cat, base_cm = [], [], [], [], [], []
    for p in random.Random(SEED + 1).sample(papers, n_queries):
        hits = ctx.related.related(p.abstract, limit=21).hits
        ids = [h.paper.id for h in hits]
        rank = ids.index(p.id) + 1 if p.id in ids else None
        rr.append(1 / rank if rank else 0.0)
        firsts.append(1.0 if rank == 1 else 0.0)
        others = [h.paper for h in hits if h.paper.id != p.id][:20]
        p_cat.append(sum(o.primary_category == p.primary_category for o in others) / 20)
        p_cat_month.append(sum((o.primary_category, month(o)) == (p.primary_category, month(p)) for o in others) / 20)
        base_cat.append((cats[p.primary_category] - 1) / (len(papers) - 1))
        base_cm.append((cat_months[(p.primary_category, month(p))] - 1) / (len(papers) - 1))
    mean = statistics.fmean
    return {
        "queries": n_queries,
        "MRR(self)": mean(rr),
        "self at rank 1": mean(firsts),
        "category P@20": mean(p_cat),
        "category P@20, random": mean(base_cat),
        "category+month P@20": mean(p_cat_month),
        "category+month P@20, random": mean(base_cm),
    }


def bibtex(papers: list[Paper]) -> str:
    return "\n".join(
        f"@article{{ref{i},\n  title = {{{p.title}}},\n  eprint = {{{p.id}}},\n  archivePrefix = {{arXiv}}\n}}"
        for i, p in enumerate(papers)
    )


def bib_task(
    ctx: AppContext, papers: list[Paper], size: int, n_bibs: int, ks: tuple[int, ...]
) -> list[dict[str, object]]:
    by_cat: dict[str, list[Paper]] = {}
    for p in papers:
        by_cat.setdefault(p.primary_category or "", []).append(p)
    eligible = sorted(c for c, members in by_cat.items() if len(members) >= 2 * size)
    rng = random.Random(SEED + 2)
    rows = []
    for i in range(n_bibs):
        cat = eligible[i % len(eligible)]
        members = rng.sample(by_cat[cat], size)
        hidden, refs = members[: size // 5], members[size // 5 :]
        parsed = parse_references(bibtex(refs))
        result = ctx.related.related(citations=parsed.papers, limit=max(ks), hide_cited=True)
        assert len(result.cited) == len(refs), "every reference is in the catalog"
        fresh = [h.paper.id for h in result.hits]
        hidden_ids = {p.id for p in hidden}
        pool = len(by_cat[cat]) - len(refs)
        row: dict[str, object] = {"category": cat, "papers of category": len(by_cat[cat])}
        for k in ks:
            row[f"recall@{k}"] = len(hidden_ids & set(fresh[:k])) / len(hidden_ids)
            row[f"random@{k}"] = min(1.0, k / pool)
            row[f"cat P@{k}"] = sum(ctx.catalog.get(pid).primary_category == cat for pid in fresh[:k]) / k  # type: ignore[union-attr]
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=4000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--bib-size", type=int, default=50)
    ap.add_argument("--bibs", type=int, default=12)
    args = ap.parse_args()
    papers = load_sample(args.sample)
    ctx = open_home(papers)
    print(f"## Draft = a paper's abstract ({args.sample} papers sampled from arxiv-daily-cs, seed {SEED})\n")
    for name, value in draft_task(ctx, papers, args.queries).items():
        print(f"- {name}: {value:.3f}" if isinstance(value, float) else f"- {name}: {value}")
    ks = (20, 50, 100)
    rows = bib_task(ctx, papers, args.bib_size, args.bibs, ks)
    print(f"\n## .bib of {args.bib_size} papers of one primary category, 20% hidden ({len(rows)} bibs)\n")
    cols = ["category", "papers of category"] + [f"{m}@{k}" for k in ks for m in ("recall", "random")]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in cols) + " |")
    summary = [f"recall@{k} {statistics.fmean(float(r[f'recall@{k}']) for r in rows):.3f}" for k in ks]  # type: ignore[arg-type]
    summary += [f"random@{k} {statistics.fmean(float(r[f'random@{k}']) for r in rows):.3f}" for k in ks]  # type: ignore[arg-type]
    summary += [f"cat P@{k} {statistics.fmean(float(r[f'cat P@{k}']) for r in rows):.3f}" for k in ks]  # type: ignore[arg-type]
    print("\nmean: " + "; ".join(summary))
    ctx.close()


if __name__ == "__main__":
    main()

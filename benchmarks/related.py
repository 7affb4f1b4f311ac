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
3. A topical `.bib`: the papers of one research group, i.e. every paper of the whole corpus
   that two given people co-authored (a pair of names that appears together on at least
   `--group-min` papers; a pair is far less ambiguous than one common name). Those papers are
   added to the sample; 20% of each group's papers are hidden and the rest are the references.
   The service sees titles and abstracts only (not authors), so finding the hidden ones measures
   topical coherence. Reported: recall@K of the hidden papers against two chance levels, a random
   pick of K papers from the whole catalog and from the group's own primary category.

Usage: python benchmarks/related.py [--sample 4000] [--queries 200] [--bib-size 50] [--bibs 12]
       [--groups 12] [--group-min 8] [--tasks draft,category,group]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from itertools import combinations
from pathlib import Path

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.paper import Paper, make_paper
from papersift.search.references import parse_references

DATA = Path(os.environ.get("PAPERSIFT_SHARED_DATA", "/work/shared/data")) / "arxiv-daily-cs" / "corpus.jsonl.gz"
HOME = Path(os.environ.get("PAPERSIFT_BENCH_HOME", "/tmp/papersift-related-bench"))
SEED = 17


def load_rows() -> list[dict[str, object]]:
    with gzip.open(DATA, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    rows.sort(key=lambda r: r["_id"])
    return rows


def to_paper(r: dict[str, object]) -> Paper:
    return make_paper(
        source="arxiv-daily",
        arxiv_id=r["_id"],
        title=r["title"],
        abstract=r["text"],
        authors=r["authors"],
        categories=r["categories"],
        announced=date.fromisoformat(str(r["date"])),
    )


def load_sample(rows: list[dict[str, object]], n: int) -> list[Paper]:
    return [to_paper(r) for r in random.Random(SEED).sample(rows, n)]


def research_groups(
    rows: list[dict[str, object]], n_groups: int, min_papers: int, max_papers: int = 30
) -> list[list[Paper]]:
    """`n_groups` disjoint sets of papers, each the papers two people co-authored (seeded pick
    among the pairs with at least `min_papers` joint papers; at most `max_papers` kept)."""
    joint: dict[tuple[str, str], list[dict[str, object]]] = {}
    for r in rows:
        names = sorted(set(r["authors"]))  # type: ignore[call-overload]
        if len(names) <= 12:  # large consortium papers pair everyone with everyone
            for pair in combinations(names, 2):
                joint.setdefault(pair, []).append(r)
    pairs = sorted(p for p, papers in joint.items() if len(papers) >= min_papers)
    random.Random(SEED + 3).shuffle(pairs)
    groups, used = [], set()
    for pair in pairs:
        ids = {str(r["_id"]) for r in joint[pair]}
        if ids & used:
            continue  # the same group through another pair of its members
        used |= ids
        groups.append([to_paper(r) for r in joint[pair][:max_papers]])
        if len(groups) == n_groups:
            break
    return groups


def open_home(papers: list[Paper]) -> AppContext:
    """The benchmark home holding exactly these papers' ids, indexed; papers already in it are
    not written again, so a larger catalog only embeds the new ones."""
    marker = HOME / "sample.txt"
    ids = sorted(p.id for p in papers)
    wanted = f"{len(papers)} {SEED} {hashlib.sha1(' '.join(ids).encode()).hexdigest()}"
    ctx = AppContext(load_settings(HOME))
    if not (marker.exists() and marker.read_text() == wanted):
        present = ctx.catalog.get_many(ids)
        ctx.catalog.upsert([p for p in papers if p.id not in present])
        started = time.monotonic()
        run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
        print(f"indexed {len(papers) - len(present)} new papers in {time.monotonic() - started:.0f} s", file=sys.stderr)
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


def group_task(
    ctx: AppContext, groups: list[list[Paper]], catalog_size: int, ks: tuple[int, ...]
) -> list[dict[str, object]]:
    by_cat = Counter(p.primary_category for p in ctx.catalog.iter_all())
    rows = []
    for members in groups:
        hidden, refs = members[: max(2, len(members) // 5)], members[max(2, len(members) // 5) :]
        parsed = parse_references(bibtex(refs))
        result = ctx.related.related(citations=parsed.papers, limit=max(ks), hide_cited=True)
        assert len(result.cited) == len(refs), "every reference is in the catalog"
        fresh = [h.paper.id for h in result.hits]
        hidden_ids = {p.id for p in hidden}
        cat = Counter(p.primary_category for p in members).most_common(1)[0][0]
        row: dict[str, object] = {"papers": len(members), "hidden": len(hidden), "category": cat}
        for k in ks:
            row[f"recall@{k}"] = len(hidden_ids & set(fresh[:k])) / len(hidden_ids)
            row[f"random@{k}"] = min(1.0, k / (catalog_size - len(refs)))
            row[f"cat random@{k}"] = min(1.0, k / max(1, by_cat[cat] - len(refs)))
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, object]], cols: list[str]) -> None:
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in cols) + " |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=4000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--bib-size", type=int, default=50)
    ap.add_argument("--bibs", type=int, default=12)
    ap.add_argument("--groups", type=int, default=12)
    ap.add_argument("--group-min", type=int, default=8)
    ap.add_argument("--tasks", default="draft,category,group")
    args = ap.parse_args()
    tasks = set(args.tasks.split(","))
    rows = load_rows()
    papers = load_sample(rows, args.sample)
    groups = research_groups(rows, args.groups, args.group_min) if "group" in tasks else []
    sampled = {p.id for p in papers}
    catalog = papers + [p for g in groups for p in g if p.id not in sampled]
    ctx = open_home(catalog)
    ks = (20, 50, 100)
    if "draft" in tasks:
        print(f"## Draft = a paper's abstract ({args.sample} papers sampled from arxiv-daily-cs, seed {SEED})\n")
        for name, value in draft_task(ctx, papers, args.queries).items():
            print(f"- {name}: {value:.3f}" if isinstance(value, float) else f"- {name}: {value}")
    if "category" in tasks:
        cat_rows = bib_task(ctx, papers, args.bib_size, args.bibs, ks)
        print(f"\n## .bib of {args.bib_size} papers of one primary category, 20% hidden ({len(cat_rows)} bibs)\n")
        print_table(
            cat_rows, ["category", "papers of category"] + [f"{m}@{k}" for k in ks for m in ("recall", "random")]
        )
        summary = [f"recall@{k} {statistics.fmean(float(r[f'recall@{k}']) for r in cat_rows):.3f}" for k in ks]  # type: ignore[arg-type]
        summary += [f"random@{k} {statistics.fmean(float(r[f'random@{k}']) for r in cat_rows):.3f}" for k in ks]  # type: ignore[arg-type]
        summary += [f"cat P@{k} {statistics.fmean(float(r[f'cat P@{k}']) for r in cat_rows):.3f}" for k in ks]  # type: ignore[arg-type]
        print("\nmean: " + "; ".join(summary))
    if "group" in tasks:
        group_rows = group_task(ctx, groups, len(catalog), ks)
        print(
            f"\n## .bib of one research group's papers (pairs of co-authors with >= {args.group_min} joint papers"
            f" in the full corpus), 20% hidden ({len(group_rows)} groups; catalog {len(catalog)} papers)\n"
        )
        cols = ["papers", "hidden", "category"] + [f"{m}@{k}" for k in ks for m in ("recall", "cat random", "random")]
        print_table(group_rows, cols)
        means = [
            f"{m}@{k} {statistics.fmean(float(r[f'{m}@{k}']) for r in group_rows):.3f}"  # type: ignore[arg-type]
            for k in ks
            for m in ("recall", "cat random", "random")
        ]
        print("\nmean: " + "; ".join(means))
    ctx.close()


if __name__ == "__main__":
    main()

"""Measure the trending score (papersift.community.trending) on the real HF daily-papers data.

The data (shared/data/hf-daily-papers/corpus.jsonl.gz) holds ONE upvote snapshot per paper,
taken hours after it was featured — not a time series. So this script
1. checks how often a paper was captured more than once (the only direct evidence of growth);
2. compares papers captured on their featured day with those captured a day later, within the
   same month (a cross-sectional hint of how much votes still grow after day 0);
3. replays the real sequence of featured days: each day, rank the papers featured in the last
   14 days by the decayed score (votes frozen at the snapshot) for several gravities, and
   reports what the top 10 looks like: share of today's papers, mean age, share of the
   pool's best vote total kept, turnover and dwell time.
What it cannot show: how votes on a paper evolve after the snapshot, hence which gravity best
predicts *future* interest. Usage: python benchmarks/trending.py [CORPUS]
"""

from __future__ import annotations

import gzip
import json
import math
import statistics
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

from papersift.community.trending import GRAVITY, trending_score

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "hf-daily-papers" / "corpus.jsonl.gz"
GRAVITIES = (0.0, 0.5, 1.0, 1.2, 1.5, 1.8, 2.5, 4.0)
POOL_DAYS, TOP = 14, 10


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def day(value: str) -> date:
    return date.fromisoformat(value[:10])


def snapshots(rows: list[dict]) -> None:
    ids = Counter(r["_id"] for r in rows)
    recaptured = sum(1 for r in rows if r["first_captured_date"] != r["captured_date"])
    print(f"records {len(rows)}, unique papers {len(ids)}, rows per paper max {max(ids.values())}")
    print(
        f"papers featured in more than one daily capture: {recaptured} "
        f"(only the later snapshot's counts survive, so no paper has two vote observations)"
    )
    votes = sorted(r["upvotes"] for r in rows)
    q = statistics.quantiles(votes, n=100)
    print(f"upvotes: median {statistics.median(votes)}, p90 {q[89]:.0f}, p99 {q[98]:.0f}, max {votes[-1]}")


def capture_lag(rows: list[dict]) -> None:
    by_lag: dict[int, list[int]] = defaultdict(list)
    by_month: dict[tuple[str, int], list[int]] = defaultdict(list)
    for r in rows:
        lag = (day(r["captured_date"]) - day(r["daily_date"])).days
        by_lag[min(lag, 2)].append(r["upvotes"])
        if lag in (0, 1):
            by_month[(r["daily_date"][:7], lag)].append(r["upvotes"])
    print("\ncapture lag (captured - featured) | papers | median upvotes | mean upvotes")
    for lag, votes in sorted(by_lag.items()):
        print(
            f"{'>=2' if lag == 2 else lag:>3} days | {len(votes):5d} | {statistics.median(votes):5.1f} | "
            f"{statistics.mean(votes):5.1f}"
        )
    ratios, weights = [], []
    for (month, lag), votes in by_month.items():
        base = by_month.get((month, 0))
        if lag == 1 and base and len(votes) >= 5:
            ratios.append(statistics.median(votes) / max(statistics.median(base), 1))
            weights.append(len(votes))
            print(
                f"  {month}: lag-0 n={len(base)} median {statistics.median(base)}, "
                f"lag-1 n={len(votes)} median {statistics.median(votes)}"
            )
    mean_ratio = sum(r * w for r, w in zip(ratios, weights, strict=True)) / sum(weights)
    print(
        f"same-month median ratio lag1/lag0: {mean_ratio:.2f} over {len(ratios)} months "
        f"({sum(weights)} lag-1 papers); gravity g with 2**g = ratio: {math.log2(mean_ratio):.2f}"
    )


def replay(rows: list[dict]) -> None:
    featured: dict[date, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        featured[day(r["daily_date"])].append((r["_id"], r["upvotes"]))
    days = sorted(featured)
    print(
        f"\nreplay over {len(days)} featured days, pool = papers featured in the last {POOL_DAYS} days, "
        f"top {TOP}, offset 1 day (shipped gravity: {GRAVITY})"
    )
    print("gravity | today's share | mean age (d) | votes kept | distinct/slots | mean dwell (d)")
    for g in GRAVITIES:
        fresh = ages = kept = slots = 0.0
        seen: Counter[str] = Counter()
        for d in days:
            pool = [
                (pid, v, fd)
                for fd in (d - timedelta(days=i) for i in range(POOL_DAYS))
                if fd in featured
                for pid, v in featured[fd]
            ]

            def key(x: tuple[str, int, date], d: date = d, g: float = g) -> tuple[float, int, str]:
                return -trending_score(x[1], 0, x[2], d, g), -x[2].toordinal(), x[0]

            top = sorted(pool, key=key)[:TOP]
            best = sum(sorted((v for _, v, _ in pool), reverse=True)[:TOP]) or 1
            fresh += sum(fd == d for _, _, fd in top) / len(top)
            ages += statistics.mean((d - fd).days for _, _, fd in top)
            kept += sum(v for _, v, _ in top) / best
            slots += len(top)
            seen.update(pid for pid, _, _ in top)
        n = len(days)
        print(
            f"{g:7.1f} | {fresh / n:13.2f} | {ages / n:12.2f} | {kept / n:10.2f} | "
            f"{len(seen) / slots:14.2f} | {statistics.mean(seen.values()):14.2f}"
        )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows = load(path)
    snapshots(rows)
    capture_lag(rows)
    replay(rows)


if __name__ == "__main__":
    main()

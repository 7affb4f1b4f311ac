"""The trending score: votes divided by a power of the paper's age ("gravity" decay).

    score = (external_upvotes + local_upvotes) / (age_days + OFFSET_DAYS) ** GRAVITY

`external_upvotes` is the largest imported count (e.g. Hugging Face daily-papers upvotes),
`local_upvotes` the votes cast on this instance, `age_days` the whole days between the paper's
feed day (announced, else submitted) and the moment the ranking is for. Within one day every
paper has the same age, so a daily feed is simply ordered by votes; across a week or month the
decay lets fresh papers overtake older ones unless those have clearly more votes. Power-law
rather than exponential decay keeps a very popular paper visible for a few days instead of
vanishing overnight. GRAVITY = 1.2 comes from the real HF daily-papers data
(`benchmarks/trending.py`): papers snapshotted a day after being featured have 2.2x the median
votes of same-month papers snapshotted on the day, so a day of age must cost at least 2.2x
(2**g >= 2.2, g >= 1.14) or today's papers would be buried under yesterday's merely for being
younger. Figures and limits: benchmarks/results/trending.md and docs/web.md.
"""

from __future__ import annotations

from datetime import date

from papersift.paper import Paper

GRAVITY = 1.2
OFFSET_DAYS = 1.0


def trending_score(external: int, local: int, day: date | None, at: date, gravity: float = GRAVITY) -> float:
    """Decayed score of a paper first seen on `day`, as of `at` (undated papers count as old)."""
    votes = max(external, 0) + max(local, 0)
    age = max((at - day).days, 0) if day else 365
    return float(votes / (age + OFFSET_DAYS) ** gravity)


def external_upvotes(paper: Paper) -> int:
    """The largest imported upvote count (the same number the catalog stores as external_upvotes)."""
    return max((p.upvotes or 0 for p in paper.popularity), default=0)

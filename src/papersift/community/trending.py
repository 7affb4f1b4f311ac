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

A paper with no votes yet (announced this morning) can carry a *prior*: the impact model's
predicted upvotes (`discover.impact`, docs/impact.md). It counts as votes while there are none
and fades as real votes arrive: `votes + prior * PRIOR_FADE / (PRIOR_FADE + votes)`, so it
weighs fully at 0 votes, half once the paper has PRIOR_FADE votes, and little after that.
The prior only orders papers; pages show it as "predicted", never as votes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from papersift.paper import Paper

GRAVITY = 1.2
OFFSET_DAYS = 1.0
PRIOR_FADE = 5.0  # real votes at which the prior counts half (benchmarks/results/impact.md)


@dataclass(frozen=True)
class Prior:
    """A paper's predicted upvotes and the features that drove the prediction, in words."""

    votes: float
    reasons: tuple[str, ...] = ()


class PriorSource(Protocol):
    """Where listings get predictions from (implemented by `discover.impact_service.ImpactPriors`)."""

    def priors(self, paper_ids: Sequence[str]) -> Mapping[str, Prior]: ...


def trending_score(
    external: int, local: int, day: date | None, at: date, gravity: float = GRAVITY, prior: float | None = None
) -> float:
    """Decayed score of a paper first seen on `day`, as of `at` (undated papers count as old).

    `prior`: predicted upvotes, fading as real votes arrive (see the module docstring)."""
    votes = float(max(external, 0) + max(local, 0))
    if prior is not None and prior > 0:
        votes += prior * PRIOR_FADE / (PRIOR_FADE + votes)
    age = max((at - day).days, 0) if day else 365
    return float(votes / (age + OFFSET_DAYS) ** gravity)


def external_upvotes(paper: Paper) -> int:
    """The largest imported upvote count (the same number the catalog stores as external_upvotes)."""
    return max((p.upvotes or 0 for p in paper.popularity), default=0)

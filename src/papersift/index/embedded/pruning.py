"""Exact top-k of an OR query without scoring every match: MaxScore (Turtle & Flood 1995) as tantivy queries.

Why: tantivy-py 0.27 always wraps its top-k collector in a MultiCollector, so tantivy's own
block-WAND never runs, and an OR of a few title words walks and scores every paper containing
any of them (a median ~417k of 1M papers, 35% of a hybrid query; docs/DECISIONS.md D60, D71).

How, staying exact. Each scored clause (one query word in one field: `text`, `authors`, `title`)
is BM25, whose term-frequency part is below 1 (times k1 + 1), so a clause never adds more than
`boost * idf * (k1 + 1)` (`Clause.bound`; a phrase's idf is the sum of its words'). Given `theta`,
a score the k-th best paper certainly reaches, the clauses with the smallest bounds summing below
`theta` are *non-essential*: a paper matching none of the other (*essential*) clauses cannot
reach the top k. So the pruned query walks only the essential clauses' postings (a scored OR,
required) and adds each non-essential clause's score by seeking its postings to the candidate:
each sits alone as the optional side of its own nesting level, `Boolean(MUST inner, SHOULD c)`,
which tantivy runs as a `RequiredOptionalScorer` that only seeks the optional side when scoring
a candidate (several optional clauses in one level would form a union that refills a 4,096-doc
window of each on every seek: measured slower). `theta` is the k-th best *full* score among the
papers matching the rarest clauses (the same query shape with those clauses essential): every
score it returns is a true full score, so the k-th best of them is at most the final k-th best.
Scores are the unpruned query's (the same clause scores summed in another order: float32
rounding differs in the last bits) and so are the top k, up to ties at the k-th score.

Seeking costs more per candidate than walking does per posting, so a cost model (measured at
1M papers, D71) chooses the plain walk whenever the rare clauses are not rare or theta prunes
too little; that fallback is exactly the unpruned query.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy
from tantivy import Occur, Query

K1 = 1.2  # tantivy's BM25 k1: a clause scores boost * idf * (k1 + 1) * tf / (tf + k1 * norm)
BOUND_MARGIN = 1.001  # float32 scores against float64 bounds: a bound may only err upward
THETA_POSTINGS = 4  # theta's pass walks the rarest clauses until their postings reach this many times k
# Relative costs per posting (D71, calibrated on thread CPU at 1M papers): walking the plain OR 1,
# walking an essential clause and scoring its candidate 1.5, seeking one optional clause to it 3.
WALK_COST, SEEK_COST = 1.5, 3.0
THETA_SHARE = 0.25  # theta's pass may cost at most this share of the plain walk
# An estimated total with phrases is their range's middle, given while within this share of it: the
# independence assumption itself errs by 4.4% at the 90th percentile at 1M papers; with phrases
# inside 5% of spread, 5.9% (D71, D80)
PHRASE_SPREAD = 0.05


@dataclass(frozen=True, eq=False)  # identity: two clauses are never the same posting walk
class Clause:
    """One scored leaf of an OR query: a term or phrase in one field, with its BM25 boost."""

    query: Query
    field: str
    tokens: tuple[str, ...]
    boost: float
    doc_freq: int  # papers containing its rarest token (a phrase matches at most these)
    bound: float  # no paper's score from this clause exceeds it


def clause(searcher: tantivy.Searcher, query: Query, field: str, tokens: Sequence[str], boost: float) -> Clause:
    """A clause with its document frequency and score bound read from the index's statistics
    (the same `num_docs` and `doc_freq` tantivy's BM25 weight reads). For a phrase the
    frequency is its rarest word's: an upper bound of its postings."""
    n = searcher.num_docs
    freqs = [searcher.doc_freq(field, t) for t in tokens]
    idf = sum(math.log(1 + (n - df + 0.5) / (df + 0.5)) for df in freqs)
    return Clause(query, field, tuple(tokens), boost, min(freqs, default=0), boost * idf * (K1 + 1) * BOUND_MARGIN)


@dataclass(frozen=True)
class Plan:
    """What a top-k search walked: for the benchmark and the tests."""

    pruned: bool
    theta: float  # the k-th best score of the rare-clause pass (0.0 when it did not run)
    passes: int  # searches run (theta's, the final one)
    walked: int  # postings the last pass walked: every clause's when not pruned


Hits = list[tuple[float, tantivy.DocAddress]]


def nested(required: Query, optional: Sequence[Clause]) -> Query:
    """`required`'s matches, scored by it plus every optional clause a match contains, each
    optional clause at its own nesting level so that tantivy seeks it per candidate."""
    query = required
    for c in optional:
        query = Query.boolean_query([(Occur.Must, query), (Occur.Should, c.query)])
    return query


def restricted(essential: Sequence[Clause], rest: Sequence[Clause]) -> Query:
    """Papers matching an essential clause, with their full score over every clause."""
    union = (
        essential[0].query if len(essential) == 1 else Query.boolean_query([(Occur.Should, c.query) for c in essential])
    )
    return nested(union, rest)


def theta_clauses(clauses: Sequence[Clause], k: int) -> list[Clause]:
    """The rarest clauses whose postings together reach THETA_POSTINGS * k."""
    chosen, postings = [], 0
    for c in sorted(clauses, key=lambda c: c.doc_freq):
        chosen.append(c)
        postings += c.doc_freq
        if postings >= THETA_POSTINGS * k:
            break
    return chosen


def split(clauses: Sequence[Clause], theta: float) -> tuple[list[Clause], list[Clause]]:
    """(essential, non-essential): the longest run of smallest bounds summing below `theta` is
    non-essential (a paper with only those scores less than theta, so less than the k-th best)."""
    ordered = sorted(clauses, key=lambda c: c.bound)
    total, cut = 0.0, 0
    for c in ordered:
        if total + c.bound >= theta:
            break
        total += c.bound
        cut += 1
    return ordered[cut:], ordered[:cut]


def _cost(walked: Sequence[Clause], seeked: int) -> float:
    return sum(c.doc_freq for c in walked) * (WALK_COST + SEEK_COST * seeked)


@dataclass(frozen=True)
class _ThetaPass:
    query: Query
    cost: float
    union: list[Clause]  # the clauses it walks as an OR ([] for a conjunction)


def _theta_passes(live: Sequence[Clause], k: int, num_docs: int) -> list[_ThetaPass]:
    """Two ways to find k true full scores cheaply: the papers matching the rarest clauses (an
    OR), or the papers matching both of the two rarest clauses of the main field (an AND: fewer
    candidates, higher scores; it seeks the second per paper of the first)."""
    rare = theta_clauses(live, k)
    others = [c for c in live if c not in rare]
    passes = [_ThetaPass(restricted(rare, others), _cost(rare, len(others)), rare)]
    postings: dict[str, int] = {}
    for c in live:
        postings[c.field] = postings.get(c.field, 0) + c.doc_freq
    main = max(postings, key=lambda f: postings[f])
    pair = sorted((c for c in live if c.field == main), key=lambda c: c.doc_freq)[:2]
    survivors = pair[0].doc_freq * pair[1].doc_freq / num_docs if len(pair) == 2 and num_docs > 0 else 0.0
    if survivors >= THETA_POSTINGS * k:  # papers with both, if the two occurred independently
        both = Query.boolean_query([(Occur.Must, pair[0].query), (Occur.Must, pair[1].query)])
        cost = pair[0].doc_freq * SEEK_COST + survivors * (WALK_COST + SEEK_COST * (len(live) - 2))
        passes.append(_ThetaPass(nested(both, [c for c in live if c not in pair]), cost, []))
    return sorted(passes, key=lambda p: p.cost)


def top_k(
    searcher: tantivy.Searcher, clauses: Sequence[Clause], plain: Query, k: int, *, force: bool = False
) -> tuple[Hits, Plan]:
    """The k best (score, address) of `plain`, the OR of `clauses`, exactly: pruned when the cost
    model expects it to pay, else `plain` itself (never counted). `force` (tests): prune whenever
    theta allows, whatever the cost model says, so small collections exercise the pruned path."""
    live = [c for c in clauses if c.doc_freq > 0]  # a clause no paper matches adds nothing
    everything = sum(c.doc_freq for c in clauses)
    cheapest = _theta_passes(live, k, searcher.num_docs)[0] if len(live) > 1 else None
    passes = 0
    if cheapest is not None and (force or cheapest.cost <= THETA_SHARE * everything):
        first = searcher.search(cheapest.query, k, count=False).hits
        passes = 1
        if len(first) >= k:
            theta = float(first[-1][0])
            essential, skipped = split(live, theta)
            if essential and skipped and (force or _cost(essential, len(skipped)) < everything):
                walked = sum(c.doc_freq for c in essential)
                if all(c in cheapest.union for c in essential):  # theta's pass already was the pruned search
                    return _hits(first), Plan(True, theta, passes, sum(c.doc_freq for c in cheapest.union))
                hits = searcher.search(restricted(essential, skipped), k, count=False).hits
                return _hits(hits), Plan(True, theta, passes + 1, walked)
    hits = searcher.search(plain, k, count=False).hits
    return _hits(hits), Plan(False, 0.0, passes + 1, everything)


def _hits(hits: Sequence[tuple[float, tantivy.DocAddress]]) -> Hits:
    return [(float(score), address) for score, address in hits]


def estimated_matches(words: Sequence[Sequence[Clause]], num_docs: int) -> int | None:
    """How many papers match OR(words), assuming words (and a word's fields) occur independently:
    N * (1 - prod_w (1 - p_w)), p_w = 1 - prod_f (1 - df_wf / N) the share of papers containing
    word w in any of its fields.

    A phrase's share is unknown without walking it: it lies between none and its rarest word's.
    The estimate takes the middle of the two totals, and exists only while they are within
    PHRASE_SPREAD of it (the phrase is a small part of a big answer, as a hyphenated word among
    common ones is); otherwise None, and the caller counts exactly (D80)."""
    if num_docs <= 0:
        return 0
    miss_low = miss_high = 1.0  # share of papers matching nothing, phrases matching none / at most
    for word in words:
        for c in word:
            share = min(c.doc_freq, num_docs) / num_docs
            miss_high *= 1.0 - share
            if len(c.tokens) == 1:
                miss_low *= 1.0 - share
    low, high = num_docs * (1.0 - miss_low), num_docs * (1.0 - miss_high)
    middle = (low + high) / 2
    if high - low > 2 * PHRASE_SPREAD * middle:
        return None
    return round(middle)

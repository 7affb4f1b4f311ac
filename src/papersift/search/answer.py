"""What a search answer is, the same in every ranking mode: which papers may appear, how many
there are, and how much of the catalog the meaning index covers.

Keyword search answers with the papers matching the query (any optional word; every phrase,
`+word`, `AND` and `-word` the query requires). Meaning and hybrid search rank by embedding,
which has no notion of "matching": left alone they return the nearest vectors of anything,
gibberish included, and ignore quoted phrases. So both are held to the query's *required part*
(`required_filter`): what keyword search demands of every result, minus only the "at least one
of the optional plain words" rule — relaxing that rule is what meaning search is for. The
required part is expressed as a filter AST, so the exact filter paths both index backends
already have for `cat:`/`au:` apply to it unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from papersift.query import normalize
from papersift.query import syntax as q


def _all(parts: Sequence[q.Node]) -> q.Node | None:
    return None if not parts else parts[0] if len(parts) == 1 else q.And(tuple(parts))


def _any(parts: Sequence[q.Node]) -> q.Node | None:
    return None if not parts else parts[0] if len(parts) == 1 else q.Or(tuple(parts))


def match_filter(node: q.Node) -> q.Node | None:
    """The exact keyword-match condition of a text node as a filter AST (in filter ASTs, groups
    are real ANDs and ORs). None when the node constrains nothing (e.g. only stop words)."""
    if isinstance(node, (q.Term, q.Phrase)):
        return node
    if isinstance(node, q.Required):
        return match_filter(node.item)
    must, should, must_not = _clauses(node)
    positive = must or ([alt] if (alt := _any(should)) is not None else [])
    return _all([*positive, *(q.Not(n) for n in must_not)])


def required_filter(node: q.Node | None) -> q.Node | None:
    """What every result must satisfy in every mode, as a filter AST; None when nothing is required.

    A lone plain word is not required (meaning search exists to find papers that use other
    words); a phrase, a field-restricted word (`ti:x`), `+x`, `-x` and `a AND b` are.
    Alternatives (`"a b" OR "c d"`, or several optional phrases) are required only when every
    alternative is itself required.
    """
    if node is None or isinstance(node, q.Term) and node.field is None:
        return None
    if isinstance(node, (q.Term, q.Phrase)):
        return node
    if isinstance(node, (q.Required, q.And)):
        return match_filter(node)
    if isinstance(node, q.Not):
        inner = match_filter(node.item)
        return None if inner is None else q.Not(inner)
    must, should, must_not = _clauses(node)
    parts = [*must, *(q.Not(n) for n in must_not)]
    if not must and should:
        alternatives = [required_filter(item) for occ, item in normalize.clauses(node) if occ == "should"]
        if all(a is not None for a in alternatives):
            parts.append(_any([a for a in alternatives if a is not None]))  # type: ignore[arg-type]
    return _all([p for p in parts if p is not None])


def _clauses(node: q.Node) -> tuple[list[q.Node], list[q.Node], list[q.Node]]:
    """A group's (must, should, must-not) children as `query.normalize.clauses` decides, each
    turned into its match filter; children that constrain nothing are dropped."""
    out: tuple[list[q.Node], list[q.Node], list[q.Node]] = ([], [], [])
    slot = {"must": 0, "should": 1, "must_not": 2}
    for occurrence, item in normalize.clauses(node):
        sub = match_filter(item)
        if sub is not None:
            out[slot[occurrence]].append(sub)
    return out


def constrained(parsed: q.ParsedQuery) -> q.ParsedQuery:
    """`parsed` with its required text part ANDed into the filters: what meaning search may return."""
    required = required_filter(parsed.text)
    if required is None:
        return parsed
    return q.ParsedQuery(parsed.text, _all([*_conjuncts(parsed.filters), required]))


Kind = Literal["matches", "nearest"]


@dataclass
class Answer:
    """Ranked candidates and the true size of the answer they start.

    `kind` "matches": `total` papers match the query; "nearest": meaning search ranks `total`
    papers by closeness (it has no match set). `keyword_matches` is set in hybrid mode: how many
    of the `total` also match the query's words (0: the page offers meaning-only results), and
    `extras` are the others: the papers meaning search added, which facets must count too.
    `exact` False: the keyword matches in `total` (and `keyword_matches`) are an estimate from the
    words' document frequencies, for OR queries so common that counting them would cost the walk
    over every match that the pruned top-k avoids (docs/DECISIONS.md D71); shown as "about N".
    """

    candidates: list[tuple[str, float]]
    total: int
    kind: Kind = "matches"
    keyword_matches: int | None = None
    extras: list[str] = field(default_factory=list)
    exact: bool = True


@dataclass(frozen=True)
class Coverage:
    """How many of the indexed papers have a vector (meaning search sees only those), and how many
    of those vectors are provisional (static-encoder stand-ins awaiting the full model)."""

    with_vectors: int
    papers: int
    provisional: int = 0

    @property
    def partial(self) -> bool:
        return 0 < self.with_vectors < self.papers

    @property
    def percent(self) -> float:
        return min(100.0, 100.0 * self.with_vectors / self.papers) if self.papers else 100.0

    def keyword_notice(self) -> str | None:
        """What a keyword index holding fewer papers than the meaning index means (None otherwise).

        The indexer brings the keyword index up to date before it embeds, so fewer keyword papers
        than vectors means it is being rebuilt (an older papersift's or a damaged index) or is behind."""
        if self.papers >= self.with_vectors:
            return None
        return (
            f"The keyword index holds {self.papers:,} papers, fewer than the meaning index's {self.with_vectors:,}: "
            "it is being rebuilt or is behind, so keyword matches and totals miss the rest until `papersift index` "
            "finishes."
        )

    def notice(self, mode: str) -> str | None:
        """What a partial or provisional index means for this mode's results (None when it is complete)."""
        if mode == "lexical" or not (self.partial or self.provisional):
            return None
        parts = []
        if self.partial:
            share = f"{self.with_vectors:,} of {self.papers:,} papers ({self.percent:.0f}%)"
            effect = (
                "meaning results come from those papers only"
                if mode == "dense"
                else "papers without a vector are ranked by their keywords alone"
            )
            parts.append(f"The meaning index has vectors for {share}: {effect}.")
        if self.provisional:
            parts.append(
                f"{self.provisional:,} of its {self.with_vectors:,} vectors are provisional (a fast approximate "
                "encoder), so meaning ranking is rougher for those papers until the full model replaces them."
            )
        parts.append("Run `papersift index` to finish it.")
        return " ".join(parts)


def impute_missing(
    lexical: Sequence[tuple[str, float]], dense: Sequence[tuple[str, float]], missing: set[str]
) -> list[tuple[str, float]]:
    """The dense list plus a stand-in score for keyword hits that have no vector yet.

    A paper without a vector would otherwise score 0 on the meaning side and sink below every
    paper that has one, so a partly built index would rank by who was embedded first. Its
    stand-in is its keyword score mapped onto the dense list's score range (min-max, as both
    fusions see it), so fusing the two gives it its keyword rank on both sides.
    """
    if not missing or not dense or not lexical:
        return list(dense)
    lex_scores = [s for _, s in lexical]
    lex_lo, lex_span = min(lex_scores), max(lex_scores) - min(lex_scores)
    den_scores = [s for _, s in dense]
    den_lo, den_span = min(den_scores), max(den_scores) - min(den_scores)
    extra = [
        (pid, den_lo + ((s - lex_lo) / lex_span if lex_span > 0 else 1.0) * den_span)
        for pid, s in lexical
        if pid in missing
    ]
    return sorted([*dense, *extra], key=lambda kv: -kv[1])


def keyword_condition(parsed: q.ParsedQuery) -> q.Node | None:
    """What keyword search requires of a paper (its words' match condition and the filters) as one
    filter AST, so `filter_among` can tell which of a few papers keyword search would list without
    ranking anything. None when nothing is required (the words constrain nothing, no filters)."""
    words = match_filter(parsed.text) if parsed.text is not None else None
    return _all([*([words] if words is not None else []), *_conjuncts(parsed.filters)])


def _conjuncts(node: q.Node | None) -> tuple[q.Node, ...]:
    return () if node is None else node.items if isinstance(node, q.And) else (node,)

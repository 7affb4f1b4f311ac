"""What a query's text means, decided once for every backend that compiles it.

Both compilers (tantivy in `index.embedded.lexical`, Milvus in `index.milvus.expr`) read a
text group through `clauses`, so the two backends cannot drift on which words are required,
optional or excluded, or on which stop words are dropped.
"""

from __future__ import annotations

from typing import Literal

from papersift.query import syntax as q

Occurrence = Literal["must", "should", "must_not"]

# Lucene's English stop list. Dropped from optional (OR-ed) query words when other words remain:
# they match nearly every abstract, so at 1M papers "benchmark for evaluating" scored and counted
# ~970k matches where "benchmark evaluating" touches a few percent, for a BM25 contribution
# near zero (docs/DECISIONS.md D18). Phrases and required words keep them.
QUERY_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)


def is_stopword(node: q.Node) -> bool:
    """An optional plain word from QUERY_STOPWORDS (never a phrase, a required word or an exclusion)."""
    return isinstance(node, q.Term) and node.text.lower() in QUERY_STOPWORDS


def clauses(node: q.Node) -> list[tuple[Occurrence, q.Node]]:
    """A text group's children with how each must occur, Lucene-style: in a sequence or OR plain
    items are optional ("should"), in AND required; `+x` is required and `-x` excluded (the
    returned node is then the item inside). Optional stop words are dropped while another
    optional or required word remains."""
    if isinstance(node, q.Not):
        items: tuple[q.Node, ...] = (node,)
    elif isinstance(node, (q.Seq, q.Or, q.And)):
        items = node.items
    else:
        raise TypeError(f"not a text group: {node!r}")  # callers handle single words and +x themselves
    required_group = isinstance(node, q.And)
    if not required_group and any(not is_stopword(c) for c in items if not isinstance(c, q.Not)):
        items = tuple(c for c in items if not is_stopword(c))
    out: list[tuple[Occurrence, q.Node]] = []
    for child in items:
        if isinstance(child, q.Not):
            out.append(("must_not", child.item))
        elif isinstance(child, q.Required):
            out.append(("must", child.item))
        else:
            out.append(("must" if required_group else "should", child))
    return out

"""Query AST -> Milvus boolean expression, plus an exact Python check for what Milvus cannot say.

Milvus filter expressions have `text_match` (any of the given tokens), array and range tests,
but no phrases and no "these tokens in this order within one author". Each node therefore
compiles to a `Cond`: a Milvus expression that matches a *superset* of the right papers, and a
flag saying whether it is exact. Only inexact queries (phrases, multi-word author names, words
that analyse to several tokens such as "state-of-the-art", category prefixes containing `_`)
fetch the candidates' tokens and run `matches()`, which applies the full semantics in Python.
A negated inexact condition cannot be compiled (NOT of a superset is a subset), so it becomes
"anything" and `matches()` alone decides.

The boolean semantics are those of the embedded index (papersift.index.embedded.lexical): in text,
plain items of a sequence are optional unless none is required, `+x`/AND are required, `-x`
excludes; filters use exact boolean logic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from papersift.index.milvus.analysis import author_terms, name_tokens, stems
from papersift.query import normalize
from papersift.query import syntax as q

T = TypeVar("T")
TEXT_FIELD = {None: "text", "title": "title_toks", "abstract": "abstract_toks"}
FALSE = 'id == ""'  # ids are never empty


@dataclass(frozen=True)
class Cond:
    """`expr` None means "every paper"; `exact` False means `matches()` must confirm."""

    expr: str | None
    exact: bool = True


ANY = Cond(None)


def literal(value: str) -> str:
    """A Milvus string literal (JSON escaping is what the expression grammar accepts)."""
    return json.dumps(value, ensure_ascii=False)


def all_of(conds: Iterable[Cond]) -> Cond:
    conds = list(conds)
    parts = [c.expr for c in conds if c.expr is not None]
    expr = None if not parts else parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
    return Cond(expr, all(c.exact for c in conds))


def any_of(conds: Iterable[Cond]) -> Cond:
    conds = list(conds)
    exact = all(c.exact for c in conds)
    if not conds:
        return Cond(FALSE)
    if any(c.expr is None for c in conds):
        return Cond(None, exact)
    exprs = [c.expr for c in conds]
    return Cond(exprs[0] if len(exprs) == 1 else " or ".join(f"({e})" for e in exprs), exact)


def negate(cond: Cond) -> Cond:
    if not cond.exact:
        return Cond(None, False)
    return Cond(FALSE) if cond.expr is None else Cond(f"not ({cond.expr})")


def _tokens_cond(field: str, tokens: Sequence[str]) -> Cond:
    """Every token present (exact for one token; a superset of the phrase for several)."""
    cond = all_of(Cond(f"text_match({field}, {literal(t)})") for t in dict.fromkeys(tokens))
    return Cond(cond.expr, len(tokens) == 1)


def query_terms(node: q.Term | q.Phrase) -> tuple[list[str], list[str]]:
    """(stems for title/abstract, `au_` words for authors) of a word or phrase; no authors when
    the word is fielded (ti:/abs:)."""
    return stems(node.text), author_terms(node.text) if node.field is None else []


def leaf(node: q.Term | q.Phrase) -> Cond | None:
    """A word or phrase; None when it analyses to nothing (the embedded index drops it too)."""
    words, names = query_terms(node)
    if not words and not names:
        return None
    if len(words) <= 1 and len(names) <= 1:  # one token per field kind: exact
        return Cond(f"text_match({TEXT_FIELD[node.field]}, {literal(' '.join(words + names))})")
    either = [_tokens_cond(TEXT_FIELD[node.field], toks) for toks in (words, names) if toks]
    return Cond(any_of(either).expr, False)


def text(node: q.Node) -> Cond | None:
    """The scored text part as a match condition (None: no clause, as in the embedded index)."""
    if isinstance(node, (q.Term, q.Phrase)):
        return leaf(node)
    if isinstance(node, q.Required):
        return text(node.item)
    must, should, must_not = _buckets(node, text)
    if not (must or should or must_not):
        return None
    positive = all_of(must) if must else any_of(should) if should else ANY
    return all_of([positive, *(negate(c) for c in must_not)])


def _buckets(node: q.Node, compile_: Callable[[q.Node], T | None]) -> tuple[list[T], list[T], list[T]]:
    """A text group's children compiled into (must, should, must-not) as `query.normalize.clauses`
    decides; children compiling to None (words that analyse to nothing) are dropped."""
    out: tuple[list[T], list[T], list[T]] = ([], [], [])
    slot = {"must": 0, "should": 1, "must_not": 2}
    for occurrence, item in normalize.clauses(node):
        if (sub := compile_(item)) is not None:
            out[slot[occurrence]].append(sub)
    return out


def filters(node: q.Node) -> Cond:
    """Exact boolean logic over category, date, author, id and text filters."""
    if isinstance(node, q.CategoryFilter):
        value = node.value.lower()
        if not node.prefix:
            return Cond(f"array_contains(cats, {literal(value)})")
        # `cat_text` is "|cs.cl|cs.lg|"; `_` is a LIKE wildcard, so such prefixes are checked again
        return Cond(f"cat_text like {literal('%|' + value + '%')}", "_" not in value)
    if isinstance(node, q.DateRange):
        lo = node.start.toordinal() if node.start else 1  # undated papers have day 0
        parts = [f"day >= {lo}"] + ([f"day <= {node.end.toordinal()}"] if node.end else [])
        return Cond(" and ".join(parts))
    if isinstance(node, q.AuthorFilter):
        tokens = name_tokens(node.name)
        return _tokens_cond("author_toks", tokens) if tokens else Cond(FALSE)
    if isinstance(node, q.IdFilter):
        return Cond(f"id == {literal(node.id)}")
    if isinstance(node, (q.Term, q.Phrase)):
        return leaf(node) or Cond(FALSE)
    if isinstance(node, q.Required):
        return filters(node.item)
    if isinstance(node, q.Or):
        return any_of(filters(c) for c in node.items)
    items = (node,) if isinstance(node, q.Not) else node.items
    return all_of(negate(filters(c.item)) if isinstance(c, q.Not) else filters(c) for c in items)


# --- the exact check, on fetched rows --------------------------------------------------------

VERIFY_FIELDS = ["id", "title_toks", "abstract_toks", "authors", "cats", "day"]


class Doc:
    """Token lists of one fetched row, built lazily (most checks need one field)."""

    def __init__(self, row: dict[str, Any]):
        self.row = row
        self._seqs: dict[str, list[tuple[bool, list[str]]]] = {}
        self._names: list[list[str]] | None = None

    def tokens(self, field: str | None) -> list[tuple[bool, list[str]]]:
        """(is_author, token sequence) a phrase may fall within (each author separately)."""
        key = field or "text"
        if key not in self._seqs:
            title, abstract = self.row["title_toks"].split(), self.row["abstract_toks"].split()
            seqs = {"title": [(False, title)], "abstract": [(False, abstract)]}.get(key)
            if seqs is None:
                seqs = [(False, title), (False, abstract), *((True, name) for name in self.names())]
            self._seqs[key] = seqs
        return self._seqs[key]

    def names(self) -> list[list[str]]:
        if self._names is None:
            self._names = [name_tokens(a) for a in self.row["authors"]]
        return self._names


def _contains(seq: list[str], tokens: list[str], slop: int = 0) -> bool:
    """`tokens` in order in `seq`, with at most `slop` extra words in between in total."""
    first = tokens[0]
    for start, tok in enumerate(seq):
        if tok != first:
            continue
        pos, gaps = start, 0
        for want in tokens[1:]:
            nxt = next((i for i in range(pos + 1, min(len(seq), pos + 2 + slop - gaps)) if seq[i] == want), None)
            if nxt is None:
                break
            gaps += nxt - pos - 1
            pos = nxt
        else:
            return True
    return False


def _leaf_matches(node: q.Term | q.Phrase, doc: Doc) -> bool | None:
    words, names = stems(node.text), name_tokens(node.text) if node.field is None else []
    if not words and not names:
        return None
    return any(
        _contains(seq, names if is_author else words)
        for is_author, seq in doc.tokens(node.field)
        if (names if is_author else words)
    )


def text_matches(node: q.Node, doc: Doc) -> bool | None:
    """`text()` evaluated exactly (None: no clause)."""
    if isinstance(node, (q.Term, q.Phrase)):
        return _leaf_matches(node, doc)
    if isinstance(node, q.Required):
        return text_matches(node.item, doc)
    must, should, must_not = _buckets(node, lambda child: text_matches(child, doc))
    if not (must or should or must_not):
        return None
    positive = all(must) if must else any(should) if should else True
    return positive and not any(must_not)


def filter_matches(node: q.Node, doc: Doc) -> bool:
    """`filters()` evaluated exactly."""
    row = doc.row
    if isinstance(node, q.CategoryFilter):
        value = node.value.lower()
        return any(c.startswith(value) if node.prefix else c == value for c in row["cats"])
    if isinstance(node, q.DateRange):
        lo = node.start.toordinal() if node.start else 1
        return lo <= row["day"] and (node.end is None or row["day"] <= node.end.toordinal())
    if isinstance(node, q.AuthorFilter):
        tokens = name_tokens(node.name)
        return bool(tokens) and any(_contains(name, tokens, slop=1) for name in doc.names())
    if isinstance(node, q.IdFilter):
        return bool(row["id"] == node.id)
    if isinstance(node, (q.Term, q.Phrase)):
        return bool(_leaf_matches(node, doc))
    if isinstance(node, q.Required):
        return filter_matches(node.item, doc)
    if isinstance(node, q.Or):
        return any(filter_matches(c, doc) for c in node.items)
    items = (node,) if isinstance(node, q.Not) else node.items
    return all(not filter_matches(c.item, doc) if isinstance(c, q.Not) else filter_matches(c, doc) for c in items)


STUB = {"id": "", "title_toks": "", "abstract_toks": "", "authors": [], "cats": [], "day": 0}  # a vector-only row


def _plain_or(node: q.Node) -> bool:
    """Bare one-token words joined by juxtaposition/OR: BM25's hits are exactly the matches."""
    if isinstance(node, q.Term):
        words, names = query_terms(node)
        return node.field is None and len(words) <= 1 and len(names) <= 1 and bool(words or names)
    return isinstance(node, (q.Seq, q.Or)) and all(_plain_or(c) for c in node.items)


BM25_FIELDS = {
    "title": "title_sparse",
    "abstract": "abstract_sparse",
    "authors": "author_sparse",
    "text": "ranked_sparse",
}
TITLE_EXTRA = "title_sparse+"  # bare words' title stems, scored in title_sparse only for a title boost > 1


def _bm25_words(node: q.Node) -> dict[str, list[str]]:
    """Each BM25 field's query words from the positive words and phrases (as the embedded index
    scores them: bare words in the BM25F-style field and authors, `ti:`/`abs:` in their field
    only; TITLE_EXTRA holds bare words' stems again for a title boost)."""
    out: dict[str, list[str]] = {f: [] for f in (*BM25_FIELDS.values(), TITLE_EXTRA)}
    if isinstance(node, (q.Term, q.Phrase)):
        for name in (node.field,) if node.field else ("text", "authors"):
            out[BM25_FIELDS[name]] += name_tokens(node.text) if name == "authors" else stems(node.text)
        if not node.field:
            out[TITLE_EXTRA] += stems(node.text)
    elif not isinstance(node, q.Not):
        kept = (
            [node.item]
            if isinstance(node, q.Required)
            else [item for occurrence, item in normalize.clauses(node) if occurrence != "must_not"]
        )
        for child in kept:
            for f, words in _bm25_words(child).items():
                out[f] += words
    return out


@dataclass(frozen=True)
class Plan:
    """A whole query compiled: `cond` (text and filters) for counting and listing, `filter_cond`
    (filters only) for a BM25 search, whose hits `bm25_exact` says need no text check."""

    parsed: q.ParsedQuery
    cond: Cond
    filter_cond: Cond
    bm25: dict[str, str]  # BM25 field -> its query words (positive words only; empty: nothing scored)
    bm25_exact: bool
    nothing: bool = False  # the query can match no paper

    def matches(self, row: dict[str, Any]) -> bool:
        doc = Doc(row)
        p = self.parsed
        if p.text is not None and text_matches(p.text, doc) is False:
            return False
        return p.filters is None or filter_matches(p.filters, doc)


def plan(parsed: q.ParsedQuery, has_text: str, extra: str | None = None) -> Plan:
    """Compile a parsed query. `has_text` (the "row has text" condition) is added only where a
    vector-only row could otherwise match (no text, no filter it fails); `extra` is ANDed in."""
    text_cond = text(parsed.text) if parsed.text is not None else None
    filt = filters(parsed.filters) if parsed.filters is not None else ANY
    nothing = parsed.text is not None and text_cond is None and parsed.filters is None
    bm25 = {f: " ".join(words) for f, words in _bm25_words(parsed.text).items() if words} if parsed.text else {}
    extras = [Cond(extra)] if extra else []
    draft = Plan(parsed, ANY, ANY, {}, False)
    if draft.matches(STUB) or parsed.filters is not None and "id == " in (filt.expr or ""):
        extras.append(Cond(has_text))
    cond = all_of([*extras, *([text_cond] if text_cond else []), filt])
    filter_cond = all_of([*extras, filt])
    bm25_exact = parsed.text is not None and _plain_or(parsed.text)
    return Plan(parsed, cond, filter_cond, bm25, bm25_exact, nothing)

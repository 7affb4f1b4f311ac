"""The search query language: text -> `ParsedQuery` (a scored text AST plus a filter AST).

Syntax
    graph neural networks    words; "quoted phrase"; ti:word / abs:"a phrase" (title / abstract only)
    au:hinton au:"G Hinton"  author filter; a quoted name must appear in that order
    cat:cs.CL  cat:cs.*      category filter, exact or prefix, case-insensitive
    id:2401.12345v2          id filter (arXiv version ignored)
    year:2020..2023  date:2024-01..2024-03  date:2024-01-15..  date:..2024
                             inclusive; endpoints YYYY, YYYY-MM or YYYY-MM-DD (an end month/year
                             means its last day); either end may be open
    a AND b, a OR b, NOT a, -a, -"phrase", -cat:x, +a, ( ... )   (long aliases: title: abstract:
                             author: category:)
Semantics (chosen for ranking quality, like most engines' defaults)
  * Juxtaposed words are optional ("should") clauses ranked by BM25, at least one must match:
    `graph neural networks for molecules` still finds papers lacking "for". `+word` is required,
    `a AND b` requires both. Precedence, tightest first: NOT/-/+, AND, OR, juxtaposition; so
    `a b AND c` is `a OR (b AND c)`. Operators are upper-case; `and`/`or`/`not` are plain words.
  * Filters (cat: au: id: year: date:) never change scores and apply to the whole query in every
    ranking mode. Juxtaposed filters are ANDed; filters combine exactly with AND/OR/NOT/() among
    themselves (`(cat:cs.CL OR cat:cs.AI) -year:2020`). OR'ing or negating a filter together
    with text (`a OR cat:x`) is an error: "this text or that category" has no sensible ranking.
    Groups mixing text and filters (`(a cat:x) b`) are flattened.
  * Top-level text exclusions (`-bert`) are filters too, so dense search honours them; an
    exclusion inside a text group (`(a -b) OR c`) stays local to it.
Input handling: control characters and lone surrogates are whitespace; typographic quotes are `"`;
words without a letter or digit (`-`, `&`) are ignored. A colon names a field only when the prefix
is letters and the value does not start with `/`: `3:1`, `Note:`, `https://...` are plain text,
`foo:bar` is an unknown-field error (quote it to search it literally). Over MAX_QUERY_CHARS
characters, MAX_TERMS terms or MAX_DEPTH nested parentheses is a QueryError naming the cap
(truncating would silently change the meaning). `parse` raises only QueryError, for any str.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from papersift.paper import parse_arxiv_id
from papersift.query.types import Filters, QueryError

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
MAX_DEPTH = 16
FIELDS = {
    "ti": "title",
    "title": "title",
    "abs": "abstract",
    "abstract": "abstract",
    "au": "author",
    "author": "author",
    "cat": "category",
    "category": "category",
    "id": "id",
    "year": "year",
    "date": "date",
}
_QUOTES = frozenset('"\u201c\u201d\u201e\u00ab\u00bb')
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z0-9._\-]*")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class _Node:
    """AST base. `pos` (offset in the query; -1 when built by hand) is ignored by ==."""

    pos: int = field(default=-1, compare=False, repr=False, kw_only=True)

    def __str__(self) -> str:
        return _render(self)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Text(_Node):
    text: str
    field: str | None = None  # None: title+abstract+authors; else "title" or "abstract"


class Term(_Text):
    """A word (several tokens, like "state-of-the-art", match as a phrase)."""


class Phrase(_Text):
    """Words that must appear adjacent and in order."""


@dataclass(frozen=True)
class CategoryFilter(_Node):
    value: str  # as typed; matched case-insensitively, as a prefix when `prefix`
    prefix: bool = False


@dataclass(frozen=True)
class DateRange(_Node):
    """Inclusive; None is open. `year:` parses to this too."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class AuthorFilter(_Node):
    name: str


@dataclass(frozen=True)
class IdFilter(_Node):
    id: str


@dataclass(frozen=True)
class _Unary(_Node):
    item: Node


class Not(_Unary):
    """Exclusion (a true complement inside filters)."""


class Required(_Unary):
    """`+item`: must match even inside a juxtaposition."""


@dataclass(frozen=True)
class _Group(_Node):
    items: tuple[Node, ...]


class Seq(_Group):
    """Juxtaposition: text items optional (>= 1 must match); filters and exclusions required."""


class Or(_Group):
    """Explicit OR."""


class And(_Group):
    """Explicit AND."""


Node = Term | Phrase | CategoryFilter | DateRange | AuthorFilter | IdFilter | Not | Required | Seq | Or | And
FILTER_TYPES = (CategoryFilter, DateRange, AuthorFilter, IdFilter)
_LEVEL = {Seq: 0, Or: 1, And: 2}
_JOIN = {Seq: " ", Or: " OR ", And: " AND "}


def _render(node: Node) -> str:
    """Query text that parses back to an equal node (a property the tests check)."""
    if isinstance(node, _Text):
        prefix = {"title": "ti:", "abstract": "abs:"}.get(node.field or "", "")
        return prefix + (node.text if isinstance(node, Term) else f'"{node.text}"')
    if isinstance(node, CategoryFilter):
        return f"cat:{node.value}{'*' if node.prefix else ''}"
    if isinstance(node, DateRange):
        grain = max(_grain(node.start, True), _grain(node.end, False))
        lo, hi = (d.isoformat()[: (4, 7, 10)[grain]] if d else "" for d in (node.start, node.end))
        return ("year:" if grain == 0 else "date:") + (lo if lo == hi else f"{lo}..{hi}")
    if isinstance(node, AuthorFilter):
        return f"au:{node.name}" if _bare_ok(node.name) else f'au:"{node.name}"'
    if isinstance(node, IdFilter):
        return f"id:{node.id}"
    if isinstance(node, _Unary):
        inner = f"({node.item})" if isinstance(node.item, (_Group, _Unary)) else str(node.item)
        return ("-" if isinstance(node, Not) else "+") + inner
    assert isinstance(node, (Seq, Or, And))  # every other node kind returned above
    level = _LEVEL[type(node)]
    return _JOIN[type(node)].join(f"({c})" if _level(c) <= level else str(c) for c in node.items)


def _level(node: Node) -> int:
    """Binding strength of a group kind (Seq < Or < And); leaves bind tightest."""
    return _LEVEL[type(node)] if isinstance(node, (Seq, Or, And)) else 9


def _grain(day: date | None, first: bool) -> int:
    """0/1/2: `day` can be written as a year / month / only a day (as a range start or end)."""
    if day is None or (day.month, day.day) == ((1, 1) if first else (12, 31)):
        return 0
    return 1 if day.day == (1 if first else calendar.monthrange(day.year, day.month)[1]) else 2


def _bare_ok(text: str) -> bool:
    return bool(text) and not any(c.isspace() or c in '()"' for c in text)


@dataclass(frozen=True)
class ParsedQuery:
    """`text`: the BM25-scored part; `filters`: the exact, non-scoring part (either may be None).

    `prose`: the query as typed, when it is plain words rather than query language (no fields,
    quotes, operators or filters); the dense side embeds it as is. MiniLM was trained on
    sentences: "role of IL-6?" embeds better than the word list "role of IL 6" (0.434 vs 0.421
    dense nDCG@10 on CISI, docs/DECISIONS.md D26). Not part of equality: it is how the query
    was written, not what it means.
    """

    text: Node | None = None
    filters: Node | None = None
    prose: str | None = field(default=None, compare=False)

    @property
    def is_empty(self) -> bool:
        return self.text is None and self.filters is None

    def dense_text(self) -> str:
        """What to embed: the prose as typed, else the positive words and phrases of the text
        part without prefixes."""
        if self.text is None:
            return ""
        return self.prose or " ".join(walk_positive(self.text))

    def with_filters(self, filters: Filters) -> ParsedQuery:
        """AND in UI/API filters: categories OR'ed (trailing `*` = prefix), authors OR'ed."""
        cats = [_category(c.strip(), None) for c in filters.categories if c.strip()]
        auths = [AuthorFilter(" ".join(a.split())) for a in filters.authors if a.strip()]
        extra: list[Node] = [g[0] if len(g) == 1 else Or(tuple(g)) for g in (cats, auths) if g]
        if filters.date_from or filters.date_to:
            extra.append(DateRange(filters.date_from, filters.date_to))
        if not extra:
            return self
        items = [*_conjuncts(self.filters), *extra]
        return ParsedQuery(self.text, items[0] if len(items) == 1 else And(tuple(items)), self.prose)

    def __str__(self) -> str:
        """Query text that parses back to an equal ParsedQuery (and is never longer than needed)."""
        text = self.text
        local_not = isinstance(text, Seq) and any(isinstance(c, Not) for c in text.items)
        parts = [] if text is None else [f"({text})" if local_not else str(text)]  # else it'd be hoisted
        parts += [f"({f})" if isinstance(f, Seq) else str(f) for f in _conjuncts(self.filters)]
        return " ".join(parts)


def _conjuncts(node: Node | None) -> tuple[Node, ...]:
    return () if node is None else node.items if isinstance(node, And) else (node,)


def walk_positive(node: Node) -> Iterator[str]:
    """Texts of the Terms/Phrases not under a Not, in query order."""
    if isinstance(node, _Text):
        yield node.text
    for child in (node.item,) if isinstance(node, Required) else getattr(node, "items", ()):
        yield from walk_positive(child)


# --- lexer: ( ) PHRASE WORD FIELD AND OR NOT - + ----------------------------------------------


@dataclass
class _Tok:
    kind: str
    pos: int
    value: str = ""
    name: str = ""  # FIELD: canonical field name
    typed: str = ""  # FIELD: the prefix as typed
    quoted: bool = False
    value_pos: int = 0


def _clean(text: str) -> str:
    """Same length as the input, so positions stay valid."""
    return "".join(
        " " if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") else '"' if ch in _QUOTES else ch for ch in text
    )


def _has_alnum(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)

    def phrase_end(start: int) -> int:
        if (end := text.find('"', start + 1)) < 0:
            raise QueryError('unbalanced quote: missing closing "', start)
        return end

    while i < n:
        ch = text[i]
        if ch in " ()":
            if ch != " ":
                toks.append(_Tok(ch, i))
            i += 1
        elif ch == '"':
            end = phrase_end(i)
            if _has_alnum(text[i + 1 : end]):
                toks.append(_Tok("PHRASE", i, _norm(text[i + 1 : end])))
            i = end + 1
        elif ch in "-+" and i + 1 < n and text[i + 1] not in " )":
            toks.append(_Tok(ch, i))
            i += 1
        else:
            j = i
            while j < n and text[j] not in ' ()"':
                j += 1
            word = unicodedata.normalize("NFC", text[i:j])
            colon = word.find(":")
            prefix, value = word[:colon], word[colon + 1 :]
            if word in ("AND", "OR", "NOT"):
                toks.append(_Tok(word, i))
            elif colon > 0 and prefix.lower() in FIELDS:
                tok = _Tok("FIELD", i, value, FIELDS[prefix.lower()], prefix, value_pos=i + colon + 1)
                if not value and j < n and text[j] == '"':
                    end = phrase_end(j)
                    tok.value, tok.quoted, j = _norm(text[j + 1 : end]), True, end + 1
                toks.append(tok)
            elif colon > 0 and prefix.isascii() and prefix.isalpha() and value and not value.startswith("/"):
                raise QueryError(
                    f"unknown field '{prefix}:'; fields are ti:, abs:, au:, cat:, id:, year:, "
                    f'date: (put "{word}" in quotes to search for it as text)',
                    i,
                )
            elif _has_alnum(word):
                toks.append(_Tok("WORD", i, word))
            i = j
    return toks


# --- parser: seq := or+ ; or := and (OR and)* ; and := unary (AND unary)* ; unary := (NOT|-|+)? atom


class _Parser:
    def __init__(self, toks: list[_Tok], length: int):
        self.toks, self.i, self.depth, self.leaves, self.length = toks, 0, 0, 0, length

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def seq(self) -> list[Node]:
        items = []
        while (tok := self.peek()) is not None and tok.kind != ")":
            items.append(self.binary("OR", lambda: self.binary("AND", self.unary, And), Or))
        return items

    def binary(self, op: str, sub: Callable[[], Node], cls: type[Or] | type[And]) -> Node:
        items = [sub()]
        while (tok := self.peek()) is not None and tok.kind == op:
            self.i += 1
            if (nxt := self.peek()) is None or nxt.kind in (")", "AND", "OR"):
                raise QueryError(f"{op} needs a term on both sides", tok.pos)
            items.append(sub())
        return items[0] if len(items) == 1 else cls(tuple(items), pos=items[0].pos)

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None or tok.kind not in ("NOT", "-", "+"):
            return self.atom()
        self.i += 1
        if (nxt := self.peek()) is None or nxt.kind not in ("(", "PHRASE", "WORD", "FIELD"):
            raise QueryError(
                f"'{tok.kind}' must be followed by a word, phrase, field or '('", nxt.pos if nxt else self.length
            )
        return (Required if tok.kind == "+" else Not)(self.atom(), pos=tok.pos)

    def atom(self) -> Node:
        if (tok := self.peek()) is None:
            raise QueryError("query ends where a term was expected", self.length)
        self.i += 1
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"parentheses nested too deeply (max {MAX_DEPTH} levels)", tok.pos)
            items = self.seq()
            if self.peek() is None:
                raise QueryError("unbalanced parenthesis: missing ')'", tok.pos)
            self.i, self.depth = self.i + 1, self.depth - 1
            if not items:
                raise QueryError("empty parentheses", tok.pos)
            return items[0] if len(items) == 1 else Seq(tuple(items), pos=tok.pos)
        if tok.kind == ")":
            raise QueryError("unbalanced parenthesis: ')' without '('", tok.pos)
        if tok.kind in ("AND", "OR"):
            raise QueryError(f"{tok.kind} needs a term on both sides", tok.pos)
        self.leaves += 1
        if self.leaves > MAX_TERMS:
            raise QueryError(f"too many terms (max {MAX_TERMS})", tok.pos)
        if tok.kind in ("PHRASE", "WORD"):
            return (Phrase if tok.kind == "PHRASE" else Term)(tok.value, pos=tok.pos)
        return _field_node(tok)


def _field_node(tok: _Tok) -> Node:
    value, where, name, typed = tok.value, tok.value_pos, tok.name, tok.typed
    if not value:
        raise QueryError(f"'{typed}:' needs a value (a word or a quoted phrase, no space after ':')", tok.pos)
    if name in ("title", "abstract", "author") and not _has_alnum(value):
        raise QueryError(f"'{typed}:' needs a word or a quoted phrase", where)
    if name in ("title", "abstract"):
        return (Phrase if tok.quoted else Term)(value, name, pos=tok.pos)
    if name == "author":
        return AuthorFilter(value, pos=tok.pos)
    if name == "category":
        return _category(value, where, tok.pos)
    if name == "id":
        if not _bare_ok(value):
            raise QueryError(f"invalid id '{value}'", where)
        parsed = parse_arxiv_id(value)
        return IdFilter(parsed.id if parsed else value, pos=tok.pos)
    lo, sep, hi = value.partition("..")
    hi = hi if sep else lo
    if not lo and not hi:
        raise QueryError("a date range needs at least one end", where)
    start = _endpoint(lo, where, name == "year", first=True) if lo else None
    end = _endpoint(hi, where + len(lo) + len(sep), name == "year", first=False) if hi else None
    if start and end and start > end:
        raise QueryError(f"empty date range '{value}' (start is after end)", where)
    return DateRange(start, end, pos=tok.pos)


def _category(value: str, where: int | None, pos: int = -1) -> CategoryFilter:
    core = value.removesuffix("*")
    if not _CATEGORY.fullmatch(core):
        raise QueryError(f"invalid category '{value}' (e.g. cat:cs.CL, or cat:cs.* for a prefix)", where)
    return CategoryFilter(core, core != value, pos=pos)


def _endpoint(text: str, where: int, year_only: bool, first: bool) -> date:
    m = _DATE.fullmatch(text)
    if not m or (year_only and m.group(2)):
        fmt = "YYYY" if year_only else "YYYY, YYYY-MM or YYYY-MM-DD"
        raise QueryError(f"invalid {'year' if year_only else 'date'} '{text}' (expected {fmt})", where)
    y, mo, d = int(m.group(1)), int(m.group(2) or (1 if first else 12)), m.group(3)
    try:
        return date(y, mo, int(d) if d else 1 if first else calendar.monthrange(y, mo)[1])
    except (ValueError, calendar.IllegalMonthError) as exc:
        raise QueryError(f"invalid {'year' if year_only else 'date'} '{text}'", where) from exc


# --- splitting the scored text from the filters -----------------------------------------------


def _kind(node: Node) -> str:
    """ "text", "filter" or "mixed"."""
    if isinstance(node, (FILTER_TYPES, _Text)):
        return "filter" if isinstance(node, FILTER_TYPES) else "text"
    kinds = {_kind(c) for c in _children(node)}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _children(node: Node) -> tuple[Node, ...]:
    return (node.item,) if isinstance(node, _Unary) else getattr(node, "items", ())


def _split(node: Node, texts: list[Node], filters: list[Node]) -> None:
    """Distribute the items of a node in a whole-query (conjunctive) position."""
    own: list[Node] = []
    for child in node.items if isinstance(node, (Seq, And)) else (node,):
        kind = _kind(child)
        if isinstance(child, (Seq, And)) and (kind != "text" or isinstance(node, And)):
            _split(child, own, filters)  # an And's items are conjunctive too
        elif kind == "filter" or (kind == "text" and isinstance(child, Not)):
            filters.append(child)
        elif kind == "text":
            own.append(child)
        else:
            raise QueryError(
                "a filter (cat:, au:, id:, year:, date:) cannot be OR'ed or negated together "
                "with text; use the filter on its own",
                _filter_pos(child),
            )
    if len(own) > 1:
        texts.append(And(tuple(own)) if isinstance(node, And) else Seq(tuple(own)))
    else:
        texts.extend(own)


def _filter_pos(node: Node) -> int:
    if isinstance(node, FILTER_TYPES):
        return max(node.pos, 0)
    return next((_filter_pos(c) for c in _children(node) if _kind(c) != "text"), max(node.pos, 0))


def parse(text: str, allow_empty: bool = False) -> ParsedQuery:
    """Parse a query; raises QueryError (with a 0-based position) and nothing else.

    `allow_empty`: blank input gives an empty ParsedQuery (browsing by filters) instead of an error.
    """
    root = parse_tree(text, allow_empty)
    if root is None:
        return ParsedQuery()
    texts: list[Node] = []
    filters: list[Node] = []
    _split(root, texts, filters)
    words = root.items if isinstance(root, Seq) else (root,)
    prose = " ".join(_clean(text).split()) if all(type(w) is Term and w.field is None for w in words) else None
    return ParsedQuery(
        texts[0] if texts else None,
        None if not filters else filters[0] if len(filters) == 1 else And(tuple(filters)),
        prose,
    )


def plain_query(text: str) -> ParsedQuery:
    """Every word of `text` as an optional term, no operators or fields.

    For text that is not written in the query language (test-collection queries, a paper's
    own title used as a query), where `AND`, `(`, `:` or quotes are just characters.
    """
    words = [w for w in re.split(r"[^\w]+", _clean(text)) if w and _has_alnum(w)]
    if not words:
        return ParsedQuery()
    terms = tuple(Term(w) for w in words)
    return ParsedQuery(terms[0] if len(terms) == 1 else Seq(terms), prose=" ".join(_clean(text).split()))


def parse_tree(text: str, allow_empty: bool = False) -> Node | None:
    """The raw AST, before text and filters are separated (None: blank and `allow_empty`)."""
    if not isinstance(text, str):
        raise QueryError("query must be text", 0)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text)} characters (max {MAX_QUERY_CHARS})", MAX_QUERY_CHARS)
    toks = _lex(_clean(text))
    if not toks:
        if allow_empty:
            return None
        raise QueryError("empty query", 0)
    parser = _Parser(toks, len(text))
    items = parser.seq()
    if (tok := parser.peek()) is not None:
        raise QueryError("unbalanced parenthesis: ')' without '('", tok.pos)
    return items[0] if len(items) == 1 else Seq(tuple(items), pos=0)

"""The query language: every construct, every error (with its position), and properties."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from papersift.query.syntax import (
    MAX_QUERY_CHARS,
    And,
    AuthorFilter,
    CategoryFilter,
    DateRange,
    IdFilter,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Required,
    Seq,
    Term,
    parse,
    parse_tree,
    plain_query,
)
from papersift.query.types import Filters, QueryError


def terms(*words: str) -> Seq:
    return Seq(tuple(Term(w) for w in words))


# --- constructs -------------------------------------------------------------------------------


def test_bare_words_are_a_should_sequence() -> None:
    pq = parse("graph neural networks")
    assert pq.text == terms("graph", "neural", "networks")
    assert pq.filters is None
    assert pq.dense_text() == "graph neural networks"


def test_single_word_and_phrase() -> None:
    assert parse("transformers").text == Term("transformers")
    assert parse('"attention is all you need"').text == Phrase("attention is all you need")
    assert parse('"  spaced \t out  "').text == Phrase("spaced out")


def test_field_terms_and_phrases() -> None:
    assert parse("ti:attention").text == Term("attention", "title")
    assert parse('abs:"protein folding"').text == Phrase("protein folding", "abstract")
    assert parse("TITLE:bert abstract:x").text == Seq((Term("bert", "title"), Term("x", "abstract")))


def test_author_filters() -> None:
    assert parse("au:hinton").filters == AuthorFilter("hinton")
    assert parse('au:"Geoffrey Hinton"').filters == AuthorFilter("Geoffrey Hinton")
    assert parse('author:"Geoffrey   Hinton"').filters == AuthorFilter("Geoffrey Hinton")


def test_category_filters_exact_and_prefix() -> None:
    assert parse("cat:cs.CL").filters == CategoryFilter("cs.CL")
    assert parse("cat:cs.*").filters == CategoryFilter("cs.", prefix=True)
    assert parse("category:hep-th").filters == CategoryFilter("hep-th")
    assert parse('cat:"math.AG"').filters == CategoryFilter("math.AG")


def test_id_filter_drops_version_and_prefixes() -> None:
    assert parse("id:2401.12345v2").filters == IdFilter("2401.12345")
    assert parse("id:https://arxiv.org/abs/2401.12345").filters == IdFilter("2401.12345")
    assert parse("id:hep-th/9901001v1").filters == IdFilter("hep-th/9901001")
    assert parse("id:scifact:4983").filters == IdFilter("scifact:4983")


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ("year:2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("year:2020..2023", date(2020, 1, 1), date(2023, 12, 31)),
        ("year:2020..", date(2020, 1, 1), None),
        ("year:..2020", None, date(2020, 12, 31)),
        ("date:2024-01..2024-03", date(2024, 1, 1), date(2024, 3, 31)),
        ("date:2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year month end
        ("date:2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("date:2024-01-15..", date(2024, 1, 15), None),
        ("date:..2024-03", None, date(2024, 3, 31)),
        ("date:2024-01-15", date(2024, 1, 15), date(2024, 1, 15)),
        ("date:2020..2024-06-30", date(2020, 1, 1), date(2024, 6, 30)),
    ],
)
def test_date_ranges(query: str, start: date | None, end: date | None) -> None:
    assert parse(query).filters == DateRange(start, end)


def test_operator_precedence() -> None:
    # NOT/-/+ > AND > OR > juxtaposition
    assert parse("a b AND c").text == Seq((Term("a"), And((Term("b"), Term("c")))))
    assert parse("a OR b AND c").text == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse("a OR b c").text == Seq((Or((Term("a"), Term("b"))), Term("c")))
    assert parse("(a OR b) AND c").text == And((Or((Term("a"), Term("b"))), Term("c")))
    assert parse("a AND NOT b").text == Term("a")  # a top-level exclusion becomes a filter
    assert parse("a AND NOT b").filters == Not(Term("b"))


def test_lowercase_operators_are_words() -> None:
    assert parse("war and peace").text == terms("war", "and", "peace")


def test_required_and_excluded() -> None:
    pq = parse('+a b -c -"d e" -cat:x')
    assert pq.text == Seq((Required(Term("a")), Term("b")))
    assert pq.filters == And((Not(Term("c")), Not(Phrase("d e")), Not(CategoryFilter("x"))))
    assert pq.dense_text() == "a b"


def test_filters_are_separated_and_combine_with_or_not() -> None:
    pq = parse("(cat:cs.CL OR cat:cs.AI) -year:2020 transformers")
    assert pq.text == Term("transformers")
    assert pq.filters == And(
        (
            Or((CategoryFilter("cs.CL"), CategoryFilter("cs.AI"))),
            Not(DateRange(date(2020, 1, 1), date(2020, 12, 31))),
        )
    )
    only = parse("cat:cs.CL au:hinton")
    assert only.text is None and only.filters == And((CategoryFilter("cs.CL"), AuthorFilter("hinton")))
    assert only.dense_text() == ""


def test_nested_exclusion_stays_local() -> None:
    pq = parse("(a -b) OR c")
    assert pq.filters is None
    assert pq.text == Or((Seq((Term("a"), Not(Term("b")))), Term("c")))


def test_exclusion_inside_and_group_is_hoisted() -> None:
    pq = parse("(a -b) AND c")
    assert pq.text == And((Term("a"), Term("c")))
    assert pq.filters == Not(Term("b"))


def test_group_mixing_text_and_filters_is_flattened() -> None:
    pq = parse("x (a cat:y)")
    assert pq.text == terms("x", "a") and pq.filters == CategoryFilter("y")


def test_colons_in_ordinary_words_are_text() -> None:
    pq = parse("mixing ratio 3:1 see https://example.org/a:b Note: 10:30")
    assert pq.filters is None
    assert pq.text == terms("mixing", "ratio", "3:1", "see", "https://example.org/a:b", "Note:", "10:30")


def test_punctuation_only_words_are_ignored() -> None:
    assert parse("graph - neural & networks").text == terms("graph", "neural", "networks")


def test_control_characters_surrogates_and_smart_quotes() -> None:
    assert parse("graph\x00neural\x1b\ud800nets").text == terms("graph", "neural", "nets")
    assert parse("\u201cneural networks\u201d").text == Phrase("neural networks")
    assert parse("cafe\u0301").text == Term("caf\u00e9")  # NFC


def test_with_filters_from_ui() -> None:
    pq = parse("bert").with_filters(
        Filters(categories=("cs.CL", "cs.*"), authors=("Hinton",), date_from=date(2024, 1, 1))
    )
    assert pq.filters == And(
        (
            Or((CategoryFilter("cs.CL"), CategoryFilter("cs.", True))),
            AuthorFilter("Hinton"),
            DateRange(date(2024, 1, 1), None),
        )
    )
    assert parse("bert").with_filters(Filters()) == parse("bert")
    with pytest.raises(QueryError):
        parse("bert").with_filters(Filters(categories=("not a category",)))


def test_allow_empty_and_is_empty() -> None:
    assert parse("   ", allow_empty=True).is_empty
    assert ParsedQuery().is_empty and not parse("x").is_empty


def test_str_renders_parseable_query() -> None:
    for text in [
        "a b AND c",
        '+a -"b c" cat:cs.* year:2020..2022',
        "(a OR b) AND (c d)",
        "-(a b) x",
        'ti:"deep learning" au:"Yann LeCun" id:2401.00001',
        "date:2024-01..2024-03",
    ]:
        pq = parse(text)
        assert parse(str(pq)) == pq, text


# --- errors, with positions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "empty query", 0),
        ("   \t ", "empty query", 0),
        ("- & ?", "empty query", 0),
        ("(graph neural", "missing ')'", 0),
        ("graph (neural (nets)", "missing ')'", 6),
        ("graph neural)", "')' without '('", 12),
        ('graph "neural nets', "missing closing", 6),
        ('au:"Hinton', "missing closing", 3),
        ("foo:bar", "unknown field 'foo:'", 0),
        ("x Foo:bar", "fields are ti:, abs:, au:, cat:, id:, year:, date:", 2),
        ("x ti:", "'ti:' needs a value", 2),
        ("abs:?", "needs a word", 4),
        ("date:2024-13", "invalid date '2024-13'", 5),
        ("date:2024-02-30", "invalid date", 5),
        ("date:24-01", "invalid date", 5),
        ("date:2024-01..2024-xx", "invalid date '2024-xx'", 14),
        ("year:2024-01", "invalid year", 5),
        ("year:20", "invalid year", 5),
        ("year:2024..2020", "start is after end", 5),
        ("date:..", "at least one end", 5),
        ("cat:c/s", "invalid category", 4),
        ("a AND", "AND needs a term", 2),
        ("OR a", "OR needs a term", 0),
        ("a AND OR b", "AND needs a term", 2),
        ("a NOT", "'NOT' must be followed", 5),
        ("--a", "'-' must be followed", 1),
        ("()", "empty parentheses", 0),
        ("x OR cat:cs.CL", "cannot be OR'ed", 5),
        ("x -(y cat:z)", "cannot be OR'ed or negated", 6),
    ],
)
def test_errors(query: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse(query)
    assert message in str(info.value)
    assert info.value.position == position


def test_caps() -> None:
    with pytest.raises(QueryError, match=f"max {MAX_QUERY_CHARS}") as info:
        parse("a" * (MAX_QUERY_CHARS + 1))
    assert info.value.position == MAX_QUERY_CHARS
    parse(" ".join(["w"] * 64))
    with pytest.raises(QueryError, match="too many terms \\(max 64\\)") as info:
        parse(" ".join(["w"] * 65))
    assert info.value.position == 128
    with pytest.raises(QueryError, match="nested too deeply"):
        parse("(" * 17 + "x" + ")" * 17)
    parse("(" * 16 + "x" + ")" * 16)


def test_non_string_input() -> None:
    with pytest.raises(QueryError):
        parse(None)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

_PIECES = [
    " ",
    " ",
    " ",
    "(",
    ")",
    '"',
    "-",
    "+",
    "AND",
    "OR",
    "NOT",
    "graph",
    "nets",
    "3:1",
    "x:y",
    "ti:",
    "abs:",
    "au:",
    "cat:",
    "cs.CL",
    "cs.*",
    "year:",
    "date:",
    "2024",
    "2020..2023",
    "2024-02..",
    "..2024-13",
    "id:",
    "2401.00001v2",
    "*",
    ":",
    "\u201c",
    "\x00",
    "\ud800",
    "e\u0301",
    "\u00e9",
]
QUERYISH = st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), QUERYISH))
def test_parse_returns_or_raises_query_error_only(text: str) -> None:
    try:
        pq = parse(text)
    except QueryError as exc:
        assert exc.position is None or 0 <= exc.position <= len(text)
        return
    assert not pq.is_empty
    again = str(pq)
    assume(len(again) <= MAX_QUERY_CHARS)
    assert parse(again) == pq  # rendering is a fixed point of parsing


def _nfc_word(s: str) -> bool:
    return unicodedata.normalize("NFC", s) == s and s not in ("AND", "OR", "NOT")


WORD = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.'\-]{0,7}", fullmatch=True),
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=6),
).filter(_nfc_word)
FIELD = st.sampled_from([None, "title", "abstract"])
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
LEAF = st.one_of(
    st.builds(Term, WORD, FIELD),
    st.builds(Phrase, st.lists(WORD, min_size=1, max_size=3).map(" ".join), FIELD),
    st.builds(CategoryFilter, st.from_regex(r"[a-z]{2,5}(\.[A-Z]{2})?", fullmatch=True), st.booleans()),
    st.builds(AuthorFilter, st.lists(WORD, min_size=1, max_size=3).map(" ".join)),
    st.builds(IdFilter, st.from_regex(r"2[0-4][01][0-9]\.[0-9]{5}", fullmatch=True)),
    st.tuples(DAY, DAY).map(lambda ds: DateRange(min(ds), max(ds))),
    DAY.map(lambda d: DateRange(d, None)),
    DAY.map(lambda d: DateRange(None, d)),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    group = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Not, children),
        st.builds(Required, children),
        st.builds(Seq, group),
        st.builds(Or, group),
        st.builds(And, group),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(LEAF, _extend, max_leaves=12))
def test_ast_round_trip(node) -> None:
    assert parse_tree(str(node)) == node


def _texts(node, negated: bool = False):
    if isinstance(node, (Term, Phrase)):
        yield node.text, negated
    for child in getattr(node, "items", ()) or ([node.item] if isinstance(node, (Not, Required)) else []):
        yield from _texts(child, negated or isinstance(node, Not))


@settings(max_examples=200, deadline=None)
@given(st.recursive(LEAF, _extend, max_leaves=12))
def test_split_is_stable_and_dense_text_is_positive_text(node) -> None:
    try:
        pq = parse(str(node))
    except QueryError as exc:
        assert "cannot be OR'ed" in str(exc)
        return
    assert parse(str(pq)) == pq
    positive = {w for text, neg in _texts(node) if not neg for w in text.split()}
    assert set(pq.dense_text().split()) <= positive
    for part in (pq.text, pq.filters):  # the split loses nothing
        assert part is None or all(t in {x for x, _ in _texts(node)} for t, _ in _texts(part))


def test_plain_words_are_embedded_as_typed_query_language_is_not() -> None:
    """The dense side embeds prose as written (punctuation carries meaning for MiniLM); once
    the query uses the language (fields, phrases, exclusions, filters) it embeds the positive words."""
    assert parse("what is the role of IL-6?").dense_text() == "what is the role of IL-6?"
    assert plain_query("The  use of (e.g. group) theory: AND").dense_text() == "The use of (e.g. group) theory: AND"
    assert parse("graph neural networks cat:cs.LG").dense_text() == "graph neural networks"
    assert parse('"graph nets" survey').dense_text() == "graph nets survey"
    assert parse("deep -survey").dense_text() == "deep"
    assert parse("role of IL-6?") == parse("role  of IL-6?")  # how it was typed is not what it means
    assert parse("graph nets").with_filters(Filters(categories=["cs.LG"])).dense_text() == "graph nets"

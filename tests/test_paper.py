"""Paper normalisation: ids, DOIs, TeX accents, dates, dict round-trip."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.paper import (
    _NOT_IN_URL,
    InvalidRecord,
    Paper,
    Popularity,
    Version,
    _parsed_web_link,
    canonical_id,
    detex_accents,
    make_paper,
    normalize_doi,
    normalize_text,
    parse_arxiv_id,
    parse_date,
    title_key,
    web_link,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.12345", ("2401.12345", None)),
        ("2401.12345v3", ("2401.12345", 3)),
        ("arXiv:0704.0001v2", ("0704.0001", 2)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v4", ("hep-th/9901001", 4)),
        ("math.AG/0101001", ("math.AG/0101001", None)),
        ("oai:arXiv.org:1412.8544", ("1412.8544", None)),
        ("https://arxiv.org/abs/2503.11731v1", ("2503.11731", 1)),
        ("  2401.12345v2\n", ("2401.12345", 2)),
    ],
)
def test_arxiv_ids(text: str, expected: tuple[str, int | None]) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed is not None and (parsed.id, parsed.version) == expected


@pytest.mark.parametrize(
    "text", ["", "hello", "12345", "2401.123", "HEP-TH/9901001", "10.1000/xyz", "2401.12345v", "1hep-th/9901001"]
)
def test_not_arxiv_ids(text: str) -> None:
    assert parse_arxiv_id(text) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"Schr{\"o}dinger", "Schrödinger"),
        (r"Schr\"odinger", "Schrödinger"),
        (r"C. Bal\'azs", "C. Balázs"),
        (r"Fran\c{c}ois", "François"),
        (r"Gau{\ss}", "Gauß"),
        (r"na\"{\i}ve", "naïve"),
        ("  many\n   spaces\there ", "many spaces here"),
        (r"energy $E=mc^2$ and \alpha", r"energy $E=mc^2$ and \alpha"),
        ("Scho\u0308n", "Sch\u00f6n"),
        ("\u00a0non-breaking\u2003spaces ", "non-breaking spaces"),
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


@given(st.text())
def test_normalize_text_is_idempotent_and_total(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def _full_normalisation(text: str) -> str:
    """normalize_text without its already-normal shortcut: the definition the shortcut must agree with."""
    s = " ".join(detex_accents(text).split())
    return s if unicodedata.is_normalized("NFC", s) else " ".join(unicodedata.normalize("NFC", s).split())


_TRICKY = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            " ",
            "  ",
            "\t",
            "\n",
            "\x1c",
            "\xa0",
            "\u2003",
            "\\",
            "{",
            "}",
            '"',
            "o",
            "\u0308",
            "ö",
            "$",
            "\x7f",
            "é",
        ]
    ),
    max_size=12,
).map("".join)


@given(_TRICKY | st.text())
def test_normalize_text_shortcut_agrees_with_the_full_normalisation(text: str) -> None:
    assert normalize_text(text) == (_full_normalisation(text) if text else "")


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"Schr\"odinger", "Schrödinger"),
        (r"G{\"o}del", "Gödel"),
        (r"Erd\H{o}s", "Erdős"),
        (r"\'{e}cole", "école"),
        (r"Fran\c{c}ois", "François"),
        (r"Ha\v{s}ek", "Hašek"),
        (r"\~{n}", "ñ"),
        (r"\k{a} \=a \.z \u{a} \r{u}", "ą ā ż ă ů"),
        (r"\ss", "ß"),
        (r"{\o}rsted", "ørsted"),
        (r"Stra\ss e", "Straße"),  # a control word swallows the spaces after it
        (r"\L{}ukasiewicz", "Łukasiewicz"),  # ... or ends at an empty group
        (r"\aa ngstr\"om", "ångström"),
        (r"na\"\i ve and na{\"\i}ve", "naïve and naïve"),
        (r"\o\l{}", "øł"),
        (r"\old \L", r"\old Ł"),  # \old is not \o + "ld"
        (r"\\alpha and $\sigma_x$ stay TeX", r"\\alpha and $\sigma_x$ stay TeX"),  # not accents
        ("no backslash: Ünïcode stays", "no backslash: Ünïcode stays"),
    ],
)
def test_detex_accents(tex: str, text: str) -> None:
    assert detex_accents(tex) == text


@given(st.text(max_size=40).filter(lambda t: "\\" not in t))
def test_detex_leaves_text_without_backslashes_alone(text: str) -> None:
    assert detex_accents(text) == text


@given(st.text(max_size=40))
def test_parse_arxiv_id_is_total_and_its_ids_reparse_to_themselves(text: str) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed is None or parse_arxiv_id(parsed.id) == (parsed.id, None)


@given(st.text(max_size=30))
def test_parse_date_raises_only_invalid_record(text: str) -> None:
    try:
        parsed = parse_date(text)
    except InvalidRecord:
        return
    assert parsed is None or isinstance(parsed, date)


def test_dates() -> None:
    assert parse_date("Mon, 2 Apr 2007 19:18:42 GMT") == date(2007, 4, 2)
    assert parse_date("2024-06-21T17:23:21.000Z") == date(2024, 6, 21)
    assert parse_date("1958-12") == date(1958, 12, 1)
    with pytest.raises(InvalidRecord):
        parse_date("2024-13-45")


def test_canonical_ids() -> None:
    assert canonical_id("2401.00001v2", "10.1/x", "T", []) == "2401.00001"
    assert canonical_id(None, "https://doi.org/10.1103/PhysRevD.76.013009", "T", []) == "doi:10.1103/physrevd.76.013009"
    h1 = canonical_id(None, None, "A  Title", ["Ann"])
    assert h1 == canonical_id(None, None, "a title", ["ann"]) and h1.startswith("h:")
    assert normalize_doi("not a doi") is None


def test_make_paper_requires_title() -> None:
    with pytest.raises(InvalidRecord):
        make_paper(source="t", title="  ", arxiv_id="2401.00001")


def test_make_paper_keeps_original_text() -> None:
    p = make_paper(source="t", title="A\n  title", abstract=r"Schr\"odinger", arxiv_id="2401.00001v2")
    assert p.title == "A title" and p.raw_title == "A\n  title"
    assert p.abstract == "Schrödinger" and p.raw_abstract == r"Schr\"odinger"
    assert p.latest_version == 2 and p.links["abs"] == "https://arxiv.org/abs/2401.00001"


def test_dict_round_trip() -> None:
    p = Paper(
        id="2401.00001",
        title="T",
        abstract="A",
        authors=["X", "Y"],
        categories=["cs.CL"],
        primary_category="cs.CL",
        submitted=date(2024, 1, 1),
        updated=date(2024, 2, 1),
        versions=[Version(1, date(2024, 1, 1)), Version(2, date(2024, 2, 1))],
        doi="10.1/x",
        links={"code": "https://github.com/a/b"},
        sources=["beir"],
        popularity=[Popularity("hf-daily", date(2024, 1, 3), 10, 2, None)],
    )
    assert Paper.from_dict(p.to_dict()) == p
    with pytest.raises(InvalidRecord):
        Paper.from_dict({"title": "no id"})


@pytest.mark.parametrize(
    "variant",
    [
        "Über BERT - fast models",
        r"{\"U}ber {BERT}: \emph{Fast} Models",
        "UBER BERT: FAST MODELS.",
        "  uber  bert, fast\nmodels ",
        "Ü\u0308ber BERT (fast) models",  # decomposed accents
    ],
)
def test_title_key_ignores_case_punctuation_accents_and_tex(variant: str) -> None:
    assert title_key(variant) == "uber bert fast models"


def test_title_key_keeps_different_titles_apart() -> None:
    assert title_key("Fast models") != title_key("Fast models: a survey") and title_key("") == ""


@given(st.text(max_size=80), st.sampled_from([" ", ",", ": ", "--", "!", "{}", "."]))
def test_title_key_is_idempotent_and_blind_to_punctuation(text: str, punct: str) -> None:
    key = title_key(text)
    assert title_key(key) == key
    assert title_key(f"{punct}{key}{punct}") == key


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "javascript:", "//", "http:/", "https:///", ""]),
    st.text(alphabet="abcXYZ019.-:/?#[]@%&=+ \\\t\x00é_~", max_size=40),
)
def test_the_fast_path_of_web_link_agrees_with_urlsplit(prefix: str, rest: str) -> None:
    """The regex that accepts common links unparsed gives urlsplit's answer on every string."""
    url = prefix + rest
    slow = None if _NOT_IN_URL.search(url) else _parsed_web_link(url)
    assert web_link(url) == slow

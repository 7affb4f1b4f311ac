"""The `Paper` record every source yields and the catalog stores, plus its normalisation.

Sources differ wildly (OAI-PMH XML, Kaggle JSON lines, `.abs` files, HF daily JSON, BibTeX);
everything downstream sees only this one shape. Normalisation lives here so that two sources
describing the same paper produce the same canonical id and comparable text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

# New-style ids (0704.0001 .. 2401.12345) and old-style (hep-th/9901001, math.AG/0101001).
_NEW_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
_OLD_ID = re.compile(r"^(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
_ID_PREFIXES = ("arxiv:", "oai:arxiv.org:", "https://arxiv.org/abs/", "http://arxiv.org/abs/")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# The longest paper id the catalog stores (every paper-id column on PostgreSQL; the web refuses
# longer ids). Canonical ids stay far below it; a longer DOI falls back to the hash id, and a
# longer id given by a source (a BEIR `_id`) is a rejected record, not a failed batch.
MAX_PAPER_ID_CHARS = 200


class InvalidRecord(ValueError):
    """A record that cannot become a `Paper` (missing title, unparseable id or date...)."""


@dataclass(frozen=True)
class ArxivId:
    """An arXiv identifier split into its version-less canonical part and optional version."""

    id: str
    version: int | None


def parse_arxiv_id(text: str) -> ArxivId | None:
    """Parse any common spelling of an arXiv id (prefixes, version suffix); None if not one."""
    s = text.strip()
    if s[:1].isdigit():  # a bare new-style id, the common case: no prefix to strip, cannot be old-style
        m = _NEW_ID.match(s)
        return ArxivId(m.group("id"), int(m.group("v")) if m.group("v") else None) if m else None
    low = s.lower()
    for prefix in _ID_PREFIXES:
        if low.startswith(prefix):
            s = s[len(prefix) :]
            break
    m = _NEW_ID.match(s) or _OLD_ID.match(s)
    if not m:
        return None
    return ArxivId(m.group("id"), int(m.group("v")) if m.group("v") else None)


def normalize_doi(text: str | None) -> str | None:
    """Lower-case DOI without resolver prefix; None when absent or not DOI-shaped."""
    if not text:
        return None
    s = text.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:"):
        if s.lower().startswith(prefix):
            s = s[len(prefix) :]
    s = s.split()[0] if s.split() else ""
    return s.lower() if _DOI.match(s) else None


def canonical_id(arxiv_id: str | None, doi: str | None, title: str, authors: list[str]) -> str:
    """arXiv id without version; else `doi:<doi>` (when it fits MAX_PAPER_ID_CHARS); else a stable hash
    of title + first author."""
    if arxiv_id:
        parsed = parse_arxiv_id(arxiv_id)
        if parsed:
            return parsed.id
    ndoi = normalize_doi(doi)
    if ndoi and len(ndoi) + 4 <= MAX_PAPER_ID_CHARS:
        return f"doi:{ndoi}"
    key = " ".join(normalize_text(title).lower().split()) + "|" + (authors[0].lower() if authors else "")
    return "h:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


# --- text normalisation -------------------------------------------------------------------

_COMBINING = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "H": "\u030b",
    "u": "\u0306",
    "r": "\u030a",
    "k": "\u0328",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
}
# {\"o}  \"{o}  \"o  {\'\i}  \c{c}  \v s ; symbol accents need no space, letter accents need {} or space.
_ACCENT = re.compile(
    r"\{?\\(?P<a>[\"'`^~=.])\s*(?:\{(?P<b1>\\?[A-Za-z])\}|(?P<b2>\\[ij](?![A-Za-z])[ \t]*|\\?[A-Za-z]))\}?"
    r"|\{?\\(?P<la>[cvHurk])(?:\{(?P<lb1>\\?[A-Za-z])\}|\s+(?P<lb2>[A-Za-z]))\}?"
)
# Unbraced, TeX ends the control word at the first non-letter and swallows the spaces after it
# (`Stra\ss e` is "Straße"), or an empty group ends it (`\L{}ukasiewicz`).
_LETTER = re.compile(
    r"\{\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L)\}|\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L)(?:\{\}|(?![A-Za-z])[ \t]*)"
)
_ACCENT_HINT = re.compile(r"\\[\"'`^~=.cvHurk]")  # every _ACCENT match contains one of these
_LETTER_HINT = re.compile(r"\\[saAoOlL]")  # every _LETTER match contains one of these


def _accent(m: re.Match[str]) -> str:
    accent = m.group("a") or m.group("la")
    # a dotless \i or \j is a control word: TeX swallows the spaces after it (`na\"\i ve`)
    base = (m.group("b1") or m.group("b2") or m.group("lb1") or m.group("lb2")).rstrip()
    if base in ("\\i", "\\j"):
        base = base[1]
    if base.startswith("\\"):
        return m.group(0)
    return unicodedata.normalize("NFC", base + _COMBINING[accent])


def detex_accents(text: str) -> str:
    """Turn TeX accent macros (`{\\"o}`, `\\'e`, `\\c{c}`, `{\\ss}`) into Unicode; leave math alone."""
    if "\\" not in text:
        return text
    # Both patterns may start with an optional "{", so the regex engine tries them at every position;
    # these hints start with a literal backslash, which it finds by a fast scan. Abstracts with math
    # (backslashes, rarely an accent) took 0.66 s of a 60k ingest without them, 0.08 s with.
    if _ACCENT_HINT.search(text):
        text = _ACCENT.sub(_accent, text)
    if _LETTER_HINT.search(text):
        text = _LETTER.sub(lambda m: _LETTERS[m.group(1) or m.group(2)], text)
    return text


def normalize_text(text: str | None) -> str:
    """Collapse whitespace, convert TeX accents, NFC-normalise. Idempotent."""
    if not text:
        return ""
    if _is_normal(text):
        return text
    s = " ".join(detex_accents(text).split())
    return s if unicodedata.is_normalized("NFC", s) else " ".join(unicodedata.normalize("NFC", s).split())


_TEX_MACRO = re.compile(r"\\[A-Za-z]+")  # \emph, \textit, \alpha: what is left after accents are converted
_TITLE_WORD = re.compile(r"[^\W_]+")


def title_key(title: str | None) -> str:
    """A title as bare words: the one definition of "the same title" when matching records.

    TeX accents become letters and other TeX macros, braces and `$` go; then accents, case and
    punctuation are ignored, so `{\\"U}ber {BERT}: \\emph{Fast} Models` and "Über BERT - fast models"
    both become "uber bert fast models"."""
    text = _bare_letters(_bare_letters(_TEX_MACRO.sub(" ", normalize_text(title))).casefold())
    return " ".join(_TITLE_WORD.findall(text))


def _bare_letters(text: str) -> str:
    """Compatibility-decomposed (𝐀 -> A, ﬁ -> fi) without accents. Applied before and after
    casefolding, since each can produce what the other changes."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _is_normal(text: str) -> bool:
    """True when `normalize_text` would return `text` unchanged, checked without splitting it into words.

    Most titles, abstracts and names already are (460k strings in a 60k ingest): printable means no
    whitespace but the ASCII space (every other `str.split` separator is a control or separator
    character), so single inner spaces, no backslash and NFC leave nothing to change."""
    return (
        text.isprintable()
        and "  " not in text
        and "\\" not in text
        and text[0] != " "
        and text[-1] != " "
        and (text.isascii() or unicodedata.is_normalized("NFC", text))
    )


_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> date | None:
    """Accept ISO dates/datetimes, `YYYY-MM`, `YYYY`, RFC-2822 (Kaggle `created`) and date objects."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip()
    try:
        if _YEAR.fullmatch(s):
            return date(int(s), 1, 1)
        if _MONTH.fullmatch(s):
            return date(int(s[:4]), int(s[5:7]), 1)
        if _DAY.match(s):
            return date.fromisoformat(s[:10])
    except ValueError as exc:
        raise InvalidRecord(f"invalid date {s!r}") from exc
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(s).date()
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"unrecognised date {s!r}") from exc


# --- the record -----------------------------------------------------------------------------


@dataclass
class Version:
    """One arXiv version (v1, v2...) and the date it was submitted."""

    version: int
    date: date | None = None


@dataclass
class Popularity:
    """An external popularity observation (e.g. HF daily upvotes) and when it was seen."""

    source: str
    observed: date | None
    upvotes: int | None = None
    comments: int | None = None
    github_stars: int | None = None


@dataclass
class Paper:
    """A normalised paper. `raw_title`/`raw_abstract` keep the source text before normalisation."""

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    submitted: date | None = None
    updated: date | None = None
    announced: date | None = None
    versions: list[Version] = field(default_factory=list)
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    popularity: list[Popularity] = field(default_factory=list)
    raw_title: str | None = None
    raw_abstract: str | None = None

    @property
    def latest_version(self) -> int | None:
        return max((v.version for v in self.versions), default=None)

    @property
    def is_arxiv(self) -> bool:
        return parse_arxiv_id(self.id) is not None

    # A paper's two dates. Every part of papersift uses one of these two (the catalog's SQL
    # `LISTING_DAY` is `listing_date` in SQL), never its own precedence of the raw fields.

    @property
    def work_date(self) -> date | None:
        """The day the work is dated: first submission, else announcement, else last update.
        Search's `date:`/`year:` filters and sort by date, exports and BibTeX years use it."""
        return self.submitted or self.announced or self.updated

    @property
    def listing_date(self) -> date | None:
        """The day the paper appeared in the listings: announcement, else submission. Daily/weekly
        feeds, digests and Atom/RSS entries use it (`listings.FEED_DAY` is its indexed SQL form)."""
        return self.announced or self.submitted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings); `from_dict` inverts it exactly."""
        # hand-written rather than dataclasses.asdict: this runs per paper on every ingest and
        # asdict's deep copy was 45% of catalog write time
        d = {f: getattr(self, f) for f in _FIELD_NAMES}
        for key in ("submitted", "updated", "announced"):
            d[key] = _iso(d[key])
        d["authors"] = list(self.authors)
        d["categories"] = list(self.categories)
        d["links"] = dict(self.links)
        d["sources"] = list(self.sources)
        d["versions"] = [{"version": v.version, "date": _iso(v.date)} for v in self.versions]
        d["popularity"] = [
            {
                "source": p.source,
                "observed": _iso(p.observed),
                "upvotes": p.upvotes,
                "comments": p.comments,
                "github_stars": p.github_stars,
            }
            for p in self.popularity
        ]
        d["latest_version"] = self.latest_version
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Paper:
        """Inverse of `to_dict`; raises InvalidRecord on a wrong shape."""
        try:
            return cls(
                id=d["id"],
                title=d["title"],
                abstract=d.get("abstract") or "",
                authors=list(d.get("authors") or []),
                categories=list(d.get("categories") or []),
                primary_category=d.get("primary_category"),
                submitted=parse_date(d.get("submitted")),
                updated=parse_date(d.get("updated")),
                announced=parse_date(d.get("announced")),
                versions=[Version(int(v["version"]), parse_date(v.get("date"))) for v in d.get("versions") or []],
                doi=d.get("doi"),
                journal_ref=d.get("journal_ref"),
                comments=d.get("comments"),
                license=d.get("license"),
                links=web_links(dict(d.get("links") or {})),
                sources=list(d.get("sources") or []),
                popularity=[
                    Popularity(
                        p["source"],
                        parse_date(p.get("observed")),
                        p.get("upvotes"),
                        p.get("comments"),
                        p.get("github_stars"),
                    )
                    for p in d.get("popularity") or []
                ],
                raw_title=d.get("raw_title"),
                raw_abstract=d.get("raw_abstract"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRecord(f"not a papersift record: {exc}") from exc


_FIELD_NAMES = tuple(f.name for f in fields(Paper))


def nice_date(value: date | datetime | None) -> str:
    """A date as people read it ("3 Jun 2025"), for pages and mails alike; "" when unknown."""
    if value is None:
        return ""
    return value.strftime("%-d %b %Y")


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


_NOT_IN_URL = re.compile("[\r\n\t\x00 ]")  # one regex scan, not a generator per character class


# The shape nearly every stored link has ("https://arxiv.org/abs/2401.00001"): a lower-case http(s)
# scheme, an ASCII host name, an optional port, printable ASCII after. urlsplit accepts each such
# string unchanged (tests/test_paper.py checks the two agree), at a quarter to an eighth of its cost
# (0.7-1.1 vs 3.9-5.7 us a link): re-checking a results page's links was a third of reading its rows at 1M.
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][!-~]*)?")


def web_link(url: object) -> str | None:
    """`url` if it is an absolute http(s) URL with a host, else None.

    Outside links (code, project page) come from third-party sources; anything else —
    `javascript:`, `data:`, protocol-relative or malformed — is dropped at ingest and again
    when rendered, so it can never become a clickable link on our pages."""
    if not isinstance(url, str) or len(url) > 2000 or _NOT_IN_URL.search(url):
        return None
    if _PLAIN_WEB_URL.fullmatch(url):
        return url
    return _parsed_web_link(url)


def _parsed_web_link(url: str) -> str | None:
    """`web_link`'s general case, by urlsplit."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def web_links(links: dict[str, str]) -> dict[str, str]:
    """The entries of a paper's `links` that are web links (see `web_link`)."""
    return {k: url for k, v in links.items() if (url := web_link(v)) is not None}


def make_paper(
    *,
    source: str,
    title: str | None,
    abstract: str | None = None,
    arxiv_id: str | None = None,
    doi: str | None = None,
    authors: list[str] | None = None,
    categories: list[str] | None = None,
    primary_category: str | None = None,
    **fields: Any,
) -> Paper:
    """Build a normalised Paper from a source's raw values; the one place sources call.

    Raises InvalidRecord when the record has no title (a paper nobody can recognise).
    """
    if not title or not title.strip():
        raise InvalidRecord("missing title")
    clean_authors = [normalize_text(a) for a in (authors or []) if a and a.strip()]
    clean_title, clean_abstract = normalize_text(title), normalize_text(abstract)
    cats = [c for c in (categories or []) if c]
    parsed = parse_arxiv_id(arxiv_id) if arxiv_id else None
    if parsed:
        pid = parsed.id  # what canonical_id would return, without parsing the id a second time
    elif arxiv_id and not doi:
        # an unparseable "arXiv id" is kept as a stable opaque id rather than rejected
        pid = "x:" + arxiv_id.strip()
    else:
        pid = canonical_id(None, doi, title, clean_authors)
    versions = fields.pop("versions", None) or []
    if parsed and parsed.version and not any(v.version == parsed.version for v in versions):
        versions = [*versions, Version(parsed.version, None)]
    dated = [v.date for v in versions if v.date]
    fields["submitted"] = fields.get("submitted") or min(dated, default=None)
    fields["updated"] = fields.get("updated") or max(dated, default=None)
    links = fields.pop("links", None) or {}
    if parsed:
        links = {"abs": f"https://arxiv.org/abs/{parsed.id}", "pdf": f"https://arxiv.org/pdf/{parsed.id}", **links}
    return Paper(
        id=pid,
        title=clean_title,
        abstract=clean_abstract,
        authors=clean_authors,
        categories=cats,
        primary_category=primary_category or (cats[0] if cats else None),
        versions=sorted(versions, key=lambda v: v.version),
        doi=normalize_doi(doi),
        links=web_links(links),
        sources=[source],
        raw_title=title if clean_title != title else None,
        raw_abstract=abstract if abstract and clean_abstract != abstract else None,
        **fields,
    )

"""arXiv conventions several formats share: author strings, name parts, version lists.

The `.abs` files, OAI `arXivRaw`, Kaggle's `authors` fallback and BibTeX all carry arXiv's free-text
author list ("A (Univ), B and C, Jr."), and four formats carry `v1..vN` version histories; parsing
them once keeps the same paper from different sources identical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from papersift.paper import InvalidRecord, Version, parse_date

_AND = re.compile(r"\s*(?:,\s*and\s+|\band\s+|&\s*)", re.IGNORECASE)
_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv)\.?$", re.IGNORECASE)
_VERSION = re.compile(r"^v?(\d+)$", re.IGNORECASE)
_SIZE_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def _drop_parentheses(text: str) -> str:
    """Remove (possibly nested) parenthesised groups: arXiv puts affiliations there."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def split_authors(raw: str | None) -> list[str]:
    """Split an arXiv author string on commas and "and", dropping affiliations, keeping "Jr." attached."""
    if not raw:
        return []
    text = " ".join(_drop_parentheses(raw).split())
    names: list[str] = []
    for part in _AND.sub(", ", f" {text}").split(","):
        name = part.strip()
        if not name:
            continue
        if names and _SUFFIX.match(name):
            names[-1] = f"{names[-1]}, {name}"
        else:
            names.append(name)
    return names


def person(keyname: str | None, forenames: str | None = None, suffix: str | None = None) -> str:
    """ "Forenames Keyname Suffix" from arXiv's split name parts (empty parts skipped)."""
    return " ".join(p.strip() for p in (forenames, keyname, suffix) if p and p.strip())


def version_number(label: str | int) -> int:
    """`v3`, `3` or 3 -> 3; InvalidRecord otherwise."""
    m = _VERSION.match(str(label).strip())
    if not m:
        raise InvalidRecord(f"invalid version label {label!r}")
    return int(m.group(1))


def versions(pairs: Iterable[tuple[str | int, str | None]]) -> list[Version]:
    """Versions from `(label, date text)` pairs; `.abs` size suffixes like `(443kb)` are ignored."""
    return [
        Version(version_number(label), parse_date(_SIZE_SUFFIX.sub("", text) if text else None))
        for label, text in pairs
    ]


def require_arxiv_id(value: object, field: str = "id") -> str:
    """The record's arXiv id; InvalidRecord when it has none. An arXiv format's record without one
    is not an arXiv record (e.g. a BEIR file ingested as arxiv-kaggle), and inventing a
    title-hash id for it would quietly fill the catalog with undated, unlinked duplicates."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"no arXiv id (field {field!r}): not an arXiv metadata record")
    return value

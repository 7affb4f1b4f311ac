"""arXiv's native `.abs` metadata files, from a directory tree or streamed out of a (gzipped) tarball.

An `.abs` file is arXiv's own record of a paper and the only format here with the complete
version history *and* every free-text field:

    ------------------------------------------------------------------------------
    \\\\
    arXiv:0704.0001                          (old files: `Paper: hep-th/9901001`)
    From: Submitter <obfuscated@address>
    Date: Mon, 2 Apr 2007 19:18:42 GMT   (443kb)
    Date (revised v2): Tue, 24 Jul 2007 20:10:27 GMT   (370kb)

    Title: ... (continuation lines are indented)
    Authors: ...
    Categories: hep-ph
    Comments: / Report-no: / Journal-ref: / DOI: / License: / MSC-class: ...
    \\\\
      abstract
    \\\\

Files are decoded as UTF-8, falling back to Latin-1: legacy `.abs` files predate arXiv's move to
UTF-8 (arXiv's own test data contains such a file), and Latin-1 recovers their accented text
exactly where a replacement character would lose it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from papersift.paper import InvalidRecord, Paper, make_paper
from papersift.sources._arxiv import split_authors, versions
from papersift.sources._common import clean, convert, finish, text_list
from papersift.sources._files import input_files, iter_tar_members, read_bytes
from papersift.sources.base import Item, RecordError, SourceContext

SOURCE = "arxiv-abs"
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z-]*(?:\s*\([^()]*\))?):\s?(?P<value>.*)$")
_DATE_KEY = re.compile(r"^Date(?:\s*\((?:revised\s*)?(?P<v>v\d+)?\))?$", re.IGNORECASE)
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


def decode(data: bytes) -> str:
    """UTF-8, or Latin-1 for legacy files (every byte sequence is valid Latin-1)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sections(text: str) -> tuple[list[str], list[str]]:
    """Header lines and abstract lines, split on the `\\\\` separator lines.

    The abstract runs to the *last* separator: TeX in abstracts can put a bare `\\\\` on a line.
    """
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "\\\\"]
    if len(marks) < 2:
        raise InvalidRecord("not an .abs record: expected '\\\\' lines around header and abstract")
    end = marks[-1] if len(marks) > 2 else len(lines)
    return lines[marks[0] + 1 : marks[1]], lines[marks[1] + 1 : end]


def _header(lines: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """`{lower-cased key: value}` with continuation lines joined, plus the `Date` lines in order."""
    fields: dict[str, str] = {}
    dates: list[tuple[str, str]] = []
    key: str | None = None
    for line in lines:
        if key and line[:1].isspace() and line.strip():
            fields[key] += " " + line.strip()
            continue
        m = _FIELD.match(line)
        if not m:
            key = None
            continue
        key, value = m.group("key").lower(), m.group("value").strip()
        date = _DATE_KEY.match(key)
        if date:
            dates.append((date.group("v") or f"v{len(dates) + 1}", value))
            key = None
        elif key in fields:
            key = None  # a repeated field and its continuation lines are ignored: the first one counts
        else:
            fields[key] = value
    return fields, dates


def parse_abs(text: str) -> Paper:
    """Parse the text of one `.abs` file; InvalidRecord when it is not a usable record."""
    header, abstract = _sections(text)
    fields, dates = _header(header)
    arxiv_id = fields.get("arxiv") or fields.get("paper")
    if not arxiv_id:
        raise InvalidRecord("no 'arXiv:' or 'Paper:' identifier line")
    history = versions(dates)
    return make_paper(
        source=SOURCE,
        arxiv_id=arxiv_id.split()[0],
        title=fields.get("title"),
        abstract="\n".join(abstract),
        doi=fields.get("doi"),
        authors=split_authors(fields.get("authors")),
        categories=text_list(fields.get("categories")),
        versions=history,
        journal_ref=clean(fields.get("journal-ref")),
        comments=clean(fields.get("comments")),
        license=clean(fields.get("license")),
    )


def _papers(location: str) -> Iterator[Item]:
    if location.lower().endswith(_TAR_SUFFIXES):
        for member in iter_tar_members(Path(location), ".abs"):
            if isinstance(member, RecordError):
                yield member
            else:
                name, data = member
                yield convert(f"{location}:{name}", parse_abs, decode(data))
        return
    for path in input_files(location, (".abs",)):
        yield convert(str(path), parse_abs, decode(read_bytes(path)))


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream `.abs` files from a file, a directory tree, or a `.tar`/`.tar.gz`/`.tgz` archive."""
    return finish(_papers(location), ctx)

"""BibTeX files (reference-manager exports, arXiv/ADS/DBLP `.bib` downloads), via bibtexparser 2.x.

bibtexparser parses a whole string at once, so the file is cut into blocks at lines starting with
`@` (where bibtexparser itself starts a new block) and each block is parsed on its own: memory
stays bounded by one entry, and `@string` macros defined earlier stay visible by seeding each
parse with the strings seen so far. A block bibtexparser cannot parse (`library.failed_blocks`)
becomes a RecordError at its first line; the other entries are kept.

Mapping: arXiv id from `eprint`/`arxivid`/`arxiv` (or an arxiv.org `url`); authors split on "and"
and turned into "First von Last Jr"; TeX accents become Unicode (`paper.normalize_text`), then
grouping braces and simple text macros (`\\emph{}`, `\\textbf{}`) are dropped; `submitted` is the
publication date (`date`, else `year`/`month`): for BibTeX it is the only date there is.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import Entry, String

from papersift.paper import Paper, make_paper, normalize_text, parse_arxiv_id, parse_date
from papersift.sources._common import clean, convert, finish
from papersift.sources._files import current_limits, input_files, iter_lines
from papersift.sources.base import Item, RecordError, SourceContext

SOURCE = "bibtex"
# bibtexparser logs every broken block; they are reported as RecordErrors already, so keep its
# messages out of stderr unless the application configures logging itself.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
_TEXT_MACRO = re.compile(r"\\(?:emph|textit|textbf|textrm|textsf|textsc|texttt|textup|mbox|text)\s*(?=\{)")
_BRACE = re.compile(r"(?<!\\)[{}]")
_ESCAPED = re.compile(r"\\([&%_#$])")
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def detex(text: str | None) -> str:
    """Normalised text without BibTeX grouping braces, text macros and escapes (math `$..$` kept)."""
    plain = _BRACE.sub("", _TEXT_MACRO.sub("", normalize_text(text)))
    return normalize_text(_ESCAPED.sub(r"\1", plain))


def _authors(value: str | None) -> list[str]:
    names = split_multiple_persons_names(value) if value else []
    return [detex(parse_single_name_into_parts(n, strict=False).merge_first_name_first) for n in names]


def _date(fields: dict[str, str]) -> date | None:
    if fields.get("date"):
        return parse_date(fields["date"])
    year = fields.get("year", "").strip()
    if not year:
        return None
    month = fields.get("month", "").strip().lower()
    number = _MONTHS.get(month[:3]) or (int(month) if month.isdigit() and 1 <= int(month) <= 12 else None)
    return parse_date(f"{year}-{number:02d}" if number else year)


def _venue(fields: dict[str, str]) -> str | None:
    venue = fields.get("journal") or fields.get("booktitle")
    if not venue:
        return None
    return clean(", ".join([detex(venue), *(fields[k] for k in ("volume", "pages") if fields.get(k))]))


def _arxiv_id(fields: dict[str, str]) -> str | None:
    for key in ("eprint", "arxivid", "arxiv", "url"):
        parsed = parse_arxiv_id(fields.get(key, ""))
        if parsed:
            return parsed.id if parsed.version is None else f"{parsed.id}v{parsed.version}"
    return None


def to_paper(entry: Entry) -> Paper:
    """One parsed BibTeX entry -> Paper."""
    fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
    title, abstract = fields.get("title"), fields.get("abstract")
    paper = make_paper(
        source=SOURCE,
        arxiv_id=_arxiv_id(fields),
        title=detex(title),
        abstract=detex(abstract),
        doi=fields.get("doi"),
        authors=_authors(fields.get("author")),
        categories=[c for c in [fields.get("primaryclass")] if c],
        submitted=_date(fields),
        journal_ref=_venue(fields),
        comments=clean(detex(fields.get("note"))),
        links={"url": fields["url"]} if fields.get("url", "").startswith(("http://", "https://")) else {},
    )
    return dataclasses.replace(
        paper,
        raw_title=title if title != paper.title else None,
        raw_abstract=abstract if abstract and abstract != paper.abstract else None,
    )


def _blocks(path: Path) -> Iterator[tuple[int, str] | RecordError]:
    """`(first line number, text)` of each `@`-started block; a block with an undecodable line is
    replaced by that line's RecordError (its fields could not be trusted), and a block longer than
    `ReadLimits.max_record` by a RecordError at its first line: its text is dropped as it is read,
    so a file without `@` lines cannot make one block of everything up to the file's size cap."""
    cap = current_limits().max_record
    start, size = 1, 0
    lines: list[str] = []
    bad: RecordError | None = None
    for line in iter_lines(path):
        if isinstance(line, RecordError):
            bad = bad or RecordError(line.where, f"{line.message}; the entry containing it is skipped")
            continue
        number, text = line
        if text.lstrip().startswith("@") and size:
            yield bad or (start, "\n".join(lines))
            lines, bad, size = [], None, 0
        if not size:
            start = number
        size += len(text) + 1
        if size > cap:
            bad = bad or RecordError(f"{path}:{start}", f"entry longer than {cap:,} characters: skipped")
            lines = []  # dropped as read: memory stays bounded by the cap
        else:
            lines.append(text)
    if size or bad:
        yield bad or (start, "\n".join(lines))


def _papers(location: str) -> Iterator[Item]:
    for path in input_files(location, (".bib", ".bibtex")):
        strings: list[String] = []
        for block in _blocks(path):
            if isinstance(block, RecordError):
                yield block
                continue
            start, text = block
            library = parse_string(text, library=Library(list(strings)) if strings else None)
            strings = library.strings
            for failed in library.failed_blocks:
                reason = getattr(failed.error, "abort_reason", None) or str(failed.error)
                yield RecordError(
                    f"{path}:{start + (failed.start_line or 0)}",
                    f"broken BibTeX block: {reason or type(failed.error).__name__}",
                )
            for entry in library.entries:
                yield convert(f"{path}:{start + (entry.start_line or 0)}", to_paper, entry)


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a `.bib` file or every `.bib` file under a directory (plain or .gz)."""
    return finish(_papers(location), ctx)

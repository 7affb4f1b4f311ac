"""Reference-manager formats besides BibTeX: RIS and CSL-JSON (what Zotero, Mendeley, EndNote
and citation.js read and write), both ways.

One mapping per format, used by the `ris` / `csl-json` sources (import) and by collection
exports (`to_ris`, `to_csl_json`), so export -> import gives the same papers back (tested as a
round trip). RIS goes through `rispy` (its tag table and multi-line handling); CSL-JSON is plain
JSON. Names: "First von Last" is written as family = last word, given = the rest (RIS
"Last, First"), and read back as "given family", so names survive the trip unchanged. The arXiv
id travels as `arXiv:<id>` (RIS `AN`, CSL `number`, Zotero's convention) and in the URL;
categories as keywords; the date as the full work date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import rispy

from papersift.paper import Paper, make_paper, parse_arxiv_id, parse_date
from papersift.sources._common import clean, convert, finish
from papersift.sources._files import input_files, open_bytes
from papersift.sources.base import Item, RecordError, SourceContext

ARXIV_ABS = "https://arxiv.org/abs/"
# keywords that are arXiv categories (cs.CL, q-bio.BM, hep-th); others (Zotero tags) are not kept
_CATEGORY = re.compile(
    r"^(?:[a-z]+(?:-[a-z]+)?\.[A-Za-z]+(?:-[a-z]+)?|(?:hep|nucl)-[a-z]+|gr-qc|quant-ph|math-ph|astro-ph|nlin)$"
)


def _categories(keywords: Iterable[str]) -> list[str]:
    return [k.strip() for k in keywords if _CATEGORY.match(k.strip())]


def split_name(name: str) -> tuple[str, str]:
    """(family, given): the last word is the family name."""
    given, _, family = name.strip().rpartition(" ")
    return family, given


def join_name(family: str, given: str) -> str:
    return " ".join(part for part in (given.strip(), family.strip()) if part)


def _arxiv(*candidates: Any) -> str | None:
    for value in candidates:
        for text in value if isinstance(value, list) else [value]:
            parsed = parse_arxiv_id(str(text)) if text else None
            if parsed:
                return parsed.id
    return None


def _read(path: Path) -> str:
    with open_bytes(path) as stream:
        return stream.read().decode("utf-8-sig")


# --- RIS ---------------------------------------------------------------------------------------


def ris_to_paper(entry: dict[str, Any], source: str = "ris") -> Paper:
    names = entry.get("authors", []) + entry.get("first_authors", [])
    authors = [join_name(*(a.split(",", 1) + [""])[:2]) for a in names]
    day = parse_date(str(entry.get("date", "")).replace("/", "-").strip("-")) or parse_date(entry.get("year"))
    urls = entry.get("urls", [])
    return make_paper(
        source=source,
        arxiv_id=_arxiv(entry.get("accession_number"), urls),
        title=entry.get("title") or entry.get("primary_title"),
        abstract=entry.get("abstract"),
        doi=entry.get("doi"),
        authors=authors,
        categories=_categories(entry.get("keywords", [])),
        submitted=day,
        journal_ref=clean(entry.get("journal_name") or entry.get("secondary_title")),
        links={"url": urls[0]} if urls and urls[0].startswith(("http://", "https://")) else {},
    )


_RIS_TAG_LINE = re.compile(r"^(?=[A-Z][A-Z0-9]  -)", re.MULTILINE)


def _ris_safe(text: str) -> str:
    """A multi-line note whose lines cannot be read as RIS tags ("ER  - " would end the record,
    "AU  - x" add an author): such lines get one leading space."""
    return _RIS_TAG_LINE.sub(" ", text)


def to_ris(papers: Iterable[Paper], notes: Mapping[str, str] | None = None) -> str:
    """RIS records; `notes` (by paper id) become N1 notes."""
    entries = []
    for p in papers:
        when: date | None = p.work_date
        entry: dict[str, Any] = {
            "type_of_reference": "JOUR" if p.journal_ref else "GEN",
            "title": p.title,
            "authors": [", ".join(part for part in split_name(a) if part) for a in p.authors],
            "abstract": p.abstract or None,
            "doi": p.doi,
            "year": str(when.year) if when else None,
            "date": when.strftime("%Y/%m/%d") if when else None,
            "journal_name": p.journal_ref,
            "keywords": p.categories or None,
            "accession_number": f"arXiv:{p.id}" if p.is_arxiv else None,
            "urls": [ARXIV_ABS + p.id] if p.is_arxiv else [u for u in [p.links.get("url")] if u] or None,
            "notes": [_ris_safe(notes[p.id])] if notes and notes.get(p.id) else None,
        }
        entries.append({k: v for k, v in entry.items() if v})
    text: str = rispy.dumps(entries)
    return text


def _ris_papers(location: str) -> Iterator[Item]:
    for path in input_files(location, (".ris",)):
        try:
            entries = rispy.loads(_read(path))
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            yield RecordError(str(path), f"not a readable RIS file: {exc}")
            continue
        for i, entry in enumerate(entries, 1):
            yield convert(f"{path}:entry {i}", ris_to_paper, entry)


def iter_ris(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a `.ris` file or every `.ris` file under a directory."""
    return finish(_ris_papers(location), ctx)


# --- CSL-JSON ----------------------------------------------------------------------------------


def _csl_date(item: dict[str, Any]) -> date | None:
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    if not parts or not parts[0]:
        return None
    numbers = [int(x) for x in parts[0][:3]]
    return parse_date("-".join(f"{n:02d}" if i else str(n) for i, n in enumerate(numbers)))


def csl_to_paper(item: dict[str, Any], source: str = "csl-json") -> Paper:
    authors = [
        a["literal"] if "literal" in a else join_name(a.get("family", ""), a.get("given", ""))
        for a in item.get("author", [])
    ]
    url = item.get("URL", "")
    return make_paper(
        source=source,
        arxiv_id=_arxiv(item.get("number"), url, item.get("archive_location")),
        title=item.get("title"),
        abstract=item.get("abstract"),
        doi=item.get("DOI"),
        authors=authors,
        categories=_categories(str(item.get("keyword", "")).split(",")),
        submitted=_csl_date(item),
        journal_ref=clean(item.get("container-title")),
        links={"url": url} if url.startswith(("http://", "https://")) else {},
    )


def to_csl_json(papers: Iterable[Paper], notes: Mapping[str, str] | None = None) -> str:
    """CSL-JSON items; `notes` (by paper id) become `note`."""
    items = []
    for p in papers:
        when = p.work_date
        item: dict[str, Any] = {
            "id": p.id,
            "type": "article-journal" if p.journal_ref else "article",
            "title": p.title,
            "author": [{"family": f, "given": g} if g else {"literal": f} for f, g in map(split_name, p.authors)],
            "abstract": p.abstract or None,
            "DOI": p.doi,
            "URL": ARXIV_ABS + p.id if p.is_arxiv else p.links.get("url"),
            "issued": {"date-parts": [[when.year, when.month, when.day]]} if when else None,
            "container-title": p.journal_ref,
            "keyword": ", ".join(p.categories) or None,
            "number": f"arXiv:{p.id}" if p.is_arxiv else None,
            "publisher": "arXiv" if p.is_arxiv and not p.journal_ref else None,
            "note": notes.get(p.id) if notes else None,
        }
        items.append({k: v for k, v in item.items() if v})
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _csl_papers(location: str) -> Iterator[Item]:
    for path in input_files(location, (".json", ".csl.json", ".csljson")):
        try:
            data = json.loads(_read(path))
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            yield RecordError(str(path), f"not a readable CSL-JSON file: {exc}")
            continue
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items, 1):
            if not isinstance(item, dict):
                yield RecordError(f"{path}:item {i}", "a CSL-JSON item must be an object")
                continue
            yield convert(f"{path}:item {i}", csl_to_paper, item)


def iter_csl_json(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a CSL-JSON file (an array of items) or every such file under a directory."""
    return finish(_csl_papers(location), ctx)

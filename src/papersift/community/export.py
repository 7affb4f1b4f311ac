"""Collection export: BibTeX (for reference managers) and JSON Lines (papersift's own records),
each optionally with the downloader's private notes.

BibTeX is written with bibtexparser so quoting and layout follow what BibTeX tools read back;
TeX in titles/abstracts is kept (it is what BibTeX expects) unless its braces are unbalanced,
in which case they are escaped so one odd abstract cannot corrupt the whole file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Block, Entry, Field

from papersift.paper import Paper

NO_NOTES: Mapping[str, str] = {}


def to_jsonl(papers: Iterable[Paper], notes: Mapping[str, str] = NO_NOTES) -> str:
    """One `Paper.to_dict()` JSON object per line (plus `note`: the downloader's private note)."""
    return "".join(json.dumps(_with_note(p.to_dict(), notes.get(p.id)), ensure_ascii=False) + "\n" for p in papers)


def _with_note(record: dict[str, object], note: str | None) -> dict[str, object]:
    return {**record, "note": note} if note else record


def _balanced(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and i and text[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _bib_value(text: str) -> str:
    return text if _balanced(text) else re.sub(r"(?<!\\)([{}])", r"\\\1", text)


def _key(paper: Paper, taken: set[str]) -> str:
    surname = paper.authors[0].split()[-1] if paper.authors else "anon"
    year = str(paper.work_date.year) if paper.work_date else ""
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", paper.title)), "paper")
    base = unicodedata.normalize("NFKD", f"{surname}{year}{word}").encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]", "", base) or "paper"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{n}"
    taken.add(key)
    return key


def _entry(paper: Paper, taken: set[str], note: str | None = None) -> Entry:
    when = paper.work_date
    values = {
        "title": paper.title,
        "author": " and ".join(paper.authors),
        "year": str(when.year) if when else None,
        "journal": paper.journal_ref,
        "doi": paper.doi,
        "eprint": paper.id if paper.is_arxiv else None,
        "archiveprefix": "arXiv" if paper.is_arxiv else None,
        "primaryclass": paper.primary_category if paper.is_arxiv else None,
        "url": paper.links.get("abs") or paper.links.get("project"),
        "abstract": paper.abstract,
        "annote": note,  # BibTeX's field for a reader's annotation (Zotero imports it as a note)
    }
    fields = [Field(k, _bib_value(v)) for k, v in values.items() if v]
    kind = "article" if paper.journal_ref else "misc"
    return Entry(kind, _key(paper, taken), fields)


def to_bibtex(papers: Iterable[Paper], notes: Mapping[str, str] = NO_NOTES) -> str:
    """A BibTeX database with one entry per paper and unique citation keys; `notes` (by paper id)
    become `annote` fields."""
    taken: set[str] = set()
    library = Library([_entry(p, taken, notes.get(p.id)) for p in papers])
    return write_string(library)


def iter_bibtex(papers: Iterable[Paper], batch: int = 1000) -> Iterator[str]:
    """`to_bibtex` in pieces, for a whole catalog: citation keys stay unique across the pieces."""
    taken: set[str] = set()
    chunk: list[Block] = []
    for paper in papers:
        chunk.append(_entry(paper, taken))
        if len(chunk) >= batch:
            yield write_string(Library(chunk))
            chunk = []
    if chunk:
        yield write_string(Library(chunk))

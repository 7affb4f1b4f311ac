"""Streaming parser for arXiv OAI-PMH responses (ListRecords/GetRecord pages and saved dumps).

Pages are read with `iterparse` and each `<record>` is detached from its parent once converted,
so a multi-GB saved harvest is parsed in constant memory. Elements are matched by local name, not
namespace: hand-made dumps often wrap records in a bare `<ListRecords>` without the OAI namespace.

Three arXiv metadata formats are understood:
- `arXiv`: split author names, `created` (v1) and `updated` (latest version) dates; no version list.
- `arXivRaw`: the full version history (`<version version="v2"><date>RFC 2822</date>`), authors as
  arXiv's free-text string.
- `oai_dc`: Dublin Core; creators "Keyname, Forenames", `dc:date` per version, abs URL, `doi:` and
  journal reference in `dc:identifier`, the comment as a "Comment: ..." `dc:description`. Its
  subjects are prose ("High Energy Physics - Phenomenology"), not category codes: none are taken.
Deleted records (`<header status="deleted">`) are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator
from typing import BinaryIO

from papersift.paper import Paper, make_paper, parse_arxiv_id, parse_date
from papersift.sources._arxiv import person, split_authors, versions
from papersift.sources._common import clean, convert, text_list
from papersift.sources.base import RecordError

SOURCE = "arxiv-oai"


class OaiError(Exception):
    """An OAI-PMH `<error code=...>` response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code


class NotOai(ValueError):
    """Well-formed XML that is not an OAI-PMH response (e.g. an HTML error page)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name] if elem is not None else []


def _child(elem: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(elem, name)
    return found[0] if found else None


def _text(elem: ET.Element | None, name: str) -> str | None:
    child = _child(elem, name)
    return child.text if child is not None and child.text is not None else None


def _texts(elem: ET.Element, name: str) -> list[str]:
    return [c.text.strip() for c in _children(elem, name) if c.text and c.text.strip()]


def _from_arxiv(meta: ET.Element, oai_id: str | None) -> Paper:
    authors = [
        person(_text(a, "keyname"), _text(a, "forenames"), _text(a, "suffix"))
        for a in _children(_child(meta, "authors"), "author")
    ]
    created = parse_date(_text(meta, "created"))
    return make_paper(
        source=SOURCE,
        arxiv_id=_text(meta, "id") or oai_id,
        title=_text(meta, "title"),
        abstract=_text(meta, "abstract"),
        doi=_text(meta, "doi"),
        authors=authors,
        categories=text_list(_text(meta, "categories")),
        comments=clean(_text(meta, "comments")),
        journal_ref=clean(_text(meta, "journal-ref")),
        license=clean(_text(meta, "license")),
        submitted=created,
        updated=parse_date(_text(meta, "updated")) or created,
    )


def _from_arxiv_raw(meta: ET.Element, oai_id: str | None) -> Paper:
    history = versions((v.get("version") or "", _text(v, "date")) for v in _children(meta, "version"))
    return make_paper(
        source=SOURCE,
        arxiv_id=_text(meta, "id") or oai_id,
        title=_text(meta, "title"),
        abstract=_text(meta, "abstract"),
        doi=_text(meta, "doi"),
        authors=split_authors(_text(meta, "authors")),
        categories=text_list(_text(meta, "categories")),
        versions=history,
        comments=clean(_text(meta, "comments")),
        journal_ref=clean(_text(meta, "journal-ref")),
        license=clean(_text(meta, "license")),
    )


def _from_dc(meta: ET.Element, oai_id: str | None) -> Paper:
    identifiers = _texts(meta, "identifier")
    arxiv_id = next((i for i in identifiers if parse_arxiv_id(i)), None) or oai_id
    descriptions = _texts(meta, "description")
    dates = sorted(d for d in (parse_date(t) for t in _texts(meta, "date")) if d)
    titles = _texts(meta, "title")
    other = [i for i in identifiers if not (parse_arxiv_id(i) or i.lower().startswith(("doi:", "http")))]
    return make_paper(
        source=SOURCE,
        arxiv_id=arxiv_id,
        title=titles[0] if titles else None,
        abstract=next((d for d in descriptions if not d.startswith("Comment:")), None),
        doi=next((i[4:] for i in identifiers if i.lower().startswith("doi:")), None),
        authors=[person(*c.split(",", 1)) for c in _texts(meta, "creator")],
        comments=clean(next((d[8:] for d in descriptions if d.startswith("Comment:")), None)),
        journal_ref=clean(other[0]) if other else None,
        submitted=dates[0] if dates else None,
        updated=dates[-1] if dates else None,
    )


_FORMATS: dict[str, Callable[[ET.Element, str | None], Paper]] = {
    "arXiv": _from_arxiv,
    "arXivRaw": _from_arxiv_raw,
    "dc": _from_dc,
}


def _record(elem: ET.Element, where: str) -> Paper | RecordError | None:
    header = _child(elem, "header")
    if header is not None and header.get("status") == "deleted":
        return None
    metadata = _child(elem, "metadata")
    if metadata is None or len(metadata) == 0:
        return RecordError(where, "record has no metadata")
    name = _local(metadata[0].tag)
    build = _FORMATS.get(name)
    if build is None:
        return RecordError(where, f"unsupported metadata format <{name}> (use arXiv, arXivRaw or oai_dc)")
    return convert(where, build, metadata[0], _text(header, "identifier"))


def iter_page(
    stream: BinaryIO, label: str, count: int = 0, require_oai: bool = False
) -> Generator[Paper | RecordError, None, tuple[str | None, int]]:
    """Yield the records of one response/dump; return `(resumptionToken or None, records seen)`.

    `count` continues record numbering across pages (`<label> record N`). Raises OaiError for an
    OAI `<error>`, NotOai when `require_oai` and the root is not `<OAI-PMH>`, ET.ParseError on
    malformed XML (after yielding the records before the damage).
    """
    token: str | None = None
    stack: list[ET.Element] = []
    for event, elem in ET.iterparse(stream, events=("start", "end")):
        name = _local(elem.tag)
        if event == "start":
            if not stack and require_oai and name != "OAI-PMH":
                raise NotOai(f"root element is <{name}>, not <OAI-PMH>")
            stack.append(elem)
            continue
        stack.pop()
        if name == "record":
            count += 1
            item = _record(elem, f"{label} record {count}")
            if item is not None:
                yield item
            if stack:
                stack[-1].remove(elem)  # detach: keeps memory flat over millions of records
        elif name == "resumptionToken":
            token = (elem.text or "").strip() or None
        elif name == "error" and len(stack) == 1:  # a child of <OAI-PMH>, not of a record
            raise OaiError(elem.get("code") or "unknown", " ".join((elem.text or "").split()))
    return token, count

"""Flat key/value records (BEIR corpora, generic JSON lines, CSV rows) -> Paper.

These formats name the same facts differently (`text` vs `abstract`, `comment` vs `comments`), so
one vocabulary of accepted field names serves all three, and `--option map=title:Title,...` names
any other column. The extra fields of the shared BEIR corpora (authors, categories, versions,
HF upvotes...) are understood so that evaluation corpora keep their metadata.

Ids: an `_id`/`id` that parses as an arXiv id becomes the canonical arXiv id, so the same paper
from any source merges. Any other id becomes `<collection>:<id>` (`scifact:4983`), the collection
defaulting to the input's parent folder name (`--option collection=`): BEIR ids are only unique
within their corpus, and qrels must map back. `beir_id()` is that mapping, for the evaluation
harness to apply to qrels corpus-ids.

Test collections (the `beir` format) may have documents with an empty title but an abstract (all
of NFCorpus, a few CACM/Cranfield documents): those are kept, titled with the abstract's first
words, and `raw_title == ""` marks such a derived title. For generic JSON lines and CSV a missing
title is a rejected record, as for every other source: a paper nobody can recognise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from papersift.paper import Paper, Popularity, make_paper, parse_arxiv_id, parse_date
from papersift.sources._arxiv import split_authors, versions
from papersift.sources._common import clean, convert, count, iter_json_lines, text_list
from papersift.sources.base import Item, RecordError, SourceError

# target -> accepted source field names, first present wins
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("_id", "id", "arxiv_id"),
    "title": ("title",),
    "abstract": ("text", "abstract", "summary"),
    "authors": ("authors",),
    "categories": ("categories",),
    "primary_category": ("primary_category",),
    "comments": ("comment", "comments"),
    "journal_ref": ("journal_ref", "journal-ref", "source"),
    "doi": ("doi",),
    "license": ("license",),
    "submitted": ("submitted", "published", "date"),
    "updated": ("updated",),
    "announced": ("announced", "daily_date"),
    "versions": ("versions",),
}
_TITLE_WORDS = 12
POPULARITY_SOURCE = "hf-daily"  # upvotes/num_comments/github_stars are HF Daily Papers counts


def beir_id(collection: str, raw_id: str) -> str:
    """The catalog id of a corpus document: its arXiv id when `raw_id` is one, else `collection:raw_id`."""
    parsed = parse_arxiv_id(raw_id)
    return parsed.id if parsed else f"{collection}:{raw_id}"


def parse_map(option: str | None) -> dict[str, str]:
    """`title:Title,abstract:Summary` -> {target: source field}; SourceError on a malformed option."""
    mapping: dict[str, str] = {}
    for pair in (option or "").split(","):
        if not pair.strip():
            continue
        target, sep, name = (p.strip() for p in pair.partition(":"))
        if not sep or not name or target not in FIELDS:
            raise SourceError(f"bad map entry {pair!r}: expected TARGET:FIELD with TARGET one of {', '.join(FIELDS)}")
        mapping[target] = name
    return mapping


def default_collection(path: Path, options: Mapping[str, str]) -> str:
    """`collection` option, else the name of the folder holding the file."""
    return options.get("collection") or path.resolve().parent.name


def _authors(value: Any) -> list[str]:
    if isinstance(value, str):
        return text_list(value, ";") if ";" in value else split_authors(value)
    return text_list(value)


def _popularity(record: Mapping[str, Any], announced: date | None) -> list[Popularity]:
    counts = {k: count(record.get(k)) for k in ("upvotes", "num_comments", "github_stars")}
    if all(v is None for v in counts.values()):
        return []
    observed = parse_date(record.get("captured_date")) or announced
    return [Popularity(POPULARITY_SOURCE, observed, counts["upvotes"], counts["num_comments"], counts["github_stars"])]


def field_names(mapping: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """target -> the source field names to try, in order: the mapped name alone, else the vocabulary's.

    Resolved once per input rather than once per field of every record."""
    return {target: (mapping[target],) if target in mapping else names for target, names in FIELDS.items()}


def _values(record: Mapping[str, Any], names: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """target -> the value of the first of its field names the record has with a non-empty value (None and ""
    are empty); targets without one are left out. One pass per record instead of a call per field."""
    found: dict[str, Any] = {}
    for target, aliases in names.items():
        for name in aliases:
            value = record.get(name)
            if value is not None and value != "":
                found[target] = value
                break
    return found


def to_paper(
    record: Mapping[str, Any],
    source: str,
    collection: str,
    names: Mapping[str, tuple[str, ...]],
    derive_title: bool = False,
) -> Paper:
    """One flat record -> Paper (see the module docstring for ids and untitled records); `names` from
    `field_names`."""
    get = _values(record, names).get
    raw_id = get("id")
    raw_id = str(raw_id).strip() if raw_id is not None else None
    arxiv = parse_arxiv_id(raw_id) if raw_id else None
    submitted, announced = parse_date(get("submitted")), parse_date(get("announced"))
    if "last_listed" in record:  # daily-listing corpora: `date` is the listing day, not the submission
        submitted, announced = None, announced or submitted
    title, abstract = get("title"), get("abstract")
    derived = derive_title and not (title and str(title).strip()) and bool(abstract and str(abstract).strip())
    if derived:
        words = str(abstract).split()
        title = " ".join(words[:_TITLE_WORDS]) + (" …" if len(words) > _TITLE_WORDS else "")
    paper = make_paper(
        source=source,
        arxiv_id=raw_id if arxiv else None,
        title=title,
        abstract=abstract,
        doi=get("doi"),
        authors=_authors(get("authors")),
        categories=text_list(get("categories")),
        primary_category=get("primary_category"),
        versions=versions((v["version"], v.get("date")) for v in get("versions") or []),
        submitted=submitted,
        updated=parse_date(get("updated")),
        announced=announced,
        comments=clean(get("comments")),
        journal_ref=clean(get("journal_ref")),
        license=clean(get("license")),
        links={"code": record.get("github_repo"), "project": record.get("project_page")},
        popularity=_popularity(record, announced),
    )
    changes: dict[str, Any] = {"raw_title": ""} if derived else {}
    if raw_id and not arxiv:
        changes["id"] = beir_id(collection, raw_id)
    return dataclasses.replace(paper, **changes) if changes else paper


def iter_json_records(
    location: str,
    source: str,
    options: Mapping[str, str],
    special: Callable[[dict[str, Any]], Paper | None] | None = None,
    derive_title: bool = False,
) -> Iterator[Item]:
    """Papers from JSON lines of flat records; `special` may claim a line first (papersift exports)."""
    names = field_names(parse_map(options.get("map")))
    folder: tuple[Path, str] | None = None
    for item in iter_json_lines(location):
        if isinstance(item, RecordError):
            yield item
            continue
        where, path, record = item
        if folder is None or folder[0] != path:
            folder = (path, default_collection(path, options))
        yield convert(where, _build, record, special, source, folder[1], names, derive_title)


def _build(
    record: dict[str, Any],
    special: Callable[[dict[str, Any]], Paper | None] | None,
    source: str,
    collection: str,
    names: Mapping[str, tuple[str, ...]],
    derive_title: bool,
) -> Paper:
    paper = special(record) if special else None
    return paper if paper is not None else to_paper(record, source, collection, names, derive_title)

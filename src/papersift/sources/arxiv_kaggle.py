"""Kaggle/Cornell `arxiv-metadata-oai-snapshot.json`: the bulk dump of all arXiv metadata.

Despite the `.json` name it is JSON Lines (one paper per line, several GB), plain or gzipped, so it
is streamed line by line. Authors come from `authors_parsed` ([keyname, forenames, suffix], already
Unicode) rather than the TeX-encoded `authors` string, which is only a fallback. `versions[].created`
(RFC 2822) gives the version history: submitted = v1, updated = latest version. `update_date` is
the date the *metadata* last changed (e.g. a journal-ref was added), not a new version, so it is
not used as `updated`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from papersift.paper import Paper, make_paper
from papersift.sources._arxiv import person, require_arxiv_id, split_authors, versions
from papersift.sources._common import clean, convert, finish, iter_json_lines, text_list
from papersift.sources.base import Item, RecordError, SourceContext

SOURCE = "arxiv-kaggle"


def _authors(record: dict[str, Any]) -> list[str]:
    parsed = record.get("authors_parsed")
    if parsed:
        return [person(*parts[:3]) for parts in parsed]
    return split_authors(record.get("authors"))


def to_paper(record: dict[str, Any]) -> Paper:
    """One snapshot line (already JSON-decoded) -> Paper."""
    history = versions((v["version"], v.get("created")) for v in record.get("versions") or [])
    return make_paper(
        source=SOURCE,
        arxiv_id=require_arxiv_id(record.get("id")),
        title=record.get("title"),
        abstract=record.get("abstract"),
        doi=record.get("doi"),
        authors=_authors(record),
        categories=text_list(record.get("categories")),
        versions=history,
        journal_ref=clean(record.get("journal-ref")),
        comments=clean(record.get("comments")),
        license=clean(record.get("license")),
    )


def _papers(location: str) -> Iterator[Item]:
    for item in iter_json_lines(location):
        if isinstance(item, RecordError):
            yield item
        else:
            where, _, record = item
            yield convert(where, to_paper, record)


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a snapshot file (or a directory of them, plain or .gz)."""
    return finish(_papers(location), ctx)

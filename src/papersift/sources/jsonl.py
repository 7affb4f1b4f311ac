"""Generic JSON lines: papersift's own exports, BEIR-style records, or any flat record via `map=`.

A line holding every field of `Paper.to_dict()` is a papersift export and is read back with
`Paper.from_dict`, unchanged (sources included), so export -> import is lossless. Any other line is
a flat record read with the `_records` vocabulary (`_id`/`id`, `title`, `text`/`abstract`, ...);
`--option map=title:Title,abstract:Summary` names other fields, `collection=` sets the prefix of
non-arXiv ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from papersift.paper import Paper
from papersift.sources._common import finish
from papersift.sources._records import iter_json_records
from papersift.sources.base import Item, SourceContext

SOURCE = "jsonl"
EXPORT_FIELDS = frozenset(f.name for f in dataclasses.fields(Paper))


def from_export(record: dict[str, Any]) -> Paper | None:
    """The Paper an export line describes, or None when the line is not a papersift export."""
    return Paper.from_dict(record) if EXPORT_FIELDS <= record.keys() else None


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a JSON-lines file or every `.jsonl`/`.json` file under a directory (plain or .gz)."""
    return finish(iter_json_records(location, SOURCE, ctx.options, from_export), ctx)

"""BEIR corpora: `corpus.jsonl[.gz]` lines of `_id`, `title`, `text`, plus any extra metadata fields.

The test collections (SciFact, NFCorpus, CACM...) and the shared arXiv-derived corpora use this
form. Field names, ids (`beir_id`: arXiv id, else `<collection>:<_id>`) and untitled documents are
handled by `_records`; see its docstring. Options: `collection=NAME` (default: the folder name),
`map=TARGET:FIELD,...` for non-standard field names.
"""

from __future__ import annotations

from collections.abc import Iterator

from papersift.sources._common import finish
from papersift.sources._records import beir_id, iter_json_records
from papersift.sources.base import Item, SourceContext

SOURCE = "beir"

__all__ = ["beir_id", "iter_papers"]


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Stream a corpus file or every `.jsonl`/`.json` file under a directory (plain or .gz)."""
    return finish(iter_json_records(location, SOURCE, ctx.options, derive_title=True), ctx)

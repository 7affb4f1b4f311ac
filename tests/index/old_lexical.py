"""A keyword index as papersift wrote it before D77: title, abstract and authors stored in tantivy's
doc store. Upgrade tests build one to check that a newer papersift rebuilds it instead of serving it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import tantivy

from papersift.index.analysis import NAME
from papersift.index.embedded.lexical_schema import NAME_TOKENIZER, document
from papersift.paper import Paper


def old_schema() -> tantivy.Schema:
    """The schema of papersift's lexical index up to D77 (only `stored` differs from today's)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("abstract", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=False, tokenizer_name="en_stem")
    sb.add_text_field("authors", stored=True, tokenizer_name=NAME_TOKENIZER)
    sb.add_text_field("cat", tokenizer_name="raw")
    sb.add_text_field("cat_facet", tokenizer_name="raw", fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    return sb.build()


def write_old_index(path: Path, papers: Iterable[Paper]) -> int:
    """Write `papers` into a new old-schema index at `path` (which must not exist); returns how many."""
    path.mkdir(parents=True)
    index = tantivy.Index(old_schema(), path=str(path))
    index.register_tokenizer(NAME_TOKENIZER, NAME)
    writer = index.writer(50_000_000, 1)
    n = 0
    for paper in papers:
        writer.add_document(document(paper))
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    return n

"""What the lexical index holds: its fields, and the document a paper becomes.

Fields: `id` (raw), `title`/`abstract` (tantivy's `en_stem`: simple tokenizer, lower-case, English
Snowball stemmer), `text` (title twice plus abstract as one field, indexed only, for ranking),
`authors` (one value per author, lower-cased and ASCII-folded so "Schölkopf" matches "Scholkopf";
values do not phrase-match across authors), `cat` (lower-cased, exact) and `cat_facet` (as
spelled, for facet counts), `day` (date ordinal of submitted/announced/updated) and `year`.

Only `id` is stored: every hit is read for its id alone, and a stored title/abstract/authors made
each read decompress a block of whole documents (1.2 GiB of `.store` pages resident at 1M papers);
snippets and key terms take their text from the catalog rows instead (docs/DECISIONS.md D77). The
query compiler (`lexical_query`) and the index (`lexical`) both read these names, so they live in
one place.
"""

from __future__ import annotations

from datetime import date

import tantivy

from papersift.index.analysis import NAME, utf8
from papersift.index.payload import meta_of
from papersift.paper import Paper

NAME_TOKENIZER = "papersift_name"
TEXT_FIELDS = ("title", "abstract", "authors")  # where bare words match, as shown (snippets)
RANKED_FIELDS = ("text", "authors")  # where bare words are scored: the same matches, one BM25 for both texts
AUTHOR_GAP = 10  # extra positions between two authors' names
TITLE_WEIGHT = 2  # BM25F weight of the title inside `text` (measured against 1 on five collections, D25)
TITLE_BOOST = 1.0  # measured: title x2 cost nDCG@10 on SciFact and NFCorpus (docs/DECISIONS.md D8, D25)


def _build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=False, tokenizer_name="en_stem")
    sb.add_text_field("abstract", stored=False, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=False, tokenizer_name="en_stem")
    sb.add_text_field("authors", stored=False, tokenizer_name=NAME_TOKENIZER)
    sb.add_text_field("cat", tokenizer_name="raw")
    sb.add_text_field("cat_facet", tokenizer_name="raw", fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    return sb.build()


SCHEMA = _build_schema()


def document(p: Paper) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("id", p.id)
    doc.add_text("title", utf8(p.title or ""))
    doc.add_text("abstract", utf8(p.abstract or ""))
    if p.raw_title != "":  # "" marks a title derived from the abstract's first words: not a title
        for _ in range(TITLE_WEIGHT):  # BM25F: a title word counts TITLE_WEIGHT times, length too
            doc.add_text("text", utf8(p.title or ""))
    doc.add_text("text", utf8(p.abstract or ""))
    for author in p.authors:  # pre-tokenised to widen the gap between authors (phrase slop 1)
        pre = NAME.pre_tokenize(utf8(author))
        shifted = [
            tantivy.Token(t.text, t.position + AUTHOR_GAP, t.char_offset_from, t.char_offset_to) for t in pre.tokens
        ]
        doc.add_pre_tokenized_text("authors", tantivy.PreTokenizedString(pre.text, shifted))
    day, cats = meta_of(p)  # the same date and categories the vector index filters on
    for cat in cats:
        doc.add_text("cat", utf8(cat).lower())
        doc.add_text("cat_facet", utf8(cat))
    if day:
        doc.add_integer("day", day)
        doc.add_integer("year", date.fromordinal(day).year)
    return doc

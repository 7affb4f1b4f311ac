"""The papersift collection in Milvus: its schema, and a Paper as one row of it.

One row per paper holds everything both indexes need, so Milvus can filter a dense search by
category or date natively and combine BM25 with vectors in one collection:

    id             VARCHAR primary key (the catalog id)
    text           title and abstract stems + `au_`-prefixed author words: what bare words match
    title_toks, abstract_toks   stems per field (BM25 inputs; `ti:`/`abs:` and phrase checks)
    ranked_toks    title stems twice + abstract stems: the BM25F-style field bare words are
                   scored on, as in the embedded index (docs/DECISIONS.md D25)
    author_toks    folded author words (BM25 input; `au:` filters)
    *_sparse       the three BM25 functions' outputs (SPARSE_INVERTED_INDEX, metric BM25)
    title, abstract, authors    as written, for snippets and key terms
    cats / cat_facet   categories lower-cased (filters) / as spelled (facets); cat_text "|a|b|" for prefixes
    day            date ordinal of submitted/announced/updated, 0 when undated
    vec, has_vec   the embedding (HNSW, inner product on unit vectors = cosine); zeros until embedded
    has_text       False for a row that so far only has a vector (vectors may arrive first)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from papersift.index.milvus.analysis import author_terms, name_tokens, stems
from papersift.paper import Paper

VARCHAR_MAX = 65_535  # Milvus limit, in bytes
MAX_AUTHORS = 4_096  # Milvus ARRAY capacity limit
MAX_CATS = 64
HNSW = {"M": 16, "efConstruction": 200}
SPARSE = {
    "title_toks": "title_sparse",
    "abstract_toks": "abstract_sparse",
    "author_toks": "author_sparse",
    "ranked_toks": "ranked_sparse",
}
TITLE_WEIGHT = 2  # the title's weight inside ranked_toks, as TantivyIndex's `text` field
ROW_FIELDS = [
    "id",
    "text",
    "title_toks",
    "abstract_toks",
    "author_toks",
    "ranked_toks",
    "title",
    "abstract",
    "authors",
    "cats",
    "cat_facet",
    "cat_text",
    "day",
    "vec",
    "has_vec",
    "has_text",
]


def fit(text: str, limit: int = VARCHAR_MAX) -> str:
    """Cut `text` to `limit` UTF-8 bytes at a character boundary (Milvus counts bytes)."""
    raw = text.encode("utf-8", "replace")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def build_schema(client: Any, dim: int) -> tuple[Any, Any]:
    """(schema, index params) for a new collection."""
    from pymilvus import DataType, Function, FunctionType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
    analyzer = {"tokenizer": "standard", "filter": ["lowercase"]}
    for name in ("text", "title_toks", "abstract_toks", "author_toks", "ranked_toks"):
        s.add_field(
            name,
            DataType.VARCHAR,
            max_length=VARCHAR_MAX,
            enable_analyzer=True,
            enable_match=True,
            analyzer_params=analyzer,
        )
    s.add_field("title", DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("abstract", DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("authors", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_AUTHORS, max_length=512)
    s.add_field("cats", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_CATS, max_length=128)
    s.add_field("cat_facet", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_CATS, max_length=128)
    s.add_field("cat_text", DataType.VARCHAR, max_length=8192)
    s.add_field("day", DataType.INT64)
    s.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("has_vec", DataType.BOOL)
    s.add_field("has_text", DataType.BOOL)
    index = client.prepare_index_params()
    for source, sparse in SPARSE.items():
        s.add_field(sparse, DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(
            Function(
                name=f"{source}_bm25",
                function_type=FunctionType.BM25,
                input_field_names=[source],
                output_field_names=[sparse],
            )
        )
        index.add_index(
            field_name=sparse,
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": 1.2, "bm25_b": 0.75},
        )  # tantivy's constants
    index.add_index(field_name="vec", index_type="HNSW", metric_type="IP", params=HNSW)
    return s, index


def described_dim(description: dict[str, Any]) -> int | None:
    """The vector dimension of a described papersift collection; -1 for a papersift collection
    of another schema (to rebuild), None for a collection that is not papersift's."""
    fields = {f["name"]: f for f in description.get("fields", [])}
    if "has_text" not in fields:
        return None
    if not set(ROW_FIELDS) | set(SPARSE.values()) <= set(fields):
        return -1
    return int(fields["vec"]["params"]["dim"])


def empty_row(pid: str, dim: int) -> dict[str, Any]:
    """A row with no text and no vector yet."""
    return {
        "id": pid,
        "text": "",
        "title_toks": "",
        "abstract_toks": "",
        "author_toks": "",
        "ranked_toks": "",
        "title": "",
        "abstract": "",
        "authors": [],
        "cats": [],
        "cat_facet": [],
        "cat_text": "",
        "day": 0,
        "vec": np.zeros(dim, dtype=np.float32).tolist(),
        "has_vec": False,
        "has_text": False,
    }


def text_fields(p: Paper) -> dict[str, Any]:
    """The lexical part of a paper's row."""
    title, abstract = p.title or "", p.abstract or ""
    authors = [fit(a, 512) for a in p.authors[:MAX_AUTHORS]]
    title_toks, abstract_toks = " ".join(stems(title)), " ".join(stems(abstract))
    author_words = " ".join(t for a in authors for t in author_terms(a))
    cats = list(dict.fromkeys([*p.categories, *([p.primary_category] if p.primary_category else [])]))[:MAX_CATS]
    when = p.work_date
    return {
        "text": fit(f"{title_toks} {abstract_toks} {author_words}".strip()),
        "title_toks": fit(title_toks),
        "abstract_toks": fit(abstract_toks),
        "author_toks": fit(" ".join(t for a in authors for t in name_tokens(a))),
        # a title derived from the abstract (raw_title "") is not a title: left out, as in tantivy
        "ranked_toks": fit(" ".join([*([title_toks] * TITLE_WEIGHT if p.raw_title != "" else []), abstract_toks])),
        "title": fit(title),
        "abstract": fit(abstract),
        "authors": authors,
        "cats": [fit(c.lower(), 128) for c in cats],
        "cat_facet": [fit(c, 128) for c in cats],
        "cat_text": fit("|" + "|".join(c.lower() for c in cats) + "|", 8192),
        "day": when.toordinal() if when else 0,
        "has_text": True,
    }

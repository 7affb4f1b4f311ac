"""Ids of a filter's matches without the doc store: tantivy's order key of a fast `id` column (D78).

    PYTHONPATH=src .venv/bin/python benchmarks/lexical_fast_ids.py --home HOME [--scratch DIR]

`filter_among`/`filter_ids` want every matching id, in no order. Today each id is read from the doc
store (ids only since D77). The alternative: make `id` a fast field and search with
`order_by_field="id"`, whose hits carry the id string as their order key, touching no stored
document. This writes the home's catalog into a scratch index with that schema (once; --scratch),
opens the home's own keyword index beside it, and for random id sets of 100, 1,000 and 20,000
runs the same `term_set_query` on both, A = stored ids, B = order keys, alternating which goes
first; it checks both return exactly the asked ids and prints each side's mean thread CPU.
Read-only for the home. Timings are comparable only within one run: record `uptime`.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import tantivy
from tantivy import Query

from papersift.catalog import Catalog
from papersift.index.analysis import NAME
from papersift.index.embedded.lexical import TantivyIndex
from papersift.index.embedded.lexical_schema import NAME_TOKENIZER, SCHEMA, document


def fast_id_schema() -> tantivy.Schema:
    """Today's schema with `id` also a fast field."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    for name in ("title", "abstract", "text"):
        sb.add_text_field(name, stored=False, tokenizer_name="en_stem")
    sb.add_text_field("authors", stored=False, tokenizer_name=NAME_TOKENIZER)
    sb.add_text_field("cat", tokenizer_name="raw")
    sb.add_text_field("cat_facet", tokenizer_name="raw", fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    return sb.build()


def build(home: Path, scratch: Path) -> tantivy.Index:
    if not (scratch / "meta.json").exists():
        scratch.mkdir(parents=True)
        catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
        index = tantivy.Index(fast_id_schema(), path=str(scratch))
        index.register_tokenizer(NAME_TOKENIZER, NAME)
        writer, seq = index.writer(64_000_000, 1), 0
        while changes := catalog.changes_since(seq, 10_000):
            for paper in catalog.get_many(c.id for c in changes if not c.deleted).values():
                writer.add_document(document(paper))
            seq = changes[-1].seq
        writer.commit()
        writer.wait_merging_threads()
        catalog.close()
    index = tantivy.Index.open(str(scratch))
    index.register_tokenizer(NAME_TOKENIZER, NAME)
    return index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/papersift-fast-ids"))
    args = ap.parse_args()
    fast = build(args.home, args.scratch).searcher()
    plain = TantivyIndex.open(args.home / "index" / "lexical", create=False)._index.searcher()
    everyone = plain.search(Query.all_query(), plain.num_docs, count=False).hits
    ids = [str(plain.doc(addr).get_first("id")) for _, addr in everyone]
    rng = random.Random(1)
    for n in (100, 1_000, 20_000):
        cpu = {"a": 0.0, "b": 0.0}
        reps = 40 if n < 20_000 else 6
        for rep in range(reps):
            wanted = rng.sample(ids, n)
            query = Query.term_set_query(SCHEMA, "id", wanted)
            for side in ("a", "b") if rep % 2 else ("b", "a"):
                c0 = time.thread_time()
                if side == "a":
                    got = {str(plain.doc(a).get_first("id")) for _, a in plain.search(query, n, count=False).hits}
                else:
                    got = {str(k) for k, _ in fast.search(query, n, count=False, order_by_field="id").hits}
                cpu[side] += time.thread_time() - c0
                assert got == set(wanted), f"{side}: {len(got)} of {n} ids"
        print(
            f"{n:>6,} ids: stored {cpu['a'] / reps * 1e3:.3f} ms, fast-field order key {cpu['b'] / reps * 1e3:.3f} ms"
        )


if __name__ == "__main__":
    main()

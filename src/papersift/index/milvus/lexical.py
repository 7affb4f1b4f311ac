"""`TantivyIndex`'s methods on Milvus: BM25 full-text search with exact filters.

BM25 runs in Milvus per field (the BM25F-style title x2 + abstract field, title, abstract,
authors: four BM25 functions), and a query searches the fields its positive words address
(bare words: the BM25F-style field and authors; `ti:`/`abs:` their own), summed by Milvus's
hybrid search with a weighted ranker on raw scores (`norm_score=False`): the embedded index's
scoring, title boost included. Which papers match is decided by the compiled expression (`expr.py`),
so `+word`, `-word`, AND, fielded words and filters keep their meaning. Phrases
are matched as "all their words" by Milvus and confirmed in Python on over-fetched candidates.
Listings sorted by date, facets, snippets and key terms are computed in Python from rows that
Milvus returns (it has no sort-by-field search, aggregations or highlighter); see
docs/backends.md for what that costs on large result sets.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import islice
from typing import Any, Literal

from papersift.index import terms
from papersift.index.analysis import AUTHOR_WEIGHT
from papersift.index.milvus import expr as ex
from papersift.index.milvus.analysis import stems
from papersift.index.milvus.schema import text_fields
from papersift.index.milvus.snippets import highlight
from papersift.index.milvus.table import MAX_TOPK, Table, chunks, id_list
from papersift.index.protocols import KeyTerm, Matches
from papersift.paper import Paper
from papersift.query import syntax as q

HAS_TEXT = "has_text == true"
NO_TEXT = "has_text == false"
FIELD_DEPTH = 500  # at least this many hits per field are fused into a BM25 ranking
DF_SAMPLE = 20_000  # papers read to estimate document frequencies for key terms
DF_TTL_S = 600.0
FACET_SCAN = 50_000  # facets count at most this many matching papers (see docs/backends.md)


class MilvusLexical:
    """The lexical side of a `MilvusStore` (same method names as `TantivyIndex`)."""

    def __init__(self, table: Table):
        self.table = table
        self._df: tuple[Counter[str], float, float] | None = None  # (counts, scale, when)

    # --- writing: visible as soon as Milvus acknowledges (Strong consistency) --------------------

    def upsert(self, papers: Iterable[Paper]) -> int:
        updates = {p.id: text_fields(p) for p in papers}
        self.table.merge(updates)
        return len(updates)

    def delete(self, ids: Iterable[str]) -> None:
        self.table.delete(ids)

    def commit(self) -> None:
        """Writes were visible and durable when Milvus acknowledged them; flushing seals them into
        indexed segments (unflushed rows are searched by brute force: 20x slower on milvus-lite)."""
        self.table.flush()
        self._df = None

    def close(self) -> None:
        """Nothing is buffered client-side."""

    def reload(self) -> None:
        self._df = None
        self.table.changed()

    # --- reading ---------------------------------------------------------------------------------

    def doc_count(self) -> int:
        """Rows minus vector-only rows (counting the few is cheap; counting the many is not)."""
        return self.table.count(None, cache=True) - self.table.count(NO_TEXT, cache=True)

    def _matches(self, plan: ex.Plan, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every matching row (confirmed in Python when the expression is inexact)."""
        if plan.nothing:
            return
        fields = fields if plan.cond.exact else list(dict.fromkeys([*fields, *ex.VERIFY_FIELDS]))
        for row in self.table.scan(plan.cond.expr or HAS_TEXT, fields):
            if plan.cond.exact or plan.matches(row):
                yield row

    def search(
        self,
        parsed: q.ParsedQuery,
        limit: int = 10,
        title_boost: float = 1.0,
        *,
        offset: int = 0,
        sort: Literal["relevance", "date"] = "relevance",
    ) -> list[tuple[str, float]]:
        """(id, BM25 score) best first; an empty query matches everything.

        sort="date": newest first (undated last), every score 0.0.
        """
        if limit <= 0:
            return []
        offset = max(offset, 0)
        need = offset + limit
        plan = ex.plan(parsed, HAS_TEXT)
        if sort == "date":
            return [(pid, 0.0) for pid in self._by_date(plan)[offset:need]]
        if not plan.bm25:
            out = []
            for row in self._matches(plan, ["id"]):
                out.append((row["id"], 0.0))
                if len(out) >= need:
                    break
            return out[offset:]
        return self._bm25(plan, need, title_boost)[offset:]

    def search_counted(
        self, parsed: q.ParsedQuery, limit: int = 10, *, sort: Literal["relevance", "date"] = "relevance"
    ) -> tuple[list[tuple[str, float]], int]:
        """`search` plus how many papers match (a date listing counts while it sorts)."""
        if sort == "date":
            ids = self._by_date(ex.plan(parsed, HAS_TEXT))
            return [(pid, 0.0) for pid in ids[: max(limit, 0)]], len(ids)
        return self.search(parsed, limit), self.count(parsed)

    def search_top(self, parsed: q.ParsedQuery, limit: int = 10) -> tuple[list[tuple[str, float]], Matches]:
        """`search_counted` by relevance: Milvus counts exactly (no estimate here)."""
        hits, count = self.search_counted(parsed, limit)
        return hits, Matches(count)

    def _by_date(self, plan: ex.Plan) -> list[str]:
        """Every match, newest first (undated last): Milvus cannot sort a search by a field."""
        rows = sorted(self._matches(plan, ["id", "day"]), key=lambda r: (-r["day"], r["id"]))
        return [r["id"] for r in rows]

    def _bm25(self, plan: ex.Plan, need: int, title_boost: float = 1.0) -> list[tuple[str, float]]:
        """Top `need` by summed per-field BM25 among the papers the filters allow.

        The text condition is not sent to Milvus: BM25 only returns papers sharing a word with
        the query, which for plain words is exactly the match set, and `text_match` in a search
        filter is costly. Anything stricter (+word, AND, -word, phrases, fields) is confirmed in
        Python, over-fetching x4 per round until the page is full or candidates run out. Each
        field's list is cut at FIELD_DEPTH (or 5x the page), so a paper outside every field's
        list could be missed: a tail effect the agreement test measures.
        """
        if plan.nothing:
            return []
        exact = plan.bm25_exact and plan.filter_cond.exact
        fields = ["id"] if exact else ex.VERIFY_FIELDS
        k = need if exact else need * 2
        while True:
            k = min(k, MAX_TOPK)
            hits = self._bm25_hits(plan, k, fields, title_boost)
            out = [(h["id"], score) for h, score in hits if exact or plan.matches({**h["entity"], "id": h["id"]})]
            if len(out) >= need or len(hits) < k or k >= MAX_TOPK:
                out.sort(key=lambda x: -x[1])
                return out[:need]
            k *= 4

    def _bm25_hits(self, plan: ex.Plan, k: int, fields: list[str], title_boost: float) -> list[tuple[Any, float]]:
        from pymilvus import AnnSearchRequest, WeightedRanker

        client, name, expr = self.table.client, self.table.name, plan.filter_cond.expr
        routes = [(f, words) for f, words in plan.bm25.items() if f != ex.TITLE_EXTRA]
        field_weights = {ex.BM25_FIELDS["title"]: title_boost, ex.BM25_FIELDS["authors"]: AUTHOR_WEIGHT}
        weights = [field_weights.get(field, 1.0) for field, _ in routes]
        if title_boost > 1.0 and ex.TITLE_EXTRA in plan.bm25:  # the embedded index's extra title clause
            routes.append((ex.BM25_FIELDS["title"], plan.bm25[ex.TITLE_EXTRA]))
            weights.append(title_boost - 1.0)
        if len(routes) == 1:
            ((field, words),) = routes
            hits = client.search(
                name,
                data=[words],
                anns_field=field,
                filter=expr or "",
                limit=k,
                output_fields=fields,
                search_params={"metric_type": "BM25"},
            )[0]
            # BM25 scores are positive; milvus-lite reports them negated as distances
            return [(h, abs(float(h["distance"])) * weights[0]) for h in hits]
        requests = [
            AnnSearchRequest(
                data=[words],
                anns_field=field,
                param={"metric_type": "BM25"},
                limit=min(max(5 * k, FIELD_DEPTH), MAX_TOPK),
                expr=expr,
            )
            for field, words in routes
        ]
        hits = client.hybrid_search(
            name, requests, WeightedRanker(*weights, norm_score=False), limit=k, output_fields=fields
        )[0]
        return [(h, float(h["distance"])) for h in hits]

    def count(self, parsed: q.ParsedQuery) -> int:
        """How many papers match (text and filters)."""
        plan = ex.plan(parsed, HAS_TEXT)
        if plan.nothing:
            return 0
        if plan.cond.exact:
            return self.table.count(plan.cond.expr)
        return sum(1 for _ in self._matches(plan, ["id"]))

    def filter_ids(self, filters: q.Node | q.ParsedQuery | None) -> set[str] | None:
        """Every id matching a filter AST (None when there are no filters)."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        if node is None:
            return None
        return {r["id"] for r in self._matches(ex.plan(q.ParsedQuery(None, node), HAS_TEXT), ["id"])}

    def filter_among(self, filters: q.Node | q.ParsedQuery | None, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` that are indexed and match the filters (all indexed ids if none)."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        out: set[str] = set()
        for part in chunks(list(dict.fromkeys(ids))):
            plan = ex.plan(q.ParsedQuery(None, node), HAS_TEXT, extra=f"id in {id_list(part)}")
            out.update(r["id"] for r in self._matches(plan, ["id"]))
        return out

    def snippets_of(self, abstracts: Mapping[str, str], parsed: q.ParsedQuery, max_chars: int = 240) -> dict[str, str]:
        """HTML-escaped best fragment of each abstract the caller holds, query words in <mark>."""
        terms = {t for w in (q.walk_positive(parsed.text) if parsed.text is not None else ()) for t in stems(w)}
        return {pid: highlight(text, terms, max_chars) for pid, text in abstracts.items()}

    def facets(
        self, parsed: q.ParsedQuery, field: Literal["categories", "year"] = "categories", limit: int = 20
    ) -> list[tuple[str, int]]:
        """(value, count) over the matching papers (the first FACET_SCAN of them), commonest first."""
        rows = self._matches(ex.plan(parsed, HAS_TEXT), ["id", "cat_facet", "day"])
        return _facet_counts(islice(rows, FACET_SCAN), field, limit)

    def facets_among(
        self, ids: Iterable[str], field: Literal["categories", "year"] = "categories", limit: int = 20
    ) -> list[tuple[str, int]]:
        """`facets` over the given papers only (e.g. the top results of a huge match set)."""
        rows = self.table.rows(ids, ["id", "cat_facet", "day", "has_text"]).values()
        return _facet_counts((r for r in rows if r["has_text"]), field, limit)

    def _doc_freqs(self) -> tuple[Counter[str], float]:
        """Document frequencies of title/abstract stems over (a sample of) the collection, and
        the factor scaling them to the whole. Milvus cannot count many terms at once, and one
        `text_match` count per term made a single "similar papers" call take seconds; an
        estimate is enough to rank the words that explain a similarity."""
        now = time.monotonic()
        if self._df is None or now - self._df[2] > DF_TTL_S:
            counts: Counter[str] = Counter()
            seen = 0
            for row in self.table.scan(HAS_TEXT, ["id", "title_toks", "abstract_toks"], limit=DF_SAMPLE):
                counts.update(set(row["title_toks"].split()) | set(row["abstract_toks"].split()))
                seen += 1
            self._df = (counts, self.doc_count() / max(seen, 1), now)
        return self._df[0], self._df[1]

    def key_terms(self, paper: Paper, k: int = 10) -> list[KeyTerm]:
        """The paper's top tf-idf terms (title words count double), for explaining similarity."""
        if k <= 0:
            return []
        counts, scale = self._doc_freqs()
        n_docs = self.doc_count()
        return terms.key_terms(paper.title or "", paper.abstract or "", k, n_docs, lambda s: round(counts[s] * scale))

    def shared_terms(self, a: Paper, b: Paper, k: int = 5) -> list[str]:
        """Key terms two papers share (surface words of `a`), strongest first."""
        return terms.shared_terms(self.key_terms(a, 30), self.key_terms(b, 30), k)


def _facet_counts(rows: Iterable[dict[str, Any]], field: str, limit: int) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for row in rows:
        if field == "categories":
            counts.update(row["cat_facet"])
        elif row["day"] > 0:
            counts[str(date.fromordinal(row["day"]).year)] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: max(limit, 1)]

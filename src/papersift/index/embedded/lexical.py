"""The lexical index: BM25 over tantivy, fielded, persistent under one directory.

Why tantivy: measured on this machine it builds 1M abstracts in ~33 s and answers OR queries in
~2 ms (SQLite FTS5: ~230 ms); its commits are atomic (a crash before `commit()` leaves the previous
commit served) and its segments live on disk, so the web process and the indexer share the files.

What it holds is `lexical_schema`; how the query language becomes tantivy queries is
`lexical_query`; the exact top k of big OR queries is `pruning` (D71). This module owns the
directory: opening, writing, and reading hits, counts, snippets, facets and key terms.
One writer per directory (tantivy's lock): readers never take it; writers take it on first write.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import tantivy
from tantivy import Occur, Query

from papersift.index import terms
from papersift.index.analysis import NAME, utf8
from papersift.index.embedded import pruning
from papersift.index.embedded.lexical_query import QueryCompiler
from papersift.index.embedded.lexical_schema import NAME_TOKENIZER, SCHEMA, TITLE_BOOST, document
from papersift.index.protocols import KeyTerm, Matches
from papersift.paper import Paper
from papersift.query import syntax as q

# Above this many postings (the sum of the query words' document frequencies) an OR query's top k
# is pruned and its total estimated; below, the plain walk with its exact count takes ~0.5 ms (D71)
PRUNE_POSTINGS = 50_000
# tantivy's indexing buffer, allocated as used: a LEXICAL_COMMIT_EVERY batch of 100k papers (~320 MB at
# arXiv abstracts' length) stays one segment instead of being flushed as several (D94)
WRITER_HEAP = 512_000_000
_SEGMENT_SUFFIXES = {".idx", ".term", ".store", ".pos", ".fast", ".fieldnorm", ".del"}


class IndexCorrupt(RuntimeError):
    """The directory holds an index tantivy cannot open: move it aside and rebuild it."""


class IndexOutdated(IndexCorrupt):
    """The directory holds a sound index of another schema (an older papersift's): rebuild it.

    Not damage: the index is derived from the catalog, so it is replaced, not kept as evidence."""


def outdated(path: Path) -> bool:
    """Whether `path` holds a sound keyword index of another schema (an older papersift's), which
    the next process to open the home rebuilds. Read-only (no writer lock): `doctor` asks it of a
    home in use. A damaged or missing index is not "outdated": opening it says what it is."""
    if not (path / "meta.json").exists():
        return False
    try:
        return bool(tantivy.Index.open(str(path)).schema != SCHEMA)
    except BaseException as exc:  # tantivy panics surface as pyo3 PanicException(BaseException)
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        return False


class IndexLocked(RuntimeError):
    """Another writer (this or another process) holds the index's write lock."""


class TantivyIndex:
    """A tantivy index of Papers. Use `open`; writes become visible (and durable) on `commit`."""

    def __init__(self, index: tantivy.Index, path: Path, heap_size: int, threads: int):
        self._index, self.path, self._heap, self._threads = index, path, heap_size, threads
        self._writer: tantivy.IndexWriter | None = None
        self._pending: set[str] = set()  # ids added since the last commit (not visible to the searcher yet)
        self.compiler = QueryCompiler()
        index.register_tokenizer(NAME_TOKENIZER, NAME)

    @classmethod
    def open(cls, path: Path, create: bool = True, *, heap_size: int = WRITER_HEAP, threads: int = 1) -> TantivyIndex:
        """Open (or create) the index at `path`; IndexCorrupt if files exist but cannot be used."""
        path = Path(path)
        if (path / "meta.json").exists():
            try:
                index = tantivy.Index.open(str(path))
                index.searcher()  # opens every segment
            except BaseException as exc:  # tantivy panics surface as pyo3 PanicException(BaseException)
                if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                    raise
                raise IndexCorrupt(f"lexical index at {path} cannot be opened ({exc}); rebuild it") from exc
            if index.schema != SCHEMA:
                raise IndexOutdated(f"the keyword index at {path} was built by an older papersift (another schema)")
        elif path.is_dir() and any(f.name == ".managed.json" or f.suffix in _SEGMENT_SUFFIXES for f in path.iterdir()):
            raise IndexCorrupt(f"lexical index at {path} has segment files but no meta.json; rebuild it")
        elif create:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(SCHEMA, path=str(path))
        else:
            raise FileNotFoundError(f"no lexical index at {path}")
        return cls(index, path, heap_size, threads)

    # --- writing -------------------------------------------------------------------------------

    def _w(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(self._heap, self._threads)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise IndexLocked(f"lexical index at {self.path} has another writer") from exc
                raise
        return self._writer

    def upsert(self, papers: Iterable[Paper]) -> int:
        """Replace-or-add each paper (delete by id, then add); idempotent. Returns the count.

        A paper the index has never seen gets no delete: tantivy applies every queued delete to
        every segment at commit, which made a first build of 1M papers pay for a million deletes
        of nothing. Whether the id may be present is one term look-up (committed documents) plus
        the set of ids added since the last commit."""
        writer, n = self._w(), 0
        searcher = self._index.searcher()
        for paper in papers:
            if paper.id in self._pending or searcher.doc_freq("id", paper.id):
                writer.delete_documents_by_term("id", paper.id)
            writer.add_document(document(paper))
            self._pending.add(paper.id)
            n += 1
        return n

    def delete(self, ids: Iterable[str]) -> None:
        writer = self._w()
        for pid in ids:
            writer.delete_documents_by_term("id", pid)

    def commit(self) -> None:
        """Atomically publish every write since the last commit, and make it visible here."""
        if self._writer is not None:
            self._writer.commit()
            self._index.reload()
            self._pending.clear()

    def close(self) -> None:
        """Discard uncommitted writes and release the write lock."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None
            self._pending.clear()

    def reload(self) -> None:
        """See commits made by another process now (they also appear on their own after a moment)."""
        self._index.reload()

    # --- reading -------------------------------------------------------------------------------

    def doc_count(self) -> int:
        return self._index.searcher().num_docs

    def search(
        self,
        parsed: q.ParsedQuery,
        limit: int = 10,
        title_boost: float = TITLE_BOOST,
        *,
        offset: int = 0,
        sort: Literal["relevance", "date"] = "relevance",
    ) -> list[tuple[str, float]]:
        """(id, BM25 score) best first; an empty ParsedQuery matches everything.

        sort="date": newest first (undated last) and every score is 0.0.
        """
        return self._search(parsed, limit, title_boost, offset, sort, count="none")[0]

    def search_counted(
        self, parsed: q.ParsedQuery, limit: int = 10, *, sort: Literal["relevance", "date"] = "relevance"
    ) -> tuple[list[tuple[str, float]], int]:
        """`search` plus how many papers match, from one pass over the postings: a results page
        needs both, and a separate `count` would walk every match a second time."""
        hits, matches = self._search(parsed, limit, TITLE_BOOST, 0, sort, count="exact")
        return hits, matches.total

    def search_top(self, parsed: q.ParsedQuery, limit: int = 10) -> tuple[list[tuple[str, float]], Matches]:
        """The best `limit` by relevance (exactly `search`'s) and how many papers match: exact
        while the query's words have at most PRUNE_POSTINGS postings, else estimated from their
        document frequencies, because counting is the walk over every match that the pruned
        top-k (`pruning`) avoids."""
        return self._search(parsed, limit, TITLE_BOOST, 0, "relevance", count="about")

    def _search(
        self,
        parsed: q.ParsedQuery,
        limit: int,
        title_boost: float,
        offset: int,
        sort: Literal["relevance", "date"],
        count: Literal["none", "exact", "about"],
    ) -> tuple[list[tuple[str, float]], Matches]:
        if limit <= 0 and count == "none":
            return [], Matches(0)
        searcher = self._index.searcher()
        query, k = self.compiler.query(parsed, title_boost), max(limit, 1) + max(offset, 0)
        words = (
            self.compiler.or_words(searcher, parsed, title_boost) if sort == "relevance" and count != "exact" else None
        )
        clauses = [c for word in words or [] for c in word]
        estimate = pruning.estimated_matches(words, searcher.num_docs) if words and count == "about" else 0
        if words and sum(c.doc_freq for c in clauses) > PRUNE_POSTINGS and estimate is not None:
            found, _ = pruning.top_k(searcher, clauses, query, k)
            addresses = found[max(offset, 0) : k]
            matches = Matches(estimate, exact=False)
        else:
            result = searcher.search(
                query,
                max(limit, 1),
                count=count != "none",
                order_by_field="day" if sort == "date" else None,
                offset=max(offset, 0),
            )
            addresses = [(float(score), address) for score, address in result.hits]
            matches = Matches(_match_count(result)) if count != "none" else Matches(0)
        hits = [
            (_paper_id(searcher.doc(address)), 0.0 if sort == "date" else score)
            for score, address in addresses[: max(limit, 0)]
        ]
        return hits, matches

    def count(self, parsed: q.ParsedQuery) -> int:
        """How many papers match (text and filters)."""
        return _match_count(self._index.searcher().search(self.compiler.query(parsed), 1, count=True))

    def filter_ids(self, filters: q.Node | q.ParsedQuery | None) -> set[str] | None:
        """Every id matching a filter AST (None when there are no filters). Costs one stored-doc
        read per match: for candidates you already have (dense hits), `filter_among` is cheaper."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        if node is None:
            return None
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return set()
        hits = searcher.search(self.compiler.filter(node), searcher.num_docs, count=False).hits
        return {_paper_id(searcher.doc(addr)) for _, addr in hits}

    def filter_among(self, filters: q.Node | q.ParsedQuery | None, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` that are indexed and match the filters (all indexed ids if none)."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        clauses = [(Occur.Must, Query.term_set_query(SCHEMA, "id", wanted))]
        if node is not None:  # a match test: constant scores spare BM25 on every candidate (D60)
            clauses.append((Occur.Must, Query.const_score_query(self.compiler.filter(node), 0.0)))
        searcher = self._index.searcher()
        hits = searcher.search(Query.boolean_query(clauses), len(wanted), count=False).hits
        return {_paper_id(searcher.doc(addr)) for _, addr in hits}

    def _snippet_generator(
        self, searcher: tantivy.Searcher, parsed: q.ParsedQuery, field: str, max_chars: int
    ) -> tantivy.SnippetGenerator | None:
        text_query = self.compiler.text(parsed.text, 1.0, shown=True) if parsed.text is not None else None
        if text_query is None:
            return None
        gen = tantivy.SnippetGenerator.create(searcher, text_query, SCHEMA, field)
        gen.set_max_num_chars(max(max_chars, 1))
        return gen

    def snippets_of(self, abstracts: Mapping[str, str], parsed: q.ParsedQuery, max_chars: int = 240) -> dict[str, str]:
        """HTML-escaped best fragment of each abstract (the caller's catalog rows: the index stores no
        text), query words in <mark>, "… " / " …" where text was cut; the start of the text when no
        query word occurs."""
        if not abstracts:
            return {}
        gen = self._snippet_generator(self._index.searcher(), parsed, "abstract", max_chars)
        out = {}
        for pid, abstract in abstracts.items():
            text = utf8(abstract)
            snip = None
            if gen is not None:
                doc = tantivy.Document()
                doc.add_text("abstract", text)
                snip = gen.snippet_from_doc(doc)
            out[pid] = _highlight(snip, text, max_chars)
        return out

    def facets(
        self, parsed: q.ParsedQuery, field: Literal["categories", "year"] = "categories", limit: int = 20
    ) -> list[tuple[str, int]]:
        """(value, count) over all matching papers, commonest first; categories as spelled in data."""
        column = "cat_facet" if field == "categories" else "year"
        agg = {"f": {"terms": {"field": column, "size": max(limit, 1)}}}
        result = self._index.searcher().aggregate(self.compiler.query(parsed), agg)
        return [(str(b["key"]), int(b["doc_count"])) for b in result["f"]["buckets"]][:limit]

    def facets_among(
        self, ids: Iterable[str], field: Literal["categories", "year"] = "categories", limit: int = 20
    ) -> list[tuple[str, int]]:
        """`facets` over the given papers only (e.g. the top results of a huge match set)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        column = "cat_facet" if field == "categories" else "year"
        agg = {"f": {"terms": {"field": column, "size": max(limit, 1)}}}
        result = self._index.searcher().aggregate(Query.term_set_query(SCHEMA, "id", wanted), agg)
        return [(str(b["key"]), int(b["doc_count"])) for b in result["f"]["buckets"]][:limit]

    def key_terms(self, paper: Paper, k: int = 10) -> list[KeyTerm]:
        """The paper's top tf-idf terms (title words count double), for explaining similarity."""
        searcher = self._index.searcher()
        return terms.key_terms(
            paper.title or "",
            paper.abstract or "",
            k,
            searcher.num_docs,
            lambda stem: max(searcher.doc_freq("title", stem), searcher.doc_freq("abstract", stem)),
        )

    def shared_terms(self, a: Paper, b: Paper, k: int = 5) -> list[str]:
        """Key terms two papers share (surface words of `a`), strongest first."""
        return terms.shared_terms(self.key_terms(a, 30), self.key_terms(b, 30), k)


def _highlight(snip: tantivy.Snippet | None, text: str, max_chars: int) -> str:
    """Escape first, then add <mark>: tantivy's ranges are byte offsets into the fragment."""
    ranges = sorted((r.start, r.end) for r in snip.highlighted()) if snip is not None else []
    if not ranges or snip is None:
        if len(text) <= max_chars:
            return html.escape(text)
        cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        return html.escape(cut) + " …"
    raw, parts, prev = snip.fragment().encode("utf-8"), [], 0
    for start, end in ranges:
        if start < prev:
            continue
        parts.append(html.escape(raw[prev:start].decode("utf-8", "replace")))
        parts.append("<mark>" + html.escape(raw[start:end].decode("utf-8", "replace")) + "</mark>")
        prev = end
    parts.append(html.escape(raw[prev:].decode("utf-8", "replace")))
    span, whole = snip.fragment_range(), text.encode("utf-8")
    before = "… " if any(c.isalnum() for c in whole[: span.start].decode("utf-8", "replace")) else ""
    after = " …" if any(c.isalnum() for c in whole[span.end :].decode("utf-8", "replace")) else ""
    return before + "".join(parts) + after


def _paper_id(doc: tantivy.Document) -> str:
    return str(doc.get_first("id"))


def _match_count(result: tantivy.SearchResult) -> int:
    """How many documents matched a `count=True` search. (tantivy-py's type stub omits the
    `count` attribute that the extension object has, hence getattr.)"""
    return int(getattr(result, "count", None) or 0)

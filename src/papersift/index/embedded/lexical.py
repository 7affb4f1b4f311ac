"""The lexical index: BM25 over tantivy, fielded, persistent under one directory.

Why tantivy: measured on this machine it builds 1M abstracts in ~33 s and answers OR queries in
~2 ms (SQLite FTS5: ~230 ms); its commits are atomic (a crash before `commit()` leaves the previous
commit served) and its segments live on disk, so the web process and the indexer share the files.

Fields: `id` (raw), `title`/`abstract` (tantivy's `en_stem`: simple tokenizer, lower-case, English
Snowball stemmer), `text` (title twice plus abstract as one field, indexed only, for ranking),
`authors` (one value per author, lower-cased and ASCII-folded so "Schölkopf" matches "Scholkopf";
values do not phrase-match across authors), `cat` (lower-cased, exact) and `cat_facet` (as
spelled, for facet counts), `day` (date ordinal of submitted/announced/updated) and `year`. Query
text is analysed by `analysis.analyze()`, identical to the index analysers.

Bare words are scored by BM25 over `text` plus `authors`; a word that analyses to several tokens
("state-of-the-art", "3:1") becomes a phrase. One BM25F-style field (the title counted
TITLE_WEIGHT times, then the abstract) instead of a title score plus an abstract score: summing
two per-field BM25s saturates a word's weight twice and normalises by two lengths, which cost
0.028 nDCG@10 on SciFact against one field (docs/DECISIONS.md D25). `ti:`/`abs:` words and
snippets use their own fields. Filters (see `papersift.query.syntax`) are compiled with exact
boolean logic into zero-scoring clauses, so they never change BM25 scores.
One writer per directory (tantivy's lock): readers never take it; writers take it on first write.
"""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Literal

import tantivy
from tantivy import Occur, Query

from papersift.index.analysis import AUTHOR_WEIGHT, NAME, STEM, SURFACE_WORDS, analyze, utf8
from papersift.index.embedded import pruning
from papersift.index.embedded.pruning import Clause, clause
from papersift.index.payload import meta_of
from papersift.index.protocols import KeyTerm, Matches
from papersift.paper import Paper
from papersift.query import normalize
from papersift.query import syntax as q

NAME_TOKENIZER = "papersift_name"
TEXT_FIELDS = ("title", "abstract", "authors")  # where bare words match, as shown (snippets)
RANKED_FIELDS = ("text", "authors")  # where bare words are scored: the same matches, one BM25 for both texts
_AUTHOR_GAP = 10  # extra positions between two authors' names
TITLE_WEIGHT = 2  # BM25F weight of the title inside `text` (measured against 1 on five collections, D25)
TITLE_BOOST = 1.0  # measured: title x2 cost nDCG@10 on SciFact and NFCorpus (docs/DECISIONS.md D8, D25)
# Above this many postings (the sum of the query words' document frequencies) an OR query's top k
# is pruned and its total estimated; below, the plain walk with its exact count takes ~0.5 ms (D71)
PRUNE_POSTINGS = 50_000
_SEGMENT_SUFFIXES = {".idx", ".term", ".store", ".pos", ".fast", ".fieldnorm", ".del"}


class IndexCorrupt(RuntimeError):
    """The directory holds an index tantivy cannot open (or one of an older schema): rebuild it."""


class IndexLocked(RuntimeError):
    """Another writer (this or another process) holds the index's write lock."""


_OCCUR = {"must": Occur.Must, "should": Occur.Should, "must_not": Occur.MustNot}


def _build_schema() -> tantivy.Schema:
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


SCHEMA = _build_schema()


def _document(p: Paper) -> tantivy.Document:
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
            tantivy.Token(t.text, t.position + _AUTHOR_GAP, t.char_offset_from, t.char_offset_to) for t in pre.tokens
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


class TantivyIndex:
    """A tantivy index of Papers. Use `open`; writes become visible (and durable) on `commit`."""

    def __init__(self, index: tantivy.Index, path: Path, heap_size: int, threads: int):
        self._index, self.path, self._heap, self._threads = index, path, heap_size, threads
        self._writer: tantivy.IndexWriter | None = None
        self._pending: set[str] = set()  # ids added since the last commit (not visible to the searcher yet)
        # where bare words are scored; benchmarks/relevance.py sets TEXT_FIELDS to measure the
        # pre-D25 per-field sum on the same index
        self.ranked_fields = RANKED_FIELDS
        self.author_weight = AUTHOR_WEIGHT  # benchmarks/relevance.py sets 1.0 for its ablation row
        index.register_tokenizer(NAME_TOKENIZER, NAME)

    @classmethod
    def open(cls, path: Path, create: bool = True, *, heap_size: int = 64_000_000, threads: int = 1) -> TantivyIndex:
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
                raise IndexCorrupt(f"lexical index at {path} has another schema (an older papersift's?); rebuild it")
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
            writer.add_document(_document(paper))
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

    # --- compiling queries ---------------------------------------------------------------------

    def _field_specs(
        self, node: q.Term | q.Phrase, boost: float, shown: bool = False
    ) -> list[tuple[str, list[str], float]]:
        """(field, tokens, BM25 boost) per field the word is searched in (their scores add up).

        A bare word is scored in `text` and `authors` (plus `title` again, weighted `boost - 1`,
        when `boost` > 1: `text` already scores the title once); `shown` compiles it over title,
        abstract and authors instead, the fields snippets are cut from."""
        names: tuple[str, ...] = (node.field,) if node.field else TEXT_FIELDS if shown else self.ranked_fields
        extra_title = not node.field and not shown and boost > 1.0 and "text" in names
        if extra_title:
            names = (*names, "title")
        specs = []
        for name in names:
            tokens = analyze(node.text, name)
            if not tokens:
                continue
            weight = (boost - 1.0 if extra_title else boost) if name == "title" else 1.0
            if name == "authors" and not shown:
                weight = self.author_weight
            specs.append((name, tokens, weight))
        return specs

    def _fields(self, node: q.Term | q.Phrase, boost: float, shown: bool = False) -> list[Query]:
        """One term/phrase query per field the word is searched in (see `_field_specs`)."""
        return [_field_query(name, tokens, weight) for name, tokens, weight in self._field_specs(node, boost, shown)]

    def _leaf(self, node: q.Term | q.Phrase, boost: float, shown: bool = False) -> Query | None:
        parts = self._fields(node, boost, shown)
        if len(parts) < 2:
            return parts[0] if parts else None
        return Query.boolean_query([(Occur.Should, p) for p in parts])

    def _text(self, node: q.Node, boost: float, shown: bool = False) -> Query | None:
        """Scored part: required/optional/excluded as `query.normalize.clauses` decides.

        An optional word's per-field queries join the group's clause list directly instead of
        a nested union: the same matches and the same score sums, but tantivy then walks one
        flat disjunction, half the time at 1M papers (docs/DECISIONS.md D18)."""
        if isinstance(node, (q.Term, q.Phrase)):
            return self._leaf(node, boost, shown)
        if isinstance(node, q.Required):
            return self._text(node.item, boost, shown)
        clauses = []
        for occurrence, child in normalize.clauses(node):
            if occurrence == "should" and isinstance(child, (q.Term, q.Phrase)):
                clauses += [(Occur.Should, part) for part in self._fields(child, boost, shown)]
                continue
            sub = self._text(child, boost, shown)
            if sub is not None:
                clauses.append((_OCCUR[occurrence], sub))
        if not clauses:
            return None
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def _or_words(self, searcher: tantivy.Searcher, parsed: q.ParsedQuery, boost: float) -> list[list[Clause]] | None:
        """The query's words as scored clauses when its text is a plain OR of optional words (the
        shape MaxScore prunes, see `pruning`, without filters); None for anything else (+word,
        -word, nesting, filters: their totals stay exact)."""
        text = parsed.text
        if parsed.filters is not None:
            return None
        if isinstance(text, (q.Term, q.Phrase)):
            items: list[q.Term | q.Phrase] = [text]
        elif isinstance(text, (q.Seq, q.Or)):
            pairs = normalize.clauses(text)
            if any(occ != "should" or not isinstance(child, (q.Term, q.Phrase)) for occ, child in pairs):
                return None
            items = [child for _, child in pairs if isinstance(child, (q.Term, q.Phrase))]
        else:
            return None
        specs = [self._field_specs(item, boost) for item in items]
        if any(len(tokens) > 1 for word in specs for _, tokens, _ in word):  # a phrase: how many papers
            return None  # it matches is unknown without walking it, so no estimate can replace the count
        return [[clause(searcher, _field_query(n, t, w), n, t, w) for n, t, w in word] for word in specs]

    def _filter(self, node: q.Node) -> Query:
        """Exact boolean logic (Or is a real OR, Not a real complement); scores are irrelevant."""
        if isinstance(node, q.CategoryFilter):
            value = node.value.lower()
            if node.prefix:
                return Query.regex_query(SCHEMA, "cat", value.replace(".", "\\.") + ".*")
            return Query.term_query(SCHEMA, "cat", value)
        if isinstance(node, q.DateRange):
            return Query.range_query(
                SCHEMA,
                "day",
                tantivy.FieldType.Integer,
                node.start.toordinal() if node.start else None,
                node.end.toordinal() if node.end else None,
            )
        if isinstance(node, q.AuthorFilter):
            tokens = analyze(node.name, "authors")
            if len(tokens) < 2:  # slop 1 lets "Geoffrey Hinton" match "Geoffrey E. Hinton"
                return Query.term_query(SCHEMA, "authors", tokens[0]) if tokens else Query.empty_query()
            return Query.phrase_query(SCHEMA, "authors", list[str | tuple[int, str]](tokens), slop=1)
        if isinstance(node, q.IdFilter):
            return Query.term_query(SCHEMA, "id", node.id)
        if isinstance(node, (q.Term, q.Phrase)):
            return self._leaf(node, 1.0) or Query.empty_query()
        if isinstance(node, q.Required):
            return self._filter(node.item)
        if isinstance(node, q.Or):
            return Query.boolean_query([(Occur.Should, self._filter(c)) for c in node.items])
        items = (node,) if isinstance(node, q.Not) else node.items
        clauses = [
            (Occur.MustNot, self._filter(c.item)) if isinstance(c, q.Not) else (Occur.Must, self._filter(c))
            for c in items
        ]
        return Query.boolean_query([(Occur.Must, Query.all_query()), *clauses])

    def _query(self, parsed: q.ParsedQuery, boost: float = TITLE_BOOST) -> Query:
        text = self._text(parsed.text, boost) if parsed.text is not None else None
        filt = self._filter(parsed.filters) if parsed.filters is not None else None
        if filt is None:
            return text or (Query.all_query() if parsed.is_empty else Query.empty_query())
        filt = Query.const_score_query(filt, 0.0)
        return filt if text is None else Query.boolean_query([(Occur.Must, text), (Occur.Must, filt)])

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
        query, k = self._query(parsed, title_boost), max(limit, 1) + max(offset, 0)
        words = self._or_words(searcher, parsed, title_boost) if sort == "relevance" and count != "exact" else None
        clauses = [c for word in words or [] for c in word]
        if words and sum(c.doc_freq for c in clauses) > PRUNE_POSTINGS:
            found, _ = pruning.top_k(searcher, clauses, query, k)
            addresses = found[max(offset, 0) : k]
            estimate = pruning.estimated_matches(words, searcher.num_docs) if count == "about" else 0
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
        return _match_count(self._index.searcher().search(self._query(parsed), 1, count=True))

    def filter_ids(self, filters: q.Node | q.ParsedQuery | None) -> set[str] | None:
        """Every id matching a filter AST (None when there are no filters). Costs one stored-doc
        read per match: for candidates you already have (dense hits), `filter_among` is cheaper."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        if node is None:
            return None
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return set()
        hits = searcher.search(self._filter(node), searcher.num_docs, count=False).hits
        return {_paper_id(searcher.doc(addr)) for _, addr in hits}

    def filter_among(self, filters: q.Node | q.ParsedQuery | None, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` that are indexed and match the filters (all indexed ids if none)."""
        node = filters.filters if isinstance(filters, q.ParsedQuery) else filters
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        clauses = [(Occur.Must, Query.term_set_query(SCHEMA, "id", wanted))]
        if node is not None:  # a match test: constant scores spare BM25 on every candidate (D60)
            clauses.append((Occur.Must, Query.const_score_query(self._filter(node), 0.0)))
        searcher = self._index.searcher()
        hits = searcher.search(Query.boolean_query(clauses), len(wanted), count=False).hits
        return {_paper_id(searcher.doc(addr)) for _, addr in hits}

    def _doc(self, searcher: tantivy.Searcher, pid: str) -> tantivy.Document | None:
        hits = searcher.search(Query.term_query(SCHEMA, "id", pid), 1, count=False).hits
        return searcher.doc(hits[0][1]) if hits else None

    def snippet(self, pid: str, parsed: q.ParsedQuery, field: str = "abstract", max_chars: int = 240) -> str:
        """HTML-escaped best fragment of `field` with query terms in <mark>; "" if `pid` is unknown."""
        return self.snippets([pid], parsed, field, max_chars).get(pid, "")

    def _snippet_generator(
        self, searcher: tantivy.Searcher, parsed: q.ParsedQuery, field: str, max_chars: int
    ) -> tantivy.SnippetGenerator | None:
        text_query = self._text(parsed.text, 1.0, shown=True) if parsed.text is not None else None
        if text_query is None:
            return None
        gen = tantivy.SnippetGenerator.create(searcher, text_query, SCHEMA, field)
        gen.set_max_num_chars(max(max_chars, 1))
        return gen

    def snippets(
        self, ids: Iterable[str], parsed: q.ParsedQuery, field: str = "abstract", max_chars: int = 240
    ) -> dict[str, str]:
        """`snippet` for many ids, sharing one tantivy SnippetGenerator."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        searcher = self._index.searcher()
        gen = self._snippet_generator(searcher, parsed, field, max_chars)
        out = {}
        found = searcher.search(Query.term_set_query(SCHEMA, "id", wanted), len(wanted), count=False).hits
        for _, addr in found:  # one lookup for the whole page, not one search per id
            doc = searcher.doc(addr)
            text = "; ".join(doc.get_all(field))
            out[_paper_id(doc)] = _highlight(gen.snippet_from_doc(doc) if gen else None, text, max_chars)
        return out

    def snippets_of(self, abstracts: Mapping[str, str], parsed: q.ParsedQuery, max_chars: int = 240) -> dict[str, str]:
        """`snippets` of abstracts the caller already holds (a results page's catalog rows): the
        same fragments and marks, without finding and reading each paper's stored document."""
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
        result = self._index.searcher().aggregate(self._query(parsed), agg)
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

    def key_terms(self, pid: str, k: int = 10) -> list[KeyTerm]:
        """The paper's top tf-idf terms (title words count double), for explaining similarity."""
        searcher = self._index.searcher()
        doc = self._doc(searcher, pid)
        if doc is None or k <= 0:
            return []
        tf: dict[str, float] = defaultdict(float)
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        stems: dict[str, str] = {}
        for name, weight in (("title", 2.0), ("abstract", 1.0)):
            for word in SURFACE_WORDS.analyze(doc.get_first(name) or ""):
                if len(word) < 3 or not any(c.isalpha() for c in word):
                    continue
                stem = stems.get(word) or stems.setdefault(word, (STEM.analyze(word) or [word])[0])
                tf[stem] += weight
                forms[stem][word] += 1
        n = searcher.num_docs
        scored = []
        for stem, count in tf.items():
            df = max(searcher.doc_freq("title", stem), searcher.doc_freq("abstract", stem), 1)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scored.append(KeyTerm(stem, forms[stem].most_common(1)[0][0], (1 + math.log(count)) * idf))
        return sorted(scored, key=lambda t: (-t.weight, t.term))[:k]

    def shared_terms(self, a: str, b: str, k: int = 5) -> list[str]:
        """Key terms two papers share (surface words of `a`), strongest first."""
        kb = {t.term: t.weight for t in self.key_terms(b, 30)}
        both = [(t.weight * kb[t.term], t.word) for t in self.key_terms(a, 30) if t.term in kb]
        return [word for _, word in sorted(both, key=lambda x: -x[0])[:k]]


def _field_query(name: str, tokens: list[str], weight: float) -> Query:
    sub = (
        Query.term_query(SCHEMA, name, tokens[0])
        if len(tokens) == 1
        else Query.phrase_query(SCHEMA, name, list[str | tuple[int, str]](tokens))
    )
    return Query.boost_query(sub, weight) if weight != 1.0 else sub


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

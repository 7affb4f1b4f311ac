"""Related work for a draft: long text and/or a reference list in, ranked papers with reasons out.

A draft (an abstract or an introduction, up to MAX_TEXT_CHARS) is not a query: the query
language's caps do not apply, and one embedding of 20k characters would be truncated to its
first 256 tokens. So the draft is split into passages (paragraphs, long ones cut at sentence
ends to about PASSAGE_WORDS words) and each passage is embedded with the bundled encoder; a
paper's dense score is its best cosine to any passage (or to a cited paper's vector), and
that passage is the reason shown. The lexical side is BM25 over the draft's key terms
(term frequency in the draft times inverse document frequency in the index). The two lists are
fused like hybrid search (`fusion.convex`).

Cited papers (a .bib's entries found in the catalog, by arXiv id / DOI or exact title) seed the
search too (their vectors and text) and are marked `cited` in the output, so the reader sees
what is new at a glance. Date and category filters are exact, as in search.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from papersift.encoder.embed import paper_text
from papersift.index.analysis import STEM, SURFACE_WORDS, utf8
from papersift.paper import Paper, title_key
from papersift.query.syntax import ParsedQuery, plain_query
from papersift.query.types import Filters, QueryError
from papersift.search.fusion import convex
from papersift.search.service import SearchService
from papersift.urls import paper_url

MAX_TEXT_CHARS = 20_000
MAX_CITED = 1_000  # reference entries considered (a thesis has a few hundred)
MAX_SEEDS = 50  # cited papers whose vectors seed the dense search (one exact search each)
PASSAGE_WORDS = 150  # ~200 word pieces: inside the encoder's 256-token window
MIN_PASSAGE_WORDS = 25  # shorter paragraphs (headings, captions) join the next one
MAX_PASSAGES = 60
KEY_TERMS = 30
CANDIDATE_TERMS = 120  # most frequent draft words whose document frequency is looked up
DEPTH = 200
MAX_LIMIT = 100
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class KeyTerm:
    stem: str
    word: str
    weight: float


@dataclass
class RelatedHit:
    """One related paper and why: its best-matching passage (index into `passages`, or None when
    the closest input was a cited paper), that cosine, and key terms shared with the input."""

    paper: Paper
    score: float
    cited: bool
    passage: int | None = None
    similarity: float | None = None
    via_citation: str | None = None  # id of the cited paper it is closest to
    shared_terms: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        parts = []
        if self.similarity is not None:
            where = f"passage {self.passage + 1}" if self.passage is not None else f"cited paper {self.via_citation}"
            parts.append(f"similarity {self.similarity:.2f} to {where}")
        if self.shared_terms:
            parts.append("shared terms: " + ", ".join(self.shared_terms[:6]))
        return "; ".join(parts) or "keyword match"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape every surface (CLI --json, API, MCP) returns for one hit."""
        p = self.paper
        return {
            "id": p.id,
            "title": p.title,
            "authors": p.authors,
            "categories": p.categories,
            "date": str(p.work_date or ""),
            "url": paper_url(p.id),
            "score": round(self.score, 6),
            "cited": self.cited,
            "passage": None if self.passage is None else self.passage + 1,
            "via_citation": self.via_citation,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "shared_terms": self.shared_terms,
            "reason": self.reason,
        }


@dataclass
class RelatedResult:
    hits: list[RelatedHit]
    passages: list[str]
    key_terms: list[str]
    cited: list[Paper]  # reference entries found in the catalog
    unmatched_citations: list[str]  # titles of entries that are not in the catalog
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """`results` plus what the input was understood as (passages are numbered from 1)."""
        return {
            "results": [h.to_dict() for h in self.hits],
            "passages": [{"number": i, "text": t} for i, t in enumerate(self.passages, 1)],
            "key_terms": self.key_terms,
            "cited": [{"id": p.id, "title": p.title} for p in self.cited],
            "unmatched_citations": self.unmatched_citations,
            "notices": self.notices,
        }


def split_passages(text: str) -> list[str]:
    """Paragraphs of about PASSAGE_WORDS words: long ones cut at sentence ends, tiny ones merged."""
    pieces: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        words = para.split()
        if not words:
            continue
        if len(words) <= PASSAGE_WORDS:
            pieces.append(" ".join(words))
            continue
        current: list[str] = []
        for sentence in _SENTENCE_END.split(" ".join(words)):
            sw = sentence.split()
            if current and len(current) + len(sw) > PASSAGE_WORDS:
                pieces.append(" ".join(current))
                current = []
            while len(sw) > PASSAGE_WORDS:  # one run-on "sentence" (no full stops)
                pieces.append(" ".join(sw[:PASSAGE_WORDS]))
                sw = sw[PASSAGE_WORDS:]
            current += sw
        if current:
            pieces.append(" ".join(current))
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        piece = f"{carry} {piece}".strip()
        if len(piece.split()) < MIN_PASSAGE_WORDS:
            carry = piece
        else:
            merged.append(piece)
            carry = ""
    if carry:
        if merged and len(merged[-1].split()) + len(carry.split()) <= PASSAGE_WORDS:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return merged


class RelatedService:
    """Related work over the same catalog and indexes as search (held by `SearchService`)."""

    def __init__(self, search: SearchService, alpha: float = 0.5):
        self.search = search
        self.alpha = alpha

    def match_citations(self, entries: Iterable[Paper]) -> tuple[list[Paper], list[str]]:
        """Reference entries found in the catalog (by id — arXiv id or DOI — else exact title),
        and the titles of those that were not."""
        catalog, lexical = self.search.catalog, self.search.store.lexical
        found: dict[str, Paper] = {}
        missing: list[str] = []
        for entry in list(entries)[:MAX_CITED]:
            paper = catalog.get(entry.id)
            if paper is None and entry.doi:
                paper = catalog.get(entry.doi)
            if paper is None and entry.title:
                key = title_key(entry.title)
                ids = [pid for pid, _ in lexical.search(plain_query(entry.title), limit=3)]
                paper = next((p for p in catalog.get_many(ids).values() if title_key(p.title) == key), None)
            if paper is None:
                missing.append(entry.title or entry.id)
            else:
                found.setdefault(paper.id, paper)
        return list(found.values()), missing

    def key_terms(self, text: str, k: int = KEY_TERMS) -> list[KeyTerm]:
        """The draft's distinctive words: (1 + log tf in the draft) * BM25 idf in the index."""
        counts: Counter[str] = Counter()
        forms: dict[str, Counter[str]] = {}
        for word in SURFACE_WORDS.analyze(utf8(text)):
            if len(word) < 3 or not any(c.isalpha() for c in word):
                continue
            stem = (STEM.analyze(word) or [word])[0]
            counts[stem] += 1
            forms.setdefault(stem, Counter())[word] += 1
        lexical = self.search.store.lexical
        n = max(lexical.doc_count(), 1)
        scored = []
        for stem, tf in counts.most_common(CANDIDATE_TERMS):
            word = forms[stem].most_common(1)[0][0]
            df = lexical.count(plain_query(word))
            if df == 0:
                continue  # nothing in the catalog uses it: no use for retrieval or as a reason
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scored.append(KeyTerm(stem, word, (1 + math.log(tf)) * idf))
        return sorted(scored, key=lambda t: (-t.weight, t.stem))[:k]

    def related(
        self,
        text: str = "",
        citations: Iterable[Paper] = (),
        filters: Filters | None = None,
        limit: int = 20,
        hide_cited: bool = False,
    ) -> RelatedResult:
        """Papers related to a draft and/or cited papers; raises QueryError for input to fix."""
        if len(text) > MAX_TEXT_CHARS:
            raise QueryError(f"the text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        self.search.store.refresh()
        cited, missing = self.match_citations(citations)
        passages = split_passages(text)[:MAX_PASSAGES]
        if not passages and not cited:
            raise QueryError("nothing to go on: give some text, or references that are in the catalog")
        notices = []
        if len(split_passages(text)) > MAX_PASSAGES:
            notices.append(f"only the first {MAX_PASSAGES} passages of the text were used")
        terms = self.key_terms(" ".join([*passages, *(paper_text(p.title, p.abstract) for p in cited[:MAX_SEEDS])]))
        base = ParsedQuery(plain_query(" ".join(t.word for t in terms)).text).with_filters(filters or Filters())
        depth = max(DEPTH, limit + len(cited))
        lex = self.search.store.lexical.search(base, limit=depth) if terms else []
        best, dense = self._dense(passages, cited, base, depth)
        if not dense:
            notices.append("semantic index not built yet: ranked by keywords only (run `papersift index`)")
        ranked = convex(lex, dense, self.alpha) if dense else lex
        cited_ids = {p.id for p in cited}
        if hide_cited:
            ranked = [(pid, s) for pid, s in ranked if pid not in cited_ids]
        ranked = ranked[:limit]
        papers = self.search.catalog.get_many(pid for pid, _ in ranked)
        stems = {t.stem: t.word for t in terms}
        hits = []
        for pid, score in ranked:
            if pid not in papers:
                continue
            hit = RelatedHit(papers[pid], score, pid in cited_ids, shared_terms=self._shared(papers[pid], stems))
            if pid in best:
                source, hit.similarity = best[pid]
                if source < len(passages):
                    hit.passage = source
                else:
                    hit.via_citation = cited[source - len(passages)].id
            hits.append(hit)
        return RelatedResult(hits, passages, [t.word for t in terms], cited, missing, notices)

    def _dense(
        self, passages: list[str], cited: list[Paper], base: ParsedQuery, depth: int
    ) -> tuple[dict[str, tuple[int, float]], list[tuple[str, float]]]:
        """Per paper, (index of its closest input, cosine) — inputs are the passages, then the
        cited papers — and the dense list ranked by that best cosine."""
        store = self.search.store
        if not len(store.vectors):
            return {}, []
        queries: list[np.ndarray] = []
        if passages:
            queries.extend(self.search.encoder.encode(passages))
        for paper in cited[:MAX_SEEDS]:
            vec = store.vectors.get(paper.id)
            queries.append(vec if vec is not None else np.zeros(store.dim, dtype=np.float32))
        own = [None] * len(passages) + [p.id for p in cited[:MAX_SEEDS]]
        best: dict[str, tuple[int, float]] = {}
        for source, vec in enumerate(queries):
            if not vec.any():
                continue
            for pid, sim in self.search.nearest(vec, base, depth + 1):
                if pid == own[source]:
                    continue  # a cited paper is not evidence for itself
                if pid not in best or sim > best[pid][1]:
                    best[pid] = (source, sim)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], kv[0]))[:depth]
        return best, [(pid, sim) for pid, (_, sim) in ranked]

    def _shared(self, paper: Paper, draft_terms: dict[str, str]) -> list[str]:
        lexical = self.search.store.lexical
        return [draft_terms[t.term] for t in lexical.key_terms(paper, 30) if t.term in draft_terms][:6]
